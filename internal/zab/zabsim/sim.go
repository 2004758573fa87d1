// Package zabsim is a seeded, deterministic simulator for the election and
// zab cores: N members, each with an in-memory durable state (txn log,
// acceptedEpoch, currentEpoch), a network with partitions, drops, delays and
// reordering, crashes that lose whatever a member had not made durable, and
// clients writing through the leader. It checks Zab's safety invariants as
// it runs and records violations.
package zabsim

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/zkit-go/zkit/internal/election"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/zab"
)

// Options configures a Sim.
type Options struct {
	Voters    int
	Observers int
	Seed      uint64
	// Fault rates per step (0 = none).
	DropRate      float64 // election message loss; zab connection breaks
	CrashRate     float64
	PartitionRate float64
	MaxDelay      int // steps; >1 reorders election messages across and within links
	WriteRate     float64
	TickEvery     int // steps per tick
	CommitLog     int // leader's in-memory committed log size
	DiskSync      bool
	// Batch: members do their cores' work once per step, after every
	// delivery and write of the step, as the driver batches what is
	// queued into one Ready (so a Ready mixes new entries with commits of
	// older ones).
	Batch     bool
	InitLimit int
	SyncLimit int
	Trace     bool
}

type msg struct {
	from, to int64
	at       int
	seq      int
	election *election.Notification
	wire     []byte // encoded QuorumPacket
	conn     int
	snap     []zab.Entry
}

type member struct {
	id       int64
	observer bool
	up       bool

	// durable
	log      []zab.Entry
	accepted int64
	current  int64

	// volatile
	el          *election.Election
	leader      *zab.Leader
	learner     *zab.Learner
	leaderID    int64
	conn        int  // learner: my connection id
	attached    bool // learner: leader accepted my connection
	pendingSnap []zab.Entry
	lastApplied int64
	downUntil   int
	crashOnAck  bool // scripted: crash right after sending the NEWLEADER ACK
	// crashBeforeFsync (scripted, leader): crash after sending a Ready's
	// early PROPOSALs, before making its entries durable.
	crashBeforeFsync bool
	// crashOnProposalAck (scripted, learner): crash right after sending
	// the ACK of a broadcast PROPOSAL.
	crashOnProposalAck bool
	// crashAfterEarlyCommit (scripted): crash in a Ready that has new
	// entries to log, after sending its early COMMITs (leader) or applying
	// its early commits, before the fsync.
	crashAfterEarlyCommit bool
}

// Sim is one simulated ensemble.
type Sim struct {
	opt        Options
	rng        *rand.Rand
	now        int
	seq        int
	nextCon    int
	members    []*member
	byID       map[int64]*member
	voters     []int64
	obs        []int64
	queue      []*msg
	lastAt     map[[3]int64]int // zab FIFO per link+conn
	cut        map[[2]int64]bool
	leaderConn map[int64]map[int64]int // leader id → learner id → conn

	history  []zab.Entry // committed history H, in zxid order
	hIndex   map[int64][]byte
	epochLdr map[int64]int64

	Violations []string
	Trace      []string
	Commits    int
	writes     int
	// Stats counts events: sync packets by type, crashes, elections.
	Stats map[string]int
}

// New builds a Sim; members 1..Voters vote, the rest observe.
func New(opt Options) *Sim {
	if opt.TickEvery <= 0 {
		opt.TickEvery = 10
	}
	if opt.MaxDelay <= 0 {
		opt.MaxDelay = 1
	}
	if opt.CommitLog <= 0 {
		opt.CommitLog = 500
	}
	if opt.InitLimit <= 0 {
		opt.InitLimit = 10
	}
	if opt.SyncLimit <= 0 {
		opt.SyncLimit = 5
	}
	s := &Sim{opt: opt, rng: rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15)),
		byID: map[int64]*member{}, lastAt: map[[3]int64]int{}, cut: map[[2]int64]bool{},
		leaderConn: map[int64]map[int64]int{}, hIndex: map[int64][]byte{}, epochLdr: map[int64]int64{}, Stats: map[string]int{}}
	for i := 1; i <= opt.Voters+opt.Observers; i++ {
		m := &member{id: int64(i), observer: i > opt.Voters}
		if m.observer {
			s.obs = append(s.obs, m.id)
		} else {
			s.voters = append(s.voters, m.id)
		}
		s.members = append(s.members, m)
		s.byID[m.id] = m
	}
	for _, m := range s.members {
		s.start(m)
	}
	return s
}

