package zab

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

// LeaderConfig is what a peer brings to the leader role, read from its
// durable state when election made it leader.
type LeaderConfig struct {
	ID        int64
	Voters    []int64 // participants, including ID
	Observers []int64

	AcceptedEpoch int64
	CurrentEpoch  int64
	// LastZxid is the last logged zxid; the whole log is the leader's history
	// (the driver has applied all of it when loading).
	LastZxid int64
	// History is the tail of the log (oldest first, ending at LastZxid): it
	// becomes the in-memory committed log used for DIFF.
	History []Entry
	// Older serves history before History for on-disk DIFF; nil → SNAP.
	Older HistoryReader
	// CommitLogCount bounds the in-memory committed log (Java: 500).
	CommitLogCount int
	// InitLimit and SyncLimit in ticks (one tick = tickTime).
	InitLimit int
	SyncLimit int
	// ConfigText is the NEWLEADER body (the QuorumVerifier text); a
	// committed reconfig replaces it with its configuration's.
	ConfigText []byte
	// EpochConfigText, when set, makes the NEWLEADER body once the epoch is
	// known (ZooKeeper gives an unversioned configuration the NEWLEADER
	// zxid as its version when reconfig is enabled, ZOOKEEPER-1783).
	EpochConfigText func(epoch int64) []byte
	// Next, when set, is the configuration of a reconfig in the leader's
	// log that it never saw committed (its last seen configuration, newer
	// than Voters and Observers). The leader completes it as ZooKeeper's
	// does: NEWLEADER carries Next.Text and needs a quorum of both
	// configurations' voters, and once established the leader counts
	// Next's voters. A leader that is not one of them steps down (Done
	// ErrLeftConfig) naming a new voter that acked NEWLEADER as Designated.
	Next      *Membership
	ForceSnap bool
}

type leaderPhase int

const (
	phaseDiscovery leaderPhase = iota // collecting FOLLOWERINFO for the epoch
	phaseEpochAck                     // collecting ACKEPOCH
	phaseNewLeader                    // collecting NEWLEADER ACKs
	phaseBroadcast                    // established
)

type learnerStage int

const (
	stageInfo      learnerStage = iota // sent FOLLOWERINFO; LEADERINFO pending the epoch
	stageEpoch                         // sent LEADERINFO, waiting ACKEPOCH
	stageEpochAck                      // got ACKEPOCH, sync pending the epoch quorum
	stageSynced                        // sync + NEWLEADER sent, forwarding
	stageNewLeader                     // acked NEWLEADER (durably synced)
	stageUpToDate                      // sent UPTODATE
)

type learnerHandler struct {
	sid       int64
	observer  bool
	stage     learnerStage
	accepted  int64
	peerZxid  int64
	lastHeard int // tick of the last packet
}

type outstanding struct {
	Entry
	acks map[int64]bool
	// next is the configuration of a reconfig proposed before this
	// proposal committed: the proposal needs a quorum of its voters too
	// (Leader.propose adds the last seen QuorumVerifier). reconfig marks
	// the reconfig's own proposal.
	next     *Membership
	reconfig bool
}

// Membership is an ensemble configuration's voters and observers.
type Membership struct {
	Voters    []int64
	Observers []int64
	// Text is the configuration's QuorumVerifier text, when known: a
	// committed reconfig makes it the NEWLEADER body.
	Text []byte
}

// Leader is the leader role's state machine (Leader + LearnerHandler).
type Leader struct {
	cfg   LeaderConfig
	phase leaderPhase
	tick  int
	since int // tick the current phase started

	epoch            int64 // the new epoch, once chosen
	connecting       map[int64]int64
	epochAcks        map[int64]bool
	newLeaderAcks    map[int64]bool
	selfEpochDurable bool // currentEpoch written: counts as my NEWLEADER ack
	pendingSelfEpoch bool

	handlers map[int64]*learnerHandler

	lastProcessed int64 // last committed/applied zxid
	committed     []Entry
	lastProposed  int64
	outstanding   []*outstanding
	unpersisted   []int64           // my own proposals handed out in Ready, acked at Advance
	syncs         map[int64][]int64 // zxid → learners waiting for SYNC
	next          *Membership       // a proposed reconfig's configuration, until it commits

	done error // set once the role ends; all later input is ignored
	rd   Ready
	// inMessages: learners with a message in rd.Messages; a PROPOSAL to
	// them goes after it, not in rd.Early.
	inMessages map[int64]bool
}

