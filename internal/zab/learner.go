package zab

import (
	"encoding/binary"
	"slices"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

// LearnerConfig is what a peer brings to the follower or observer role.
type LearnerConfig struct {
	ID            int64
	Leader        int64
	Observer      bool
	AcceptedEpoch int64
	CurrentEpoch  int64
	LastZxid      int64 // last logged zxid
	ConfigVersion int64
	InitLimit     int // ticks allowed for discovery and sync
	SyncLimit     int // ticks of leader silence allowed after NEWLEADER
}

type learnerStage2 int

const (
	lDiscovery learnerStage2 = iota // FOLLOWERINFO sent
	lSyncMode                       // ACKEPOCH sent, waiting DIFF/TRUNC/SNAP
	lSyncing                        // collecting sync packets until NEWLEADER
	lNewLeader                      // NEWLEADER acked, waiting UPTODATE
	lBroadcast                      // serving
)

// Learner is the follower/observer role's state machine (Learner,
// Follower, Observer).
type Learner struct {
	cfg      LearnerConfig
	stage    learnerStage2
	epoch    int64
	accepted int64
	silent   int

	lastLogged int64 // last zxid made durable or handed out to persist
	durable    int64 // last zxid durable: lastLogged at the last Advance
	// activated: zxids committed by COMMITANDACTIVATE/INFORMANDACTIVATE
	// in this Ready (a reconfig: never applied early).
	activated []int64
	// lateRequests: a REQUEST or REVALIDATE of this Ready is in Messages.
	lateRequests bool
	pending      []Entry // logged (or held in sync), not yet committed
	commits      []int64 // COMMITs received before UPTODATE

	// sync-phase state, made durable at NEWLEADER
	mode     int32 // Diff, Trunc or Snap
	truncTo  int64
	snapZxid int64
	held     []Entry
	touches  []Touch
	// leaderConfig is NEWLEADER's configuration text, reported at UPTODATE.
	leaderConfig []byte
	done         error
	rd           Ready
}

// NewLearner starts the learner role: the first Ready carries FOLLOWERINFO
// (or OBSERVERINFO) for the leader.
func NewLearner(cfg LearnerConfig) *Learner {
	if cfg.InitLimit <= 0 {
		cfg.InitLimit = 10
	}
	if cfg.SyncLimit <= 0 {
		cfg.SyncLimit = 5
	}
	l := &Learner{cfg: cfg, accepted: cfg.AcceptedEpoch, lastLogged: cfg.LastZxid, durable: cfg.LastZxid, epoch: -1}
	typ := FollowerInfo
	if cfg.Observer {
		typ = ObserverInfo
	}
	li := proto.LearnerInfo{ServerID: cfg.ID, ProtocolVersion: ProtocolVersion, ConfigVersion: cfg.ConfigVersion}
	l.send(typ, MakeZxid(cfg.AcceptedEpoch, 0), jute.Marshal(&li))
	return l
}

func (l *Learner) send(typ int32, zxid int64, data []byte) {
	l.rd.Messages = append(l.rd.Messages, Message{To: l.cfg.Leader, Packet: proto.QuorumPacket{Type: typ, Zxid: zxid, Data: data}})
}

func (l *Learner) fail(err error) {
	if l.done == nil {
		l.done = err
		l.rd.Done = err
	}
}

// Established reports whether UPTODATE arrived.
func (l *Learner) Established() bool { return l.stage == lBroadcast }

// LastLogged is the last zxid handed out to persist.
func (l *Learner) LastLogged() int64 { return l.lastLogged }

// Epoch returns the leader's epoch once LEADERINFO arrived, else -1.
func (l *Learner) Epoch() int64 { return l.epoch }

// Step handles one packet from the leader.
func (l *Learner) Step(p proto.QuorumPacket) {
	if l.done != nil {
		return
	}
	l.silent = 0
	// A reconfig's commit: COMMITANDACTIVATE carries the designated
	// leader's sid, INFORMANDACTIVATE that sid before the txn. The txn
	// itself (type reconfig) tells the driver the new configuration, so
	// the core treats them as COMMIT and INFORM, and reports a designated
	// leader other than the current one (Ready.Designated).
	switch p.Type {
	case CommitAndActivate, InformAndActivate:
		l.activated = append(l.activated, p.Zxid)
	}
	switch p.Type {
	case CommitAndActivate:
		if len(p.Data) >= 8 && l.stage == lBroadcast {
			if d := int64(binary.BigEndian.Uint64(p.Data)); d != l.cfg.Leader && d > 0 {
				l.rd.Designated = d
			}
		}
		p.Type = Commit
	case InformAndActivate:
		if len(p.Data) < 8 {
			l.fail(ErrMalformed)
			return
		}
		if d := int64(binary.BigEndian.Uint64(p.Data)); d != l.cfg.Leader && d > 0 && l.stage == lBroadcast {
			l.rd.Designated = d
		}
		p.Type, p.Data = Inform, p.Data[8:]
	}
	switch l.stage {
	case lDiscovery:
		l.stepDiscovery(p)
	case lSyncMode:
		l.stepSyncMode(p)
	case lSyncing:
		l.stepSyncing(p)
	default:
		l.stepBroadcast(p)
	}
}

func (l *Learner) stepDiscovery(p proto.QuorumPacket) {
	if p.Type != LeaderInfo {
		l.fail(ErrUnexpected)
		return
	}
	newEpoch := EpochOf(p.Zxid)
	ack := int32(-1)
	switch {
	case newEpoch > l.accepted:
		ack = int32(l.cfg.CurrentEpoch)
		l.accepted = newEpoch
		l.rd.HasAcceptedEpoch, l.rd.AcceptedEpoch = true, newEpoch
	case newEpoch < l.accepted:
		l.fail(ErrEpochBehind)
		return
	}
	l.epoch = newEpoch
	l.stage = lSyncMode
	l.send(AckEpoch, l.lastLogged, intBytes(ack))
}

func (l *Learner) stepSyncMode(p proto.QuorumPacket) {
	switch p.Type {
	case Diff:
	case Trunc:
		l.truncTo = p.Zxid
	case Snap:
		// The driver has read the snapshot stream that follows the packet
		// and holds it, not yet durable.
		l.snapZxid = p.Zxid
	default:
		l.fail(ErrUnexpected)
		return
	}
	l.mode = p.Type
	l.stage = lSyncing
}

func (l *Learner) stepSyncing(p proto.QuorumPacket) {
	switch p.Type {
	case Proposal:
		l.held = append(l.held, Entry{Zxid: p.Zxid, Data: p.Data})
	case Commit:
		l.commits = append(l.commits, p.Zxid)
	case Inform: // a committed txn forwarded to an observer during sync
		l.held = append(l.held, Entry{Zxid: p.Zxid, Data: p.Data})
		l.commits = append(l.commits, p.Zxid)
	case Ping:
		// An empty body, never a null buffer: Java's LearnerHandler reads
		// the body of every learner PING and fails on null.
		l.send(Ping, p.Zxid, []byte{})
	case NewLeaderPacket:
		l.ackNewLeader(p)
	default:
		l.fail(ErrUnexpected)
	}
}

// ackNewLeader makes everything learned in sync durable, in one Ready,
// before the ACK (the ZOOKEEPER-3911/4394/4643/4646/4785 fix): truncation or
// snapshot, then every sync proposal, then currentEpoch, then ACK.
func (l *Learner) ackNewLeader(p proto.QuorumPacket) {
	l.leaderConfig = p.Data
	switch l.mode {
	case Trunc:
		l.rd.HasTruncate, l.rd.TruncateTo = true, l.truncTo
		l.lastLogged = l.truncTo
	case Snap:
		l.rd.HasSnapshot, l.rd.SnapshotZxid = true, l.snapZxid
		l.rd.HasTruncate, l.rd.TruncateTo = true, l.snapZxid
		l.lastLogged = l.snapZxid
	}
	// Committed sync proposals at or below the base are already in the log
	// or the snapshot; the rest are logged now.
	for _, e := range l.held {
		if e.Zxid > l.lastLogged {
			l.rd.Entries = append(l.rd.Entries, e)
			l.pending = append(l.pending, e)
			l.lastLogged = e.Zxid
		}
	}
	l.held = nil
	l.rd.HasCurrentEpoch, l.rd.CurrentEpoch = true, l.epoch
	l.send(Ack, p.Zxid, nil)
	// Acknowledge proposals forwarded during sync that are not committed yet.
	committed := map[int64]bool{}
	for _, z := range l.commits {
		committed[z] = true
	}
	if !l.cfg.Observer {
		for _, e := range l.pending {
			if !committed[e.Zxid] {
				l.send(Ack, e.Zxid, nil)
			}
		}
	}
	l.stage = lNewLeader
}

func (l *Learner) stepBroadcast(p proto.QuorumPacket) {
	switch p.Type {
	case Proposal:
		if p.Zxid <= l.lastLogged {
			return // duplicate (tolerated, as the protocol spec notes)
		}
		e := Entry{Zxid: p.Zxid, Data: p.Data}
		l.rd.Entries = append(l.rd.Entries, e)
		l.pending = append(l.pending, e)
		l.lastLogged = e.Zxid
		l.send(Ack, p.Zxid, nil)
	case Commit:
		if l.stage == lNewLeader {
			l.commits = append(l.commits, p.Zxid)
			return
		}
		l.commit(p.Zxid)
	case Inform:
		if p.Zxid <= l.lastLogged {
			return
		}
		e := Entry{Zxid: p.Zxid, Data: p.Data}
		l.rd.Entries = append(l.rd.Entries, e)
		l.lastLogged = e.Zxid
		if l.stage == lNewLeader {
			l.pending = append(l.pending, e)
			l.commits = append(l.commits, p.Zxid)
			return
		}
		l.rd.Committed = append(l.rd.Committed, e)
	case UpToDate:
		if l.stage != lNewLeader {
			l.fail(ErrUnexpected)
			return
		}
		l.stage = lBroadcast
		l.rd.Established, l.rd.EstablishedZxid = true, l.lastLogged
		l.rd.LeaderConfig, l.leaderConfig = l.leaderConfig, nil
		l.send(Ack, MakeZxid(l.epoch, 0), nil)
		cs := l.commits
		l.commits = nil
		for _, z := range cs {
			l.commit(z)
		}
	case Ping:
		l.send(Ping, p.Zxid, EncodeTouches(l.touches))
		l.touches = nil
	case Revalidate:
		if len(p.Data) < 9 {
			l.fail(ErrMalformed)
			return
		}
		l.rd.Revalidated = append(l.rd.Revalidated, RevalidateResult{
			SessionID: int64(binary.BigEndian.Uint64(p.Data)), Valid: p.Data[8] != 0})
	case Sync:
		l.rd.Syncs++
	default:
		l.fail(ErrUnexpected)
	}
}

// commit applies the head pending proposal; Java's follower exits when the
// COMMIT is not for the next pending txn. Commits for zxids at or below the
// sync base (already applied from disk or the snapshot) are skipped.
func (l *Learner) commit(zxid int64) {
	if len(l.pending) == 0 || l.pending[0].Zxid != zxid {
		for _, e := range l.pending {
			if e.Zxid == zxid {
				l.fail(ErrCommitOrder)
				return
			}
		}
		if len(l.pending) > 0 && zxid > l.pending[0].Zxid {
			l.fail(ErrCommitOrder)
		}
		return
	}
	l.rd.Committed = append(l.rd.Committed, l.pending[0])
	l.pending = l.pending[1:]
}

// Touch records a session touch to report in the next PING reply.
func (l *Learner) Touch(sessionID int64, timeout int32) {
	l.touches = append(l.touches, Touch{SessionID: sessionID, Timeout: timeout})
}

// Forward sends a client request to the leader (REQUEST): data is
// sessionId, cxid, type and the request body; auth the connection's ids.
func (l *Learner) Forward(data []byte, auth []proto.ID) {
	l.sendRequest(proto.QuorumPacket{Type: Request, Zxid: -1, Data: data, AuthInfo: auth})
}

// Revalidate asks the leader whether a session is valid.
func (l *Learner) Revalidate(sessionID int64, timeout int32) {
	b := binary.BigEndian.AppendUint64(nil, uint64(sessionID))
	l.sendRequest(proto.QuorumPacket{Type: Revalidate, Zxid: -1, Data: binary.BigEndian.AppendUint32(b, uint32(timeout))})
}

// sendRequest queues a REQUEST or REVALIDATE. Once serving, it goes in
// Early, ahead of the Ready's persist and its ACKs: it depends on
// nothing persisted, and the leader handles it apart from ACKs, so a
// forwarded write does not wait for this learner's fsync of other
// proposals. Requests keep their order: once one is in Messages (before
// UPTODATE), the rest of the Ready's follow it there.
func (l *Learner) sendRequest(p proto.QuorumPacket) {
	m := Message{To: l.cfg.Leader, Packet: p}
	if l.stage == lBroadcast && !l.lateRequests {
		l.rd.Early = append(l.rd.Early, m)
		return
	}
	l.lateRequests = true
	l.rd.Messages = append(l.rd.Messages, m)
}

// Disconnected ends the role: the leader connection is gone.
func (l *Learner) Disconnected() { l.fail(ErrTimeout) }

// Tick advances time one tick; a silent leader ends the role (initLimit
// until NEWLEADER is acked, syncLimit after).
func (l *Learner) Tick() {
	if l.done != nil {
		return
	}
	l.silent++
	limit := l.cfg.InitLimit
	if l.stage >= lNewLeader {
		limit = l.cfg.SyncLimit
	}
	if l.silent > limit {
		l.fail(ErrTimeout)
	}
}

// HasReady reports whether there is output.
func (l *Learner) HasReady() bool { return !l.rd.empty() }

// Ready returns the output accumulated since the last Advance.
//
// CommittedEarly counts the committed entries that were logged durably in
// an earlier Ready: they may be applied before this Ready's persist. An
// entry logged in this Ready is applied after it (Java's follower does
// not wait for its own fsync; this keeps the conservative rule), and so
// is a reconfig and what follows it. A Ready that truncates, installs a
// snapshot or writes an epoch applies nothing early.
func (l *Learner) Ready() Ready {
	rd := l.rd
	if rd.HasTruncate || rd.HasSnapshot || rd.HasAcceptedEpoch || rd.HasCurrentEpoch {
		return rd
	}
	for _, e := range rd.Committed {
		if e.Zxid > l.durable || slices.Contains(l.activated, e.Zxid) {
			break
		}
		rd.CommittedEarly++
	}
	return rd
}

// Advance tells the learner the last Ready was done: its entries are
// durable.
func (l *Learner) Advance() {
	l.rd = Ready{}
	l.durable = l.lastLogged
	l.activated = l.activated[:0]
	l.lateRequests = false
}