func (s *Sim) tracef(format string, a ...any) {
	if s.opt.Trace {
		s.Trace = append(s.Trace, fmt.Sprintf(format, a...))
	}
}

func (s *Sim) violate(format string, a ...any) {
	v := fmt.Sprintf("step %d: ", s.now) + fmt.Sprintf(format, a...)
	s.Violations = append(s.Violations, v)
	s.tracef("VIOLATION %s", v)
}

func lastZxid(log []zab.Entry) int64 {
	if len(log) == 0 {
		return 0
	}
	return log[len(log)-1].Zxid
}

// start boots a member from its durable state, LOOKING.
func (s *Sim) start(m *member) {
	m.up = true
	el, err := election.New(election.Config{ID: m.id, Voters: s.voters, Observers: s.obs, FinalizeWait: 2, MinNotification: 3, MaxNotification: 40})
	if err != nil {
		s.violate("election.New: %v", err)
		return
	}
	m.el = el
	m.leader, m.learner = nil, nil
	m.lastApplied = lastZxid(m.log) // the driver replays the whole log on load
	m.el.Start(lastZxid(m.log), m.current)
	s.drain(m)
}

func (s *Sim) crash(m *member, why string) {
	s.tracef("%d crashes (%s)", m.id, why)
	s.Stats["crash"]++
	m.up = false
	s.deliverWritten(m)
	s.endRole(m)
	m.up = false
	m.el, m.pendingSnap = nil, nil
	m.downUntil = s.now + s.opt.TickEvery*(3+s.rng.IntN(20))
}

// deliverWritten hands over the zab packets m wrote before it crashed, as
// TCP delivers what a dead process had written before the connection
// closes: a leader's PROPOSALs sent ahead of its fsync, a learner's ACKs.
func (s *Sim) deliverWritten(m *member) {
	var out, rest []*msg
	for _, x := range s.queue {
		if x.from == m.id && x.election == nil && x.to != m.id {
			out = append(out, x)
		} else {
			rest = append(rest, x)
		}
	}
	if len(out) == 0 {
		return
	}
	s.queue = rest
	slices.SortFunc(out, func(a, b *msg) int {
		if a.at != b.at {
			return a.at - b.at
		}
		return a.seq - b.seq
	})
	for _, x := range out {
		s.deliver(x)
	}
}

// endRole tears down a member's zab role and its connections.
func (s *Sim) endRole(m *member) {
	if m.leader != nil {
		for sid, c := range s.leaderConn[m.id] {
			if l := s.byID[sid]; l.learner != nil && l.conn == c && l.attached {
				l.learner.Disconnected()
			}
		}
		delete(s.leaderConn, m.id)
	}
	if m.learner != nil && m.attached {
		if ld := s.byID[m.leaderID]; ld.leader != nil && s.leaderConn[ld.id][m.id] == m.conn {
			ld.leader.Disconnected(m.id)
			delete(s.leaderConn[ld.id], m.id)
		}
	}
	m.leader, m.learner, m.attached = nil, nil, false
}

func (s *Sim) send(from, to int64, e *election.Notification, p *proto.QuorumPacket, conn int, snap []zab.Entry) {
	if s.cut[key(from, to)] {
		return
	}
	mm := &msg{from: from, to: to, conn: conn, snap: snap}
	delay := 1 + s.rng.IntN(s.opt.MaxDelay)
	if e != nil {
		if s.opt.DropRate > 0 && s.rng.Float64() < s.opt.DropRate {
			return
		}
		// Round-trip through the wire codec.
		n, err := election.DecodeNotification(election.AppendNotification(nil, *e))
		if err != nil {
			s.violate("notification codec: %v", err)
			return
		}
		mm.election = &n
		mm.at = s.now + delay
	} else {
		mm.wire = jute.Marshal(p)
		k := [3]int64{from, to, int64(conn)}
		mm.at = max(s.now+delay, s.lastAt[k]) // FIFO per connection, as TCP
		s.lastAt[k] = mm.at
	}
	s.seq++
	mm.seq = s.seq
	s.queue = append(s.queue, mm)
}