// NewLeader starts the leader role: discovery begins with this peer's own
// accepted epoch counted.
func NewLeader(cfg LeaderConfig) (*Leader, error) {
	if !isVoter(cfg.Voters, cfg.ID) {
		return nil, ErrNoLeaderConfig
	}
	if cfg.CommitLogCount <= 0 {
		cfg.CommitLogCount = 500
	}
	if cfg.InitLimit <= 0 {
		cfg.InitLimit = 10
	}
	if cfg.SyncLimit <= 0 {
		cfg.SyncLimit = 5
	}
	if cfg.Next != nil {
		n := *cfg.Next
		n.Voters, n.Observers = slices.Clone(n.Voters), slices.Clone(n.Observers)
		cfg.Next = &n
		if n.Text != nil {
			cfg.ConfigText = n.Text
		}
		cfg.EpochConfigText = nil
	}
	l := &Leader{
		cfg:           cfg,
		connecting:    map[int64]int64{cfg.ID: cfg.AcceptedEpoch},
		epochAcks:     map[int64]bool{cfg.ID: true},
		newLeaderAcks: map[int64]bool{},
		handlers:      map[int64]*learnerHandler{},
		lastProcessed: cfg.LastZxid,
		syncs:         map[int64][]int64{},
		epoch:         -1,
		inMessages:    map[int64]bool{},
	}
	h := cfg.History
	if len(h) > cfg.CommitLogCount {
		h = h[len(h)-cfg.CommitLogCount:]
	}
	l.committed = slices.Clone(h)
	l.maybeFixEpoch()
	return l, nil
}

// Epoch returns the new epoch (-1 while discovery runs).
func (l *Leader) Epoch() int64 { return l.epoch }

// Established reports whether the leader is serving.
func (l *Leader) Established() bool { return l.phase == phaseBroadcast }

// LastProposed is the zxid of the last proposal; NextZxid the one Propose wants.
func (l *Leader) LastProposed() int64 { return l.lastProposed }
func (l *Leader) NextZxid() int64     { return l.lastProposed + 1 }

// LastCommitted is the last committed zxid.
func (l *Leader) LastCommitted() int64 { return l.lastProcessed }

func (l *Leader) send(to int64, typ int32, zxid int64, data []byte) {
	l.queue(Message{To: to, Packet: proto.QuorumPacket{Type: typ, Zxid: zxid, Data: data}})
}

func (l *Leader) queue(m Message) {
	l.rd.Messages = append(l.rd.Messages, m)
	l.inMessages[m.To] = true
}

// sendEarly queues a broadcast packet that depends on nothing this Ready
// persists (a PROPOSAL, or the COMMIT or INFORM of an entry durable at a
// quorum): in Early, sent before the leader's own fsync, unless the
// learner has messages in this Ready already (then after them, to keep
// its connection's order).
func (l *Leader) sendEarly(to int64, typ int32, zxid int64, data []byte) {
	if l.inMessages[to] {
		l.send(to, typ, zxid, data)
		return
	}
	l.rd.Early = append(l.rd.Early, Message{To: to, Packet: proto.QuorumPacket{Type: typ, Zxid: zxid, Data: data}})
}

func (l *Leader) fail(err error) {
	if l.done == nil {
		l.done = err
		l.rd.Done = err
	}
}

