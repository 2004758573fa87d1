package election

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// State is a peer's server state as carried in notifications.
type State int32

// Server states (QuorumPeer.ServerState ordinal on the wire).
const (
	Looking   State = 0
	Following State = 1
	Leading   State = 2
	Observing State = 3
)

func (s State) String() string {
	switch s {
	case Looking:
		return "LOOKING"
	case Following:
		return "FOLLOWING"
	case Leading:
		return "LEADING"
	case Observing:
		return "OBSERVING"
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// Vote is a proposal for leader: (Leader, Zxid, PeerEpoch) ranked by
// Better, plus the round (ElectionEpoch) it was cast in and the voter's state.
type Vote struct {
	Leader        int64
	Zxid          int64
	ElectionEpoch int64
	PeerEpoch     int64
	State         State
}

// Better reports whether the vote (id, zxid, epoch) beats cur, ordering by
// peer epoch, then zxid, then sid (FastLeaderElection.totalOrderPredicate).
// The weight check is the caller's: a non-voter never wins.
func Better(newID, newZxid, newEpoch, curID, curZxid, curEpoch int64) bool {
	if newEpoch != curEpoch {
		return newEpoch > curEpoch
	}
	if newZxid != curZxid {
		return newZxid > curZxid
	}
	return newID > curID
}

// sameVote is Vote.equals: LOOKING votes must match on every field; votes of
// peers out of election match on leader and peer epoch (ZOOKEEPER-1805).
func sameVote(a, b Vote) bool {
	if a.State == Looking || b.State == Looking {
		return a.Leader == b.Leader && a.Zxid == b.Zxid &&
			a.ElectionEpoch == b.ElectionEpoch && a.PeerEpoch == b.PeerEpoch
	}
	return a.Leader == b.Leader && a.PeerEpoch == b.PeerEpoch
}

// Config configures an Election. Intervals are in ticks; the caller picks
// the tick length (TicksFor converts).
type Config struct {
	ID        int64
	Voters    []int64 // voting members (participants), including ID if it votes
	Observers []int64 // non-voting members
	// ConfigText is the QuorumVerifier text put in every notification.
	ConfigText []byte
	// FinalizeWait: how long to wait for a better vote once a quorum agrees
	// (Java: 200 ms). MinNotification/MaxNotification: the resend timeout
	// range, doubling from min to max (Java: 200 ms → 60 s).
	FinalizeWait    int
	MinNotification int
	MaxNotification int
}

// Defaults in ticks for a 50 ms election tick.
const (
	DefaultFinalizeWait    = 4
	DefaultMinNotification = 4
	DefaultMaxNotification = 1200
)

// Message is a notification to send to one peer.
type Message struct {
	To int64
	Notification
}

// Decision is the outcome of a round.
type Decision struct {
	Vote       // Leader, Zxid, ElectionEpoch (the round decided), PeerEpoch
	Role State // Leading, Following or Observing for this peer
}

// Ready is what the caller must do after Step/Tick: send Messages (no
// persistence is needed; election state is in memory only), then act on
// Decision if it is not nil, then call Advance.
type Ready struct {
	Messages []Message
	Decision *Decision
}

// Errors.
var (
	ErrNotMember = errors.New("election: my id is neither a voter nor an observer")
	ErrNoVoters  = errors.New("election: no voters configured")
)

// Election is one peer's Fast Leader Election state machine. It is not safe
// for concurrent use; one goroutine owns it.
type Election struct {
	cfg      Config
	voters   map[int64]bool
	observer bool
	outsider bool // in neither voters nor observers: votes for no one, follows

	state        State
	logicalclock int64
	proposal     Vote // proposedLeader, proposedZxid, proposedEpoch
	current      Vote // the vote reported once out of election
	initZxid     int64
	initEpoch    int64

	recvset       map[int64]Vote
	outofelection map[int64]Vote

	notTimeout int // current resend timeout
	sinceRecv  int // ticks since the last notification (or resend)

	finalizing bool // a quorum agreed; waiting FinalizeWait for better
	finalTicks int

	msgs     []Message
	decision *Decision
}

// New returns an Election in the LOOKING state; call Start to begin a round.
func New(cfg Config) (*Election, error) {
	if len(cfg.Voters) == 0 {
		return nil, ErrNoVoters
	}
	if cfg.FinalizeWait <= 0 {
		cfg.FinalizeWait = DefaultFinalizeWait
	}
	if cfg.MinNotification <= 0 {
		cfg.MinNotification = DefaultMinNotification
	}
	if cfg.MaxNotification < cfg.MinNotification {
		cfg.MaxNotification = max(DefaultMaxNotification, cfg.MinNotification)
	}
	e := &Election{cfg: cfg, voters: map[int64]bool{}}
	for _, v := range cfg.Voters {
		e.voters[v] = true
	}
	if !e.voters[cfg.ID] {
		if !slices.Contains(cfg.Observers, cfg.ID) {
			return nil, ErrNotMember
		}
		e.observer = true
	}
	e.state = Looking
	e.current = Vote{Leader: math.MinInt64, Zxid: math.MinInt64, PeerEpoch: math.MinInt64, State: Looking}
	return e, nil
}

// State returns this peer's state.
func (e *Election) State() State { return e.state }

// LogicalClock returns the current round.
func (e *Election) LogicalClock() int64 { return e.logicalclock }

// CurrentVote is the vote reported to LOOKING peers once out of election.
func (e *Election) CurrentVote() Vote { return e.current }

// Start begins a new round (lookForLeader) from this peer's last logged zxid
// and currentEpoch: it increments the logical clock and votes for itself.
func (e *Election) Start(lastLoggedZxid, currentEpoch int64) {
	e.state = Looking
	e.logicalclock++
	if e.observer || e.outsider {
		e.initZxid, e.initEpoch = math.MinInt64, math.MinInt64
	} else {
		e.initZxid, e.initEpoch = lastLoggedZxid, currentEpoch
	}
	e.proposal = Vote{Leader: e.initID(), Zxid: e.initZxid, PeerEpoch: e.initEpoch}
	e.recvset = map[int64]Vote{}
	e.outofelection = map[int64]Vote{}
	e.notTimeout = e.cfg.MinNotification
	e.sinceRecv = 0
	e.finalizing = false
	e.decision = nil
	e.sendNotifications()
}

// UpdatePeerEpoch refreshes the reported vote once the peer has synced with
// its leader, so late joiners see the same vote from everyone (ZOOKEEPER-1732).
func (e *Election) UpdatePeerEpoch(epoch int64) { e.current.PeerEpoch = epoch }

func (e *Election) initID() int64 {
	if e.observer || e.outsider {
		return math.MinInt64
	}
	return e.cfg.ID
}

func (e *Election) better(newID, newZxid, newEpoch, curID, curZxid, curEpoch int64) bool {
	if !e.voters[newID] { // weight 0
		return false
	}
	return Better(newID, newZxid, newEpoch, curID, curZxid, curEpoch)
}

func (e *Election) send(to int64, v Vote, round int64, st State) {
	e.msgs = append(e.msgs, Message{To: to, Notification: Notification{
		State: st, Leader: v.Leader, Zxid: v.Zxid, ElectionEpoch: round,
		PeerEpoch: v.PeerEpoch, Version: NotificationVersion, Config: e.cfg.ConfigText,
	}})
}

func (e *Election) sendNotifications() {
	for _, sid := range e.cfg.Voters {
		e.send(sid, e.proposal, e.logicalclock, Looking)
	}
}

// Tick advances time by one tick: resend on a notification timeout
// (doubling), and decide when FinalizeWait passes with nothing better.
func (e *Election) Tick() {
	if e.state != Looking {
		return
	}
	if e.finalizing {
		e.finalTicks++
		if e.finalTicks >= e.cfg.FinalizeWait {
			e.finish(e.proposal.Leader, Vote{Leader: e.proposal.Leader, Zxid: e.proposal.Zxid,
				ElectionEpoch: e.logicalclock, PeerEpoch: e.proposal.PeerEpoch})
		}
		return
	}
	e.sinceRecv++
	if e.sinceRecv >= e.notTimeout {
		e.sinceRecv = 0
		e.sendNotifications()
		e.notTimeout = min(e.notTimeout*2, e.cfg.MaxNotification)
	}
}

// Step delivers a notification received from peer from.
func (e *Election) Step(from int64, n Notification) {
	// WorkerReceiver: a non-voting sender always gets my current vote.
	if !e.voters[from] {
		v, round := e.current, e.logicalclock
		if e.state == Looking {
			v = e.proposal
		}
		e.send(from, v, round, e.state)
		return
	}
	if e.state != Looking {
		// Out of election: tell a LOOKING peer who leads.
		if n.State == Looking {
			e.send(from, e.current, e.current.ElectionEpoch, e.state)
		}
		return
	}
	if n.State == Looking && n.ElectionEpoch < e.logicalclock {
		e.send(from, e.proposal, e.logicalclock, Looking)
	}
	if e.finalizing {
		// Java drains the queue for finalizeWait: anything not better is
		// dropped; a better vote ends the wait and is processed normally.
		if !e.better(n.Leader, n.Zxid, n.PeerEpoch, e.proposal.Leader, e.proposal.Zxid, e.proposal.PeerEpoch) {
			e.finalTicks = 0
			return
		}
		e.finalizing = false
	}
	e.sinceRecv = 0
	if !e.voters[n.Leader] {
		return // vote for a non-member: ignored (validVoter)
	}
	switch n.State {
	case Looking:
		e.lookingNotification(from, n)
	case Following, Leading:
		e.followingNotification(from, n)
	case Observing:
	}
}

func (e *Election) lookingNotification(from int64, n Notification) {
	if e.initZxid == -1 || n.Zxid == -1 {
		return
	}
	switch {
	case n.ElectionEpoch > e.logicalclock:
		e.logicalclock = n.ElectionEpoch
		clear(e.recvset)
		if e.better(n.Leader, n.Zxid, n.PeerEpoch, e.initID(), e.initZxid, e.initEpoch) {
			e.proposal = Vote{Leader: n.Leader, Zxid: n.Zxid, PeerEpoch: n.PeerEpoch}
		} else {
			e.proposal = Vote{Leader: e.initID(), Zxid: e.initZxid, PeerEpoch: e.initEpoch}
		}
		e.sendNotifications()
	case n.ElectionEpoch < e.logicalclock:
		return
	case e.better(n.Leader, n.Zxid, n.PeerEpoch, e.proposal.Leader, e.proposal.Zxid, e.proposal.PeerEpoch):
		e.proposal = Vote{Leader: n.Leader, Zxid: n.Zxid, PeerEpoch: n.PeerEpoch}
		e.sendNotifications()
	}
	e.recvset[from] = Vote{Leader: n.Leader, Zxid: n.Zxid, ElectionEpoch: n.ElectionEpoch, PeerEpoch: n.PeerEpoch, State: Looking}
	mine := Vote{Leader: e.proposal.Leader, Zxid: e.proposal.Zxid, ElectionEpoch: e.logicalclock, PeerEpoch: e.proposal.PeerEpoch, State: Looking}
	if e.hasQuorum(e.recvset, mine) {
		e.finalizing = true
		e.finalTicks = 0
	}
}

func (e *Election) followingNotification(from int64, n Notification) {
	v := Vote{Leader: n.Leader, Zxid: n.Zxid, ElectionEpoch: n.ElectionEpoch, PeerEpoch: n.PeerEpoch, State: n.State}
	if n.ElectionEpoch == e.logicalclock {
		e.recvset[from] = v
		if e.hasQuorum(e.recvset, v) && e.checkLeader(e.recvset, n.Leader, n.ElectionEpoch) {
			e.finish(n.Leader, Vote{Leader: n.Leader, Zxid: n.Zxid, ElectionEpoch: n.ElectionEpoch, PeerEpoch: n.PeerEpoch})
			return
		}
	}
	// Join an established ensemble only if a quorum follows the same leader.
	e.outofelection[from] = v
	if e.hasQuorum(e.outofelection, v) && e.checkLeader(e.outofelection, n.Leader, n.ElectionEpoch) {
		e.logicalclock = n.ElectionEpoch
		e.finish(n.Leader, Vote{Leader: n.Leader, Zxid: n.Zxid, ElectionEpoch: n.ElectionEpoch, PeerEpoch: n.PeerEpoch})
	}
}

// hasQuorum counts voters whose vote equals v; a strict majority of voters wins.
func (e *Election) hasQuorum(votes map[int64]Vote, v Vote) bool {
	n := 0
	for sid, w := range votes {
		if e.voters[sid] && sameVote(v, w) {
			n++
		}
	}
	return n > len(e.voters)/2
}

// checkLeader: another leader must itself have said LEADING; I may only
// lead in the round I am in.
func (e *Election) checkLeader(votes map[int64]Vote, leader, round int64) bool {
	if leader != e.cfg.ID {
		v, ok := votes[leader]
		return ok && v.State == Leading
	}
	return e.logicalclock == round
}

func (e *Election) finish(leader int64, v Vote) {
	role := Following
	switch {
	case leader == e.cfg.ID:
		role = Leading
	case e.observer:
		role = Observing
	}
	e.state = role
	e.finalizing = false
	v.State = role
	e.current = v
	e.decision = &Decision{Vote: v, Role: role}
}

// Designate decides for leader without an election: a committed reconfig
// named it the leader of the new configuration (QuorumPeer.updateVote),
// so this peer goes straight to its role and answers LOOKING peers with
// that vote: the decided round and peer epoch stay, so every member
// reports the same vote to a late joiner. zxid is the reconfig's.
func (e *Election) Designate(leader, zxid int64) Decision {
	e.finish(leader, Vote{Leader: leader, Zxid: zxid, ElectionEpoch: e.current.ElectionEpoch, PeerEpoch: e.current.PeerEpoch})
	d := *e.decision
	e.decision = nil
	return d
}

// HasReady reports whether Ready has anything.
func (e *Election) HasReady() bool { return len(e.msgs) > 0 || e.decision != nil }

// Ready returns the pending output. Call Advance after acting on it.
func (e *Election) Ready() Ready { return Ready{Messages: e.msgs, Decision: e.decision} }

// Advance clears the output handed out by Ready.
func (e *Election) Advance() {
	e.msgs = nil
	e.decision = nil
}

// SetConfig switches the election to a new configuration (a committed
// reconfig): the voters whose votes count, the observers, and the text
// sent in notifications. It fails with ErrNotMember, changing nothing, when
// the configuration leaves this server out.
func (e *Election) SetConfig(voters, observers []int64, configText []byte) error {
	if len(voters) == 0 {
		return ErrNoVoters
	}
	observer := false
	if !slices.Contains(voters, e.cfg.ID) {
		if !slices.Contains(observers, e.cfg.ID) {
			return ErrNotMember
		}
		observer = true
	}
	e.setConfig(voters, observers, configText, observer, false)
	return nil
}

// SetOutsideConfig switches the election to a configuration that leaves
// this server out, learnt from another member's notification (a joiner
// started before the reconfig that adds it, or a member a reconfig
// removed): it votes for no one and, once a quorum of the configuration's
// voters follows a leader, follows that leader as a participant without a
// vote, as ZooKeeper's QuorumPeer does after processReconfig.
func (e *Election) SetOutsideConfig(voters, observers []int64, configText []byte) error {
	if len(voters) == 0 {
		return ErrNoVoters
	}
	if slices.Contains(voters, e.cfg.ID) || slices.Contains(observers, e.cfg.ID) {
		return e.SetConfig(voters, observers, configText)
	}
	e.setConfig(voters, observers, configText, false, true)
	return nil
}

func (e *Election) setConfig(voters, observers []int64, configText []byte, observer, outsider bool) {
	vs := make(map[int64]bool, len(voters))
	for _, v := range voters {
		vs[v] = true
	}
	e.cfg.Voters = slices.Clone(voters)
	e.cfg.Observers = slices.Clone(observers)
	e.cfg.ConfigText = slices.Clone(configText)
	e.voters, e.observer, e.outsider = vs, observer, outsider
}