func key(a, b int64) [2]int64 {
	if a > b {
		a, b = b, a
	}
	return [2]int64{a, b}
}

// drain handles every pending Ready of m (the driver loop).
func (s *Sim) drain(m *member) {
	for i := 0; i < 100 && m.up; i++ {
		switch {
		case m.el != nil && m.el.HasReady():
			rd := m.el.Ready()
			m.el.Advance()
			for _, x := range rd.Messages {
				n := x.Notification
				if x.To == m.id {
					s.send(m.id, m.id, &n, nil, 0, nil)
				} else {
					s.send(m.id, x.To, &n, nil, 0, nil)
				}
			}
			if rd.Decision != nil {
				s.takeRole(m, *rd.Decision)
			}
		case m.leader != nil && m.leader.HasReady():
			rd := m.leader.Ready()
			if s.handle(m, rd) {
				m.leader.Advance()
			}
		case m.learner != nil && m.learner.HasReady():
			rd := m.learner.Ready()
			if s.handle(m, rd) {
				m.learner.Advance()
			}
		default:
			return
		}
	}
}

func (s *Sim) takeRole(m *member, d election.Decision) {
	s.tracef("%d decides %s leader=%d round=%d", m.id, d.Role, d.Leader, d.ElectionEpoch)
	switch d.Role {
	case election.Leading:
		hist := m.log
		if len(hist) > s.opt.CommitLog {
			hist = hist[len(hist)-s.opt.CommitLog:]
		}
		var older zab.HistoryReader
		if s.opt.DiskSync {
			older = logReader(slices.Clone(m.log))
		}
		l, err := zab.NewLeader(zab.LeaderConfig{ID: m.id, Voters: s.voters, Observers: s.obs,
			AcceptedEpoch: m.accepted, CurrentEpoch: m.current, LastZxid: lastZxid(m.log),
			History: hist, Older: older, CommitLogCount: s.opt.CommitLog,
			InitLimit: s.opt.InitLimit, SyncLimit: s.opt.SyncLimit})
		if err != nil {
			s.violate("NewLeader: %v", err)
			return
		}
		m.leader = l
		s.leaderConn[m.id] = map[int64]int{}
	default:
		s.nextCon++
		m.conn, m.attached, m.leaderID = s.nextCon, false, d.Leader
		m.learner = zab.NewLearner(zab.LearnerConfig{ID: m.id, Leader: d.Leader, Observer: m.observer,
			AcceptedEpoch: m.accepted, CurrentEpoch: m.current, LastZxid: lastZxid(m.log),
			InitLimit: s.opt.InitLimit, SyncLimit: s.opt.SyncLimit})
	}
}

type logReader []zab.Entry

func (r logReader) From(z int64) []zab.Entry {
	i := sort.Search(len(r), func(i int) bool { return r[i].Zxid > z })
	if i > 0 {
		i--
	}
	return r[i:]
}