func (l *Leader) drop(sid int64) {
	if _, ok := l.handlers[sid]; ok {
		delete(l.handlers, sid)
		l.rd.Disconnect = append(l.rd.Disconnect, sid)
	}
}

// Disconnected tells the leader a learner's connection closed.
func (l *Leader) Disconnected(sid int64) { delete(l.handlers, sid) }

func (l *Leader) maybeFixEpoch() {
	if l.epoch >= 0 || !quorum(l.cfg.Voters, keys(l.connecting)) {
		return
	}
	var m int64 = -1
	for _, e := range l.connecting {
		m = max(m, e)
	}
	l.epoch = m + 1
	l.rd.HasAcceptedEpoch, l.rd.AcceptedEpoch = true, l.epoch
	l.phase, l.since = phaseEpochAck, l.tick
	for _, h := range l.sorted() {
		if h.stage == stageInfo {
			l.sendLeaderInfo(h)
		}
	}
	l.maybeEpochQuorum()
}

func keys(m map[int64]int64) map[int64]bool {
	s := make(map[int64]bool, len(m))
	for k := range m {
		s[k] = true
	}
	return s
}

func (l *Leader) sorted() []*learnerHandler {
	hs := make([]*learnerHandler, 0, len(l.handlers))
	for _, h := range l.handlers {
		hs = append(hs, h)
	}
	slices.SortFunc(hs, func(a, b *learnerHandler) int { return int(a.sid - b.sid) })
	return hs
}

func (l *Leader) sendLeaderInfo(h *learnerHandler) {
	h.stage = stageEpoch
	l.send(h.sid, LeaderInfo, MakeZxid(l.epoch, 0), intBytes(ProtocolVersion))
}

func (l *Leader) maybeEpochQuorum() {
	if l.phase != phaseEpochAck || !quorum(l.cfg.Voters, l.epochAcks) {
		return
	}
	l.rd.HasCurrentEpoch, l.rd.CurrentEpoch = true, l.epoch
	l.pendingSelfEpoch = true
	l.phase, l.since = phaseNewLeader, l.tick
	l.lastProposed = MakeZxid(l.epoch, 0)
	for _, h := range l.sorted() {
		if h.stage == stageEpochAck {
			l.syncLearner(h)
		}
	}
}

// syncLearner queues the sync packets, the outstanding proposals and NEWLEADER.
func (l *Leader) syncLearner(h *learnerHandler) {
	plan := PlanSync(h.peerZxid, l.lastProcessed, l.committed, l.cfg.Older, l.cfg.ForceSnap)
	switch plan.Mode {
	case ModeSnap:
		l.queue(Message{To: h.sid, Packet: proto.QuorumPacket{Type: Snap, Zxid: l.lastProcessed}, Snapshot: true})
	case ModeDiff:
		l.send(h.sid, Diff, plan.OpZxid, nil)
	case ModeTrunc:
		l.send(h.sid, Trunc, plan.OpZxid, nil)
	}
	for _, p := range plan.Proposals {
		l.send(h.sid, Proposal, p.Zxid, p.Data)
		l.send(h.sid, Commit, p.Zxid, nil)
	}
	if !h.observer { // startForwarding
		for _, o := range l.outstanding {
			if o.Zxid > plan.Through {
				l.send(h.sid, Proposal, o.Zxid, o.Data)
			}
		}
	}
	h.stage = stageSynced
	if l.cfg.EpochConfigText != nil {
		l.cfg.ConfigText, l.cfg.EpochConfigText = l.cfg.EpochConfigText(l.epoch), nil
	}
	l.send(h.sid, NewLeaderPacket, MakeZxid(l.epoch, 0), l.cfg.ConfigText)
}