// handle is the driver's work for one Ready; it returns false if the member
// crashed part way (the Ready is lost with it).
func (s *Sim) handle(m *member, rd zab.Ready) bool {
	const (
		crashBeforeAll     = iota
		crashAfterEarly    // leader: PROPOSALs sent, its own fsync not done
		crashBeforeEpochs  // entries durable, epoch files not written
		crashBeforeSending // all durable, nothing of Messages sent
		crashAfterSending  // learner: its ACKs are out; Advance not called
		crashPoints
	)
	crashAt := -1
	if s.opt.CrashRate > 0 && s.rng.Float64() < s.opt.CrashRate {
		crashAt = s.rng.IntN(crashPoints)
	}
	if crashAt == crashBeforeAll {
		s.crash(m, "before persisting")
		return false
	}
	// 0. The leader's broadcast PROPOSALs, and the COMMITs and INFORMs of
	// entries a quorum holds durably, go out before its own fsync.
	early := rd.Committed[:rd.CommittedEarly]
	earlyCommit := false
	for _, x := range rd.Early {
		p := x.Packet
		ok := m.leader != nil && p.Type == zab.Proposal ||
			m.learner != nil && (p.Type == zab.Request || p.Type == zab.Revalidate)
		if m.leader != nil && (p.Type == zab.Commit || p.Type == zab.Inform) {
			ok = slices.ContainsFunc(early, func(e zab.Entry) bool { return e.Zxid == p.Zxid })
			earlyCommit = true
		}
		if !ok {
			s.violate("member %d sends %s %#x ahead of persisting", m.id, zab.PacketName(p.Type), p.Zxid)
			continue
		}
		if m.learner != nil {
			s.send(m.id, x.To, nil, &p, m.conn, nil)
		} else if c, ok := s.leaderConn[m.id][x.To]; ok {
			s.tracef("%d->%d %s %#x early", m.id, x.To, zab.PacketName(p.Type), p.Zxid)
			s.send(m.id, x.To, nil, &p, c, nil)
		}
	}
	// 1. Commits of entries durable here before this Ready are applied
	// before its persist (they wait for no fsync of newer entries).
	if len(early) > 0 && (rd.HasSnapshot || rd.HasTruncate || rd.HasAcceptedEpoch || rd.HasCurrentEpoch) {
		s.violate("member %d applies commits ahead of a snapshot, truncation or epoch", m.id)
	}
	if len(early) > 0 && len(rd.Entries) > 0 {
		s.Stats["early-apply-before-fsync"]++
	}
	for _, e := range early {
		if !logged(m.log, e) {
			s.violate("member %d applies %#x early, before logging it", m.id, e.Zxid)
		}
		s.commit(m, e)
	}
	if len(rd.Entries) > 0 && (earlyCommit || len(early) > 0) && m.crashAfterEarlyCommit {
		m.crashAfterEarlyCommit = false
		s.Stats["crash-after-early-commit"]++
		s.crash(m, "sent or applied commits early, before its fsync")
		m.downUntil = 0 // down until the script restarts it
		return false
	}
	if (len(rd.Early) > 0 || len(early) > 0) && (crashAt == crashAfterEarly || m.crashBeforeFsync) {
		scripted := m.crashBeforeFsync
		m.crashBeforeFsync = false
		s.Stats["crash-before-fsync"]++
		if earlyCommit || len(early) > 0 {
			s.Stats["crash-after-early-commit"]++
		}
		s.crash(m, "sent PROPOSALs, before its fsync")
		if scripted {
			m.downUntil = 0 // down until the script restarts it
		}
		return false
	}
	// 2. Persist: snapshot, truncation, entries (fsync), then epochs.
	if rd.HasSnapshot {
		m.log = nil
		for _, e := range m.pendingSnap {
			if e.Zxid <= rd.SnapshotZxid {
				m.log = append(m.log, e)
			}
		}
		m.pendingSnap = nil
		m.lastApplied = lastZxid(m.log)
	}
	if rd.HasTruncate {
		i := sort.Search(len(m.log), func(i int) bool { return m.log[i].Zxid > rd.TruncateTo })
		if i < len(m.log) {
			m.log = m.log[:i:i]
			m.lastApplied = min(m.lastApplied, lastZxid(m.log)) // the driver reloads its tree
		}
	}
	for _, e := range rd.Entries {
		if e.Zxid <= lastZxid(m.log) {
			s.violate("member %d appends %#x after %#x", m.id, e.Zxid, lastZxid(m.log))
		}
		m.log = append(m.log, e)
	}
	if crashAt == crashBeforeEpochs {
		s.crash(m, "after logging, before epochs")
		return false
	}
	if rd.HasAcceptedEpoch {
		m.accepted = rd.AcceptedEpoch
	}
	if rd.HasCurrentEpoch {
		m.current = rd.CurrentEpoch
	}
	if m.accepted < m.current {
		s.violate("member %d acceptedEpoch %d < currentEpoch %d", m.id, m.accepted, m.current)
	}
	if crashAt == crashBeforeSending {
		s.crash(m, "persisted, before sending")
		return false
	}
	// 3. Apply the rest (a leader before sending, so a SNAP streams what
	// it applied; a learner after sending its ACKs, as the driver does).
	late := rd.Committed[rd.CommittedEarly:]
	isLeader := m.leader != nil
	if isLeader {
		for _, e := range late {
			s.commit(m, e)
		}
	}
	// 4. Send.
	ackedNewLeader, ackedProposal := false, false
	for _, x := range rd.Messages {
		p := x.Packet
		if m.leader != nil {
			c, ok := s.leaderConn[m.id][x.To]
			if !ok {
				continue
			}
			var snap []zab.Entry
			if x.Snapshot {
				for _, e := range m.log {
					if e.Zxid <= p.Zxid {
						snap = append(snap, e)
					}
				}
				if m.lastApplied < p.Zxid {
					s.violate("leader %d snapshots %#x with only %#x applied", m.id, p.Zxid, m.lastApplied)
				}
			}
			s.tracef("%d->%d %s %#x", m.id, x.To, zab.PacketName(p.Type), p.Zxid)
			switch p.Type {
			case zab.Diff, zab.Trunc, zab.Snap:
				s.Stats[zab.PacketName(p.Type)]++
			}
			s.send(m.id, x.To, nil, &p, c, snap)
		} else {
			if p.Type == zab.Ack && p.Zxid&0xffffffff == 0 && rd.HasCurrentEpoch {
				ackedNewLeader = true
			}
			if p.Type == zab.Ack && p.Zxid&0xffffffff != 0 {
				ackedProposal = true
			}
			s.send(m.id, x.To, nil, &p, m.conn, nil)
		}
	}
	if !isLeader {
		for _, e := range late {
			s.commit(m, e)
		}
	}
	for _, sid := range rd.Disconnect {
		if l := s.byID[sid]; l.learner != nil && l.attached && s.leaderConn[m.id][sid] == l.conn {
			l.learner.Disconnected()
		}
		delete(s.leaderConn[m.id], sid)
	}
	for _, r := range rd.Revalidations {
		m.leader.RevalidateReply(r.From, r.SessionID, true)
	}
	if rd.Established {
		s.established(m, rd.EstablishedZxid)
	}
	if rd.Done != nil {
		s.tracef("%d leaves its role: %v", m.id, rd.Done)
		s.endRole(m)
		m.lastApplied = lastZxid(m.log)
		m.el.Start(lastZxid(m.log), m.current)
		return false
	}
	if ackedNewLeader && m.crashOnAck {
		m.crashOnAck = false
		s.crash(m, "scripted, after ACKing NEWLEADER")
		return false
	}
	if ackedProposal && (m.crashOnProposalAck || crashAt == crashAfterSending) {
		scripted := m.crashOnProposalAck
		m.crashOnProposalAck = false
		s.Stats["crash-after-ack"]++
		s.crash(m, "after ACKing proposals")
		if scripted {
			m.downUntil = 0
		}
		return false
	}
	if crashAt == crashAfterSending {
		s.crash(m, "after sending")
		return false
	}
	return true
}