// Step handles one packet from learner from.
func (l *Leader) Step(from int64, p proto.QuorumPacket) {
	if l.done != nil {
		return
	}
	h := l.handlers[from]
	if p.Type == FollowerInfo || p.Type == ObserverInfo {
		var li proto.LearnerInfo
		if err := jute.Unmarshal(p.Data, &li); err != nil {
			l.drop(from)
			return
		}
		// A FOLLOWERINFO from a server outside the voters is a follower all
		// the same (a joiner, before the reconfig that adds it commits):
		// it gets proposals, and its ACKs count once it is a voter.
		observer := p.Type == ObserverInfo
		h = &learnerHandler{sid: from, observer: observer, accepted: EpochOf(p.Zxid), lastHeard: l.tick}
		l.handlers[from] = h
		if l.epoch < 0 {
			if !observer {
				l.connecting[from] = h.accepted
			}
			l.maybeFixEpoch()
		} else {
			l.sendLeaderInfo(h)
		}
		return
	}
	if h == nil {
		return // stale packet from a dropped connection
	}
	h.lastHeard = l.tick
	switch p.Type {
	case AckEpoch:
		l.stepAckEpoch(h, p)
	case Ack:
		l.stepAck(h, p.Zxid)
	case Ping:
		ts, err := DecodeTouches(p.Data)
		if err != nil {
			l.drop(from)
			return
		}
		l.rd.Touches = append(l.rd.Touches, ts...)
	case Revalidate:
		if len(p.Data) < 12 {
			l.drop(from)
			return
		}
		l.rd.Revalidations = append(l.rd.Revalidations, RevalidateRequest{From: from,
			SessionID: int64(binary.BigEndian.Uint64(p.Data)), Timeout: int32(binary.BigEndian.Uint32(p.Data[8:]))})
	case Request:
		l.rd.Requests = append(l.rd.Requests, ForwardedRequest{From: from, Data: p.Data, AuthInfo: p.AuthInfo})
	default:
		l.drop(from)
	}
}

func (l *Leader) stepAckEpoch(h *learnerHandler, p proto.QuorumPacket) {
	if h.stage != stageEpoch || len(p.Data) < 4 {
		l.drop(h.sid)
		return
	}
	cur := int64(int32(binary.BigEndian.Uint32(p.Data)))
	// StateSummary.isMoreRecentThan the leader's (currentEpoch, lastZxid).
	if cur > l.cfg.CurrentEpoch || (cur == l.cfg.CurrentEpoch && p.Zxid > l.cfg.LastZxid) {
		l.drop(h.sid) // "Follower is ahead of the leader": only that handler ends
		return
	}
	h.peerZxid = p.Zxid
	h.stage = stageEpochAck
	if l.phase == phaseEpochAck {
		if !h.observer {
			l.epochAcks[h.sid] = true
		}
		l.maybeEpochQuorum()
		return
	}
	l.syncLearner(h)
}

func (l *Leader) stepAck(h *learnerHandler, zxid int64) {
	if zxid == MakeZxid(l.epoch, 0) {
		if h.stage != stageSynced {
			return // the ACK after UPTODATE, ignored as in Java
		}
		// The learner made the synced history and currentEpoch durable
		// before this ACK (learner contract), so it counts.
		h.stage = stageNewLeader
		if l.phase == phaseBroadcast {
			h.stage = stageUpToDate
			l.send(h.sid, UpToDate, -1, nil)
			return
		}
		if !h.observer {
			l.newLeaderAcks[h.sid] = true
		}
		l.maybeEstablish()
		return
	}
	if h.observer || h.stage < stageSynced {
		return
	}
	for _, o := range l.outstanding {
		if o.Zxid == zxid {
			o.acks[h.sid] = true
			break
		}
	}
	l.tryCommit()
}

func (l *Leader) maybeEstablish() {
	if l.phase != phaseNewLeader || !l.selfEpochDurable || !quorum(l.cfg.Voters, l.newLeaderAcks) {
		return
	}
	next := l.cfg.Next
	if next != nil && !quorum(next.Voters, l.newLeaderAcks) {
		return
	}
	l.phase, l.since = phaseBroadcast, l.tick
	l.rd.Established, l.rd.EstablishedZxid = true, l.lastProcessed
	for _, h := range l.sorted() {
		if h.stage == stageNewLeader {
			h.stage = stageUpToDate
			l.send(h.sid, UpToDate, -1, nil)
		}
	}
	if next == nil {
		return
	}
	// Leader.startZkServer: the last seen configuration is now agreed.
	l.cfg.Next = nil
	designated := l.cfg.ID
	if !isVoter(next.Voters, l.cfg.ID) {
		designated = 0
		for _, v := range next.Voters { // the lowest sid that acked
			if l.newLeaderAcks[v] && (designated == 0 || v < designated) {
				designated = v
			}
		}
	}
	l.switchTo(next, designated)
}

// Propose starts broadcasting a txn; zxid must be NextZxid(). data is the
// PROPOSAL body with that zxid in its TxnHeader.
func (l *Leader) Propose(zxid int64, data []byte) error {
	if l.done != nil {
		return ErrStopped
	}
	if l.phase != phaseBroadcast {
		return ErrNotLeading
	}
	if CounterOf(l.lastProposed) == 0xffffffff {
		l.fail(ErrZxidExhausted)
		return ErrZxidExhausted
	}
	if zxid != l.lastProposed+1 {
		return fmt.Errorf("%w: got %#x, want %#x", ErrBadZxid, zxid, l.lastProposed+1)
	}
	l.lastProposed = zxid
	e := Entry{Zxid: zxid, Data: data}
	l.outstanding = append(l.outstanding, &outstanding{Entry: e, acks: map[int64]bool{}, next: l.next})
	l.rd.Entries = append(l.rd.Entries, e)
	l.unpersisted = append(l.unpersisted, zxid)
	for _, h := range l.sorted() {
		if !h.observer && h.stage >= stageSynced {
			l.sendEarly(h.sid, Proposal, zxid, data)
		}
	}
	return nil
}

// ProposeReconfig proposes a reconfig txn (type reconfig, a setData of
// /zookeeper/config) whose configuration is next: until it commits, it and
// every later proposal need a quorum of both configurations; at its commit
// followers get COMMITANDACTIVATE and observers INFORMANDACTIVATE, and the
// leader counts next's voters from then on.
func (l *Leader) ProposeReconfig(zxid int64, data []byte, next Membership) error {
	if l.next != nil {
		return ErrReconfigInProgress
	}
	if err := l.Propose(zxid, data); err != nil {
		return err
	}
	nm := &Membership{Voters: slices.Clone(next.Voters), Observers: slices.Clone(next.Observers), Text: next.Text}
	o := l.outstanding[len(l.outstanding)-1]
	o.next, o.reconfig = nm, true
	l.next = nm
	return nil
}

// Membership returns the voters and observers the leader counts now.
func (l *Leader) Membership() Membership {
	return Membership{Voters: slices.Clone(l.cfg.Voters), Observers: slices.Clone(l.cfg.Observers)}
}

// Synced returns the leader and the followers it has synced (acked
// NEWLEADER): what Leader.isQuorumSynced counts a new configuration's
// voters against.
func (l *Leader) Synced() map[int64]bool {
	synced := map[int64]bool{l.cfg.ID: true}
	for sid, h := range l.handlers {
		if h.stage >= stageNewLeader && !h.observer {
			synced[sid] = true
		}
	}
	return synced
}

func (o *outstanding) committable(voters []int64) bool {
	return quorum(voters, o.acks) && (o.next == nil || quorum(o.next.Voters, o.acks))
}