// commit checks and applies one committed txn at m.
func (s *Sim) commit(m *member, e zab.Entry) {
	if e.Zxid <= m.lastApplied {
		s.violate("member %d applies %#x after %#x", m.id, e.Zxid, m.lastApplied)
	}
	m.lastApplied = e.Zxid
	if m.leader != nil {
		// Nothing is applied before a quorum of voters has it durable.
		n := 0
		for _, v := range s.voters {
			if logged(s.byID[v].log, e) {
				n++
			}
		}
		if n <= len(s.voters)/2 {
			s.violate("leader %d commits %#x durable at %d of %d voters", m.id, e.Zxid, n, len(s.voters))
		}
		s.addHistory(e, m.id)
	} else if d, ok := s.hIndex[e.Zxid]; !ok || !bytes.Equal(d, e.Data) {
		s.violate("member %d applies %#x not committed by a leader", m.id, e.Zxid)
	}
	s.checkPrefix(m, e.Zxid)
	s.Commits++
}

// logged reports whether log holds e durably.
func logged(log []zab.Entry, e zab.Entry) bool {
	i := sort.Search(len(log), func(i int) bool { return log[i].Zxid >= e.Zxid })
	return i < len(log) && log[i].Zxid == e.Zxid && bytes.Equal(log[i].Data, e.Data)
}

func (s *Sim) addHistory(e zab.Entry, by int64) {
	if d, ok := s.hIndex[e.Zxid]; ok {
		if !bytes.Equal(d, e.Data) {
			s.violate("agreement: %#x committed twice with different data (by %d)", e.Zxid, by)
		}
		return
	}
	if len(s.history) > 0 && e.Zxid < s.history[len(s.history)-1].Zxid {
		s.violate("agreement: %#x committed below the committed prefix end %#x", e.Zxid, s.history[len(s.history)-1].Zxid)
	}
	s.history = append(s.history, e)
	s.hIndex[e.Zxid] = e.Data
}

// checkPrefix: m's log up to z must equal the committed history up to z.
func (s *Sim) checkPrefix(m *member, z int64) {
	i := 0
	for _, h := range s.history {
		if h.Zxid > z {
			break
		}
		if i >= len(m.log) || m.log[i].Zxid != h.Zxid || !bytes.Equal(m.log[i].Data, h.Data) {
			s.violate("member %d log is not the committed prefix at %#x (missing or different %#x)", m.id, z, h.Zxid)
			return
		}
		i++
	}
	if i < len(m.log) && m.log[i].Zxid <= z {
		s.violate("member %d log has uncommitted %#x at or below committed %#x", m.id, m.log[i].Zxid, z)
	}
}

func (s *Sim) established(m *member, z int64) {
	if m.leader != nil {
		ep := m.leader.Epoch()
		s.tracef("%d leads epoch %d from %#x", m.id, ep, z)
		if other, ok := s.epochLdr[ep]; ok && other != m.id {
			s.violate("two leaders for epoch %d: %d and %d", ep, other, m.id)
		}
		s.epochLdr[ep] = m.id
		m.el.UpdatePeerEpoch(ep) // as Leader.lead does (ZOOKEEPER-1732)
		s.Stats["leader"]++
		// No committed txn may be missing from the new leader's history.
		have := map[int64][]byte{}
		for _, e := range m.log {
			have[e.Zxid] = e.Data
		}
		for _, h := range s.history {
			if d, ok := have[h.Zxid]; !ok || !bytes.Equal(d, h.Data) {
				s.violate("lost committed txn %#x: leader %d of epoch %d lacks it", h.Zxid, m.id, ep)
			}
		}
		for _, e := range m.log {
			if e.Zxid <= z {
				s.addHistory(e, m.id)
			}
		}
		s.checkPrefix(m, z)
		return
	}
	s.tracef("%d is up to date with %d at %#x", m.id, m.leaderID, z)
	m.el.UpdatePeerEpoch(m.current)
	if len(s.history) > 0 {
		s.checkPrefix(m, min(z, s.history[len(s.history)-1].Zxid))
	}
}

// deliver hands one message to its receiver.
func (s *Sim) deliver(x *msg) {
	m := s.byID[x.to]
	if !m.up || s.cut[key(x.from, x.to)] {
		return
	}
	if x.election != nil {
		m.el.Step(x.from, *x.election)
		if !s.opt.Batch {
			s.drain(m)
		}
		return
	}
	var p proto.QuorumPacket
	if err := jute.Unmarshal(x.wire, &p); err != nil {
		s.violate("quorum packet codec: %v", err)
		return
	}
	if m.leader != nil {
		if p.Type == zab.FollowerInfo || p.Type == zab.ObserverInfo {
			s.leaderConn[m.id][x.from] = x.conn
			if l := s.byID[x.from]; l.learner != nil && l.conn == x.conn {
				l.attached = true
			}
		} else if s.leaderConn[m.id][x.from] != x.conn {
			return
		}
		m.leader.Step(x.from, p)
	} else if m.learner != nil && m.conn == x.conn && x.from == m.leaderID {
		if p.Type == zab.Snap {
			m.pendingSnap = x.snap
		}
		m.learner.Step(p)
	} else {
		return
	}
	if !s.opt.Batch {
		s.drain(m)
	}
}