// designatedLeader is Leader.getDesignatedLeader: the leader itself when
// it is a voter of the new configuration; else, among the new voters that
// acked the reconfig, the one that also acked the longest run of the
// proposals after it (the most up to date, so the fewest uncommitted
// proposals are dropped), lowest sid first; else 0.
func (l *Leader) designatedLeader(o *outstanding) int64 {
	if isVoter(o.next.Voters, l.cfg.ID) {
		return l.cfg.ID
	}
	var candidates []int64
	for _, v := range o.next.Voters {
		if o.acks[v] {
			candidates = append(candidates, v)
		}
	}
	if len(candidates) == 0 {
		return 0
	}
	for _, later := range l.outstanding {
		if later.Zxid <= o.Zxid {
			continue
		}
		kept := candidates[:0:0]
		for _, c := range candidates {
			if later.acks[c] {
				kept = append(kept, c)
			}
		}
		if len(kept) == 0 {
			break
		}
		candidates = kept
	}
	return candidates[0]
}

// activate commits a reconfig: COMMITANDACTIVATE / INFORMANDACTIVATE, then
// the new configuration. Learners whose role it changes are disconnected
// after the packet: they go back to election with the new configuration
// (as Follower.processPacket throws after processReconfig reports a role
// change). Learners it leaves out keep following without a vote, as in
// ZooKeeper.
func (l *Leader) activate(o *outstanding) {
	designated := l.designatedLeader(o)
	sid := binary.BigEndian.AppendUint64(nil, uint64(designated))
	for _, h := range l.sorted() {
		if h.stage < stageSynced {
			continue
		}
		if h.observer {
			l.send(h.sid, InformAndActivate, o.Zxid, append(slices.Clone(sid), o.Data...))
		} else {
			l.send(h.sid, CommitAndActivate, o.Zxid, sid)
		}
	}
	if l.next == o.next {
		l.next = nil
	}
	l.switchTo(o.next, designated)
}

// switchTo makes next the configuration the leader counts. Learners whose
// role it changes are disconnected; a leader that is not designated steps
// down.
func (l *Leader) switchTo(next *Membership, designated int64) {
	l.cfg.Voters, l.cfg.Observers = next.Voters, next.Observers
	if next.Text != nil {
		l.cfg.ConfigText = next.Text
	}
	for _, h := range l.sorted() {
		voter, obs := isVoter(l.cfg.Voters, h.sid), isVoter(l.cfg.Observers, h.sid)
		if (h.observer && voter) || (!h.observer && obs) {
			l.drop(h.sid)
		}
	}
	if designated != l.cfg.ID {
		// This leader is not a voter any more: it steps down; the
		// designated voter (if any acked) leads the new configuration
		// without an election, and the others, this one included, follow it.
		l.rd.Designated = designated
		l.fail(ErrLeftConfig)
	}
}

// tryCommit commits the outstanding proposals a quorum has acked, in
// order. Invariant: a proposal commits only once this leader's own copy is
// durable (its own ACK, added at the Advance of the Ready that persisted
// it), even if the followers' ACKs alone make a quorum. So every entry of
// Ready.Committed was durable here before that Ready, and its COMMITs
// and its apply need not wait for the Ready's persist (CommittedEarly):
// only a reconfig, which changes the configuration and may end the role,
// and what follows it in the Ready wait, as before.
func (l *Leader) tryCommit() {
	for len(l.outstanding) > 0 && l.outstanding[0].committable(l.cfg.Voters) {
		o := l.outstanding[0]
		if !o.acks[l.cfg.ID] {
			break // not durable here yet: Advance adds the ACK and retries
		}
		l.outstanding = l.outstanding[1:]
		l.lastProcessed = o.Zxid
		l.committed = append(l.committed, o.Entry)
		if len(l.committed) > l.cfg.CommitLogCount {
			l.committed = slices.Delete(l.committed, 0, len(l.committed)-l.cfg.CommitLogCount)
		}
		early := !o.reconfig && l.rd.CommittedEarly == len(l.rd.Committed) &&
			!l.rd.HasAcceptedEpoch && !l.rd.HasCurrentEpoch
		if early {
			l.rd.CommittedEarly++
		}
		l.rd.Committed = append(l.rd.Committed, o.Entry)
		if o.reconfig {
			l.activate(o)
			if l.done != nil {
				return
			}
			continue
		}
		for _, h := range l.sorted() {
			if h.stage < stageSynced {
				continue
			}
			typ, data := Commit, []byte(nil)
			if h.observer {
				typ, data = Inform, o.Data
			}
			if early {
				l.sendEarly(h.sid, typ, o.Zxid, data)
			} else {
				l.send(h.sid, typ, o.Zxid, data)
			}
		}
	}
	l.flushSyncs()
}

func (l *Leader) flushSyncs() {
	var done []int64
	for z, sids := range l.syncs {
		if z <= l.lastProcessed {
			done = append(done, z)
			_ = sids
		}
	}
	slices.Sort(done)
	for _, z := range done {
		for _, sid := range l.syncs[z] {
			l.send(sid, Sync, 0, nil)
		}
		delete(l.syncs, z)
	}
}

// Sync answers a learner's forwarded sync once every proposal made so far
// is committed (Leader.processSync).
func (l *Leader) Sync(from int64) {
	if len(l.outstanding) == 0 {
		l.send(from, Sync, 0, nil)
		return
	}
	l.syncs[l.lastProposed] = append(l.syncs[l.lastProposed], from)
}

// RevalidateReply answers a RevalidateRequest.
func (l *Leader) RevalidateReply(to, sessionID int64, valid bool) {
	b := binary.BigEndian.AppendUint64(nil, uint64(sessionID))
	v := byte(0)
	if valid {
		v = 1
	}
	l.send(to, Revalidate, -1, append(b, v))
}

// Tick advances time one tick (tickTime): pings learners, expires silent
// ones, and gives up the role on a phase timeout or a lost quorum.
func (l *Leader) Tick() {
	if l.done != nil {
		return
	}
	l.tick++
	if l.phase != phaseBroadcast {
		if l.tick-l.since > l.cfg.InitLimit {
			l.fail(ErrTimeout)
		}
	}
	synced := map[int64]bool{l.cfg.ID: true}
	for _, h := range l.sorted() {
		limit := l.cfg.InitLimit + l.cfg.SyncLimit
		if h.stage >= stageNewLeader {
			limit = l.cfg.SyncLimit
		}
		if l.tick-h.lastHeard > limit {
			l.drop(h.sid)
			continue
		}
		if h.stage >= stageSynced {
			l.send(h.sid, Ping, l.lastProposed, nil)
		}
		if h.stage >= stageNewLeader {
			// Observers too, as Java's syncedAckSet takes every synced
			// learner: one a reconfig in flight makes a voter counts.
			synced[h.sid] = true
		}
	}
	// While a reconfig is in flight the new configuration's voters must
	// keep a synced quorum too (the last seen configuration in Java's
	// syncedAckSet): without it nothing more can commit.
	if l.phase == phaseBroadcast && (!quorum(l.cfg.Voters, synced) || (l.next != nil && !quorum(l.next.Voters, synced))) {
		l.fail(ErrQuorumLost)
	}
}

// HasReady reports whether there is output.
func (l *Leader) HasReady() bool { return !l.rd.empty() }

// Ready returns the output accumulated since the last Advance.
func (l *Leader) Ready() Ready { return l.rd }

// Advance tells the leader the last Ready was done: its entries and epochs
// are durable, so they count as the leader's own acknowledgements.
func (l *Leader) Advance() {
	l.rd = Ready{}
	clear(l.inMessages)
	if l.done != nil {
		return
	}
	for _, z := range l.unpersisted {
		for _, o := range l.outstanding {
			if o.Zxid == z {
				o.acks[l.cfg.ID] = true
			}
		}
	}
	l.unpersisted = nil
	if l.pendingSelfEpoch {
		l.pendingSelfEpoch = false
		l.selfEpochDurable = true
		l.newLeaderAcks[l.cfg.ID] = true
		l.maybeEstablish()
	}
	l.tryCommit()
}

// Outstanding is the number of proposals not yet committed.
func (l *Leader) Outstanding() int { return len(l.outstanding) }