// Step advances the simulation by one time unit.
func (s *Sim) Step() {
	s.now++
	// Deliver due messages in (time, seq) order, each taken off the queue
	// only as it is delivered: a crash part way hands what its member had
	// written over first (deliverWritten), in connection order.
	for {
		next := -1
		for i, x := range s.queue {
			if x.at <= s.now && (next < 0 || x.at < s.queue[next].at ||
				x.at == s.queue[next].at && x.seq < s.queue[next].seq) {
				next = i
			}
		}
		if next < 0 {
			break
		}
		x := s.queue[next]
		s.queue = slices.Delete(s.queue, next, next+1)
		s.deliver(x)
	}
	if s.now%s.opt.TickEvery == 0 {
		for _, m := range s.members {
			if !m.up {
				continue
			}
			m.el.Tick()
			if m.leader != nil {
				m.leader.Tick()
			}
			if m.learner != nil {
				m.learner.Tick()
			}
			s.drain(m)
		}
	}
	s.faults()
	if s.opt.WriteRate > 0 && s.rng.Float64() < s.opt.WriteRate {
		s.Write()
	}
	s.drainBatched()
}

// drainBatched does, with Batch, every member's work queued this step.
func (s *Sim) drainBatched() {
	if !s.opt.Batch {
		return
	}
	for _, m := range s.members {
		if m.up {
			s.drain(m)
		}
	}
}

func (s *Sim) faults() {
	for _, m := range s.members {
		if !m.up && m.downUntil > 0 && s.now >= m.downUntil {
			s.tracef("%d restarts", m.id)
			s.start(m)
		}
	}
	if s.opt.CrashRate > 0 && s.rng.Float64() < s.opt.CrashRate {
		m := s.members[s.rng.IntN(len(s.members))]
		if m.up {
			s.crash(m, "random")
		}
	}
	if s.opt.PartitionRate > 0 && s.rng.Float64() < s.opt.PartitionRate {
		if len(s.cut) > 0 && s.rng.IntN(2) == 0 {
			s.Heal()
		} else {
			a := s.members[s.rng.IntN(len(s.members))].id
			for _, m := range s.members {
				if m.id != a && s.rng.IntN(2) == 0 {
					s.Cut(a, m.id)
				}
			}
		}
	}
	if s.opt.DropRate > 0 && s.rng.Float64() < s.opt.DropRate {
		// A zab connection breaks (TCP loses nothing silently; it closes).
		m := s.members[s.rng.IntN(len(s.members))]
		if m.learner != nil && m.attached {
			s.breakConn(m)
		}
	}
}

func (s *Sim) breakConn(l *member) {
	s.tracef("connection %d-%d breaks", l.id, l.leaderID)
	if ld := s.byID[l.leaderID]; ld.leader != nil && s.leaderConn[ld.id][l.id] == l.conn {
		ld.leader.Disconnected(l.id)
		delete(s.leaderConn[ld.id], l.id)
	}
	l.learner.Disconnected()
	s.drain(l)
}

// Cut partitions a from b (both directions); open connections between them break.
func (s *Sim) Cut(a, b int64) {
	s.cut[key(a, b)] = true
	for _, p := range [][2]int64{{a, b}, {b, a}} {
		if l := s.byID[p[0]]; l.up && l.learner != nil && l.attached && l.leaderID == p[1] {
			s.breakConn(l)
		}
	}
}

// Heal removes every partition.
func (s *Sim) Heal() { clear(s.cut) }

// Write submits a client write at the established leader, if any.
func (s *Sim) Write() bool {
	for _, m := range s.members {
		if m.up && m.leader != nil && m.leader.Established() && m.leader.Outstanding() < 20 {
			z := m.leader.NextZxid()
			s.writes++
			data := fmt.Appendf(nil, "w%d@%d", s.writes, m.id)
			if err := m.leader.Propose(z, data); err == nil {
				s.tracef("%d proposes %#x", m.id, z)
			}
			if !s.opt.Batch {
				s.drain(m)
			}
			return true
		}
	}
	return false
}

// Leader returns the id of an established leader, or 0.
func (s *Sim) Leader() int64 {
	for _, m := range s.members {
		if m.up && m.leader != nil && m.leader.Established() {
			return m.id
		}
	}
	return 0
}

// RestartAll brings crashed members back and heals the network.
func (s *Sim) RestartAll() {
	s.Heal()
	for _, m := range s.members {
		if !m.up {
			s.start(m)
		}
	}
}

// Committed returns the committed history length.
func (s *Sim) Committed() int { return len(s.history) }

// Now returns the step count.
func (s *Sim) Now() int { return s.now }
