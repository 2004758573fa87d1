package quorum

import (
	"encoding/binary"
	"sync/atomic"
	"time"

	"github.com/zkit-go/zkit/internal/engine"
	"github.com/zkit-go/zkit/internal/metrics"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/zab"
)

// roleStats is a member's quorum statistics, the ones ZooKeeper keeps in
// its Leader, QuorumPeer and ServerMetrics: the peer loop writes them
// (plain atomic stores and adds, never a lock), and each role's engine
// reports them through its metrics registry (attach). They live with the
// peer, so counters and summaries run across roles as Java's static
// ServerMetrics do; the leader's gauges describe the current leadership.
type roleStats struct {
	// Leader gauges, published by the leader loop after each batch.
	learners, syncedFollowers, syncedNonVoting, syncedObservers, pendingSyncs atomic.Int64
	// leaderStart is when this member's leader engine started serving
	// (Unix ns), 0 while it is not leading (Leader.getUptime).
	leaderStart atomic.Int64
	// Proposal sizes of the current leadership (Leader's ProposalStats:
	// -1 before the first).
	lastProposal, minProposal, maxProposal atomic.Int64
	quorumSize                             atomic.Int64

	proposals, commits               metrics.Counter // leader: Leader.propose, Leader.commit
	learnerProposals, learnerCommits metrics.Counter // learner: Follower.processPacket
	looking                          metrics.Counter // elections started
	revalidations                    metrics.Counter // leader: REVALIDATEs from learners
	diffs, snaps                     metrics.Counter // leader: learners synced by DIFF, by SNAP

	electionTime, followerSyncTime, observerSyncTime *metrics.Summary // ms
	// The log's group commit, as standalone's log loop reports it
	// (SyncRequestProcessor, in every mode): fsync time in ms, entries
	// per fsync, and entries queued to the log.
	fsyncTime, syncBatch *metrics.Summary
	syncQueued           metrics.Counter
	// unavailableTime and leaderUnavailableTime: from a role's end (or
	// the start) until the next role serves (QuorumPeer's
	// unavailableStartTime, recorded at ZabState BROADCAST), in ms.
	unavailableTime, leaderUnavailableTime *metrics.Summary
	// Txn latencies: from the txn header's time (the leader's wall clock
	// when it made the txn) to this member's proposal receipt (learner),
	// durable log entry (its ACK), commit by a quorum (leader) or commit
	// received (learner); advanced, as Java's.
	proposalLatency, ackCreationLatency, quorumAckLatency, commitPropagationLatency *metrics.Summary

	// Owned by the peer loop.
	lookingSince, syncSince time.Time
	// unavailableSince is when this member stopped serving a role; read
	// by attach, which the peer loop calls too.
	unavailableSince time.Time
}

func newRoleStats() *roleStats {
	s := &roleStats{
		electionTime:     metrics.NewSummary(metrics.Basic),
		followerSyncTime: metrics.NewSummary(metrics.Basic),
		observerSyncTime: metrics.NewSummary(metrics.Basic),
		fsyncTime:        metrics.NewSummary(metrics.Basic),
		syncBatch:        metrics.NewSummary(metrics.Basic),

		unavailableTime:       metrics.NewSummary(metrics.Basic),
		leaderUnavailableTime: metrics.NewSummary(metrics.Basic),

		proposalLatency:          metrics.NewSummary(metrics.Advanced),
		ackCreationLatency:       metrics.NewSummary(metrics.Advanced),
		quorumAckLatency:         metrics.NewSummary(metrics.Advanced),
		commitPropagationLatency: metrics.NewSummary(metrics.Advanced),
	}
	s.resetProposalSizes()
	return s
}

func (s *roleStats) resetProposalSizes() {
	s.lastProposal.Store(-1)
	s.minProposal.Store(-1)
	s.maxProposal.Store(-1)
}

// unavailable: the peer loop starts a role (or looks for one); the member
// is unavailable from the first such moment until a role serves.
func (s *roleStats) unavailable() {
	if s.unavailableSince.IsZero() {
		s.unavailableSince = time.Now()
	}
}

// available: a role serves (ZabState BROADCAST).
func (s *roleStats) available(role engine.Role) {
	if s.unavailableSince.IsZero() {
		return
	}
	d := time.Since(s.unavailableSince).Milliseconds()
	s.unavailableTime.Observe(d)
	if role == engine.RoleLeader {
		s.leaderUnavailableTime.Observe(d)
	}
	s.unavailableSince = time.Time{}
}

// startLooking: an election starts (QuorumPeer's LOOKING case).
func (s *roleStats) startLooking() {
	s.looking.Inc()
	s.lookingSince = time.Now()
}

// elected: the election decided (QuorumPeer's ELECTION_TIME).
func (s *roleStats) elected() {
	s.electionTime.Observe(time.Since(s.lookingSince).Milliseconds())
}

// startLeading resets what describes one leadership.
func (s *roleStats) startLeading() {
	s.resetProposalSizes()
	s.leaderStart.Store(0)
}

// stopLeading: the leader role ended; its gauges read 0 until the next.
func (s *roleStats) stopLeading() {
	s.leaderStart.Store(0)
	s.publishLearners(zab.LearnerCounts{})
}

func (s *roleStats) publishLearners(c zab.LearnerCounts) {
	s.learners.Store(int64(c.Learners))
	s.syncedFollowers.Store(int64(c.SyncedFollowers))
	s.syncedNonVoting.Store(int64(c.SyncedNonVoting))
	s.syncedObservers.Store(int64(c.SyncedObservers))
	s.pendingSyncs.Store(int64(c.PendingSyncs))
}

// proposed records a proposal of size bytes (the PROPOSAL body).
func (s *roleStats) proposed(size int) {
	s.proposals.Inc()
	n := int64(size)
	s.lastProposal.Store(n)
	if cur := s.minProposal.Load(); cur == -1 || n < cur {
		s.minProposal.Store(n) // the peer loop is the only writer
	}
	if n > s.maxProposal.Load() {
		s.maxProposal.Store(n)
	}
}

// sentToLearner counts the sync modes the leader chose.
func (s *roleStats) sentToLearner(m zab.Message) {
	switch m.Packet.Type {
	case zab.Diff:
		s.diffs.Inc()
	case zab.Snap:
		s.snaps.Inc()
	}
}

// learnerReceived counts a packet a learner got from its leader once
// synced (Follower.processPacket).
func (s *roleStats) learnerReceived(p proto.QuorumPacket) {
	switch p.Type {
	case zab.Proposal:
		s.learnerProposals.Inc()
		observeTxnLatency(s.proposalLatency, p.Data)
	case zab.Commit:
		s.learnerCommits.Inc()
	}
}

// logSynced: the peer loop appended n entries and fsync'd them in d.
func (s *roleStats) logSynced(n int, d time.Duration) {
	s.fsyncTime.Observe(d.Milliseconds())
	s.syncBatch.Observe(int64(n))
	s.syncQueued.Add(int64(n))
}

// logged: entries are durable in the log and acknowledged
// (SendAckRequestProcessor, AckRequestProcessor).
func (s *roleStats) logged(entries []zab.Entry) {
	for _, e := range entries {
		observeTxnLatency(s.ackCreationLatency, e.Data)
	}
}

// quorumAcked: the leader committed entries a quorum acknowledged.
func (s *roleStats) quorumAcked(entries []zab.Entry) {
	for _, e := range entries {
		observeTxnLatency(s.quorumAckLatency, e.Data)
	}
}

// commitPropagated: a serving learner got entries' commits.
func (s *roleStats) commitPropagated(entries []zab.Entry) {
	for _, e := range entries {
		observeTxnLatency(s.commitPropagationLatency, e.Data)
	}
}

// observeTxnLatency records the time since a txn's header time (wall
// clock, ms, at bytes 20..28 of a PROPOSAL body: clientId, cxid and zxid
// come first), skipping a negative one (clock drift), as
// Request.logLatency does.
func observeTxnLatency(sum *metrics.Summary, txn []byte) {
	if len(txn) < 28 {
		return
	}
	made := int64(binary.BigEndian.Uint64(txn[20:28]))
	if d := time.Now().UnixMilli() - made; d >= 0 {
		sum.Observe(d)
	}
}

// synced: a learner finished its sync and serves (Follower's and
// Observer's sync time, from the leader connection).
func (s *roleStats) synced(observer bool) {
	d := time.Since(s.syncSince).Milliseconds()
	if observer {
		s.observerSyncTime.Observe(d)
	} else {
		s.followerSyncTime.Observe(d)
	}
}

// attach reports the statistics in a new role engine's registry: the
// member-wide counters and summaries in every role, quorum_size as a
// QuorumZooKeeperServer does, and the leader's gauges on a leader
// (LeaderZooKeeperServer.registerMetrics).
func (s *roleStats) attach(eng *engine.Engine, role engine.Role) {
	m := eng.Metrics()
	for name, c := range map[string]*metrics.Counter{
		"proposal_count": &s.proposals, "commit_count": &s.commits,
		"learner_proposal_received_count": &s.learnerProposals, "learner_commit_received_count": &s.learnerCommits,
		"looking_count": &s.looking, "diff_count": &s.diffs, "snap_count": &s.snaps,
		"revalidate_count": &s.revalidations, "sync_processor_request_queued": &s.syncQueued,
	} {
		m.AttachCounter(name, c)
	}
	m.AttachSummary("election_time", s.electionTime)
	m.AttachSummary("fsynctime", s.fsyncTime)
	m.AttachSummary("sync_processor_batch_size", s.syncBatch)
	m.AttachSummary("follower_sync_time", s.followerSyncTime)
	m.AttachSummary("observer_sync_time", s.observerSyncTime)
	m.AttachSummary("unavailable_time", s.unavailableTime)
	m.AttachSummary("leader_unavailable_time", s.leaderUnavailableTime)
	m.AttachSummary("proposal_latency", s.proposalLatency)
	m.AttachSummary("proposal_ack_creation_latency", s.ackCreationLatency)
	m.AttachSummary("quorum_ack_latency", s.quorumAckLatency)
	m.AttachSummary("commit_propagation_latency", s.commitPropagationLatency)
	if role == engine.RoleReadOnly {
		return // a ReadOnlyZooKeeperServer is no QuorumZooKeeperServer
	}
	s.available(role)
	gauge := func(name string, v *atomic.Int64) {
		m.Gauge(name, func() metrics.Value { return metrics.Int(v.Load()) })
	}
	gauge("quorum_size", &s.quorumSize)
	if role != engine.RoleLeader {
		return
	}
	s.leaderStart.Store(time.Now().UnixNano())
	gauge("learners", &s.learners)
	gauge("synced_followers", &s.syncedFollowers)
	gauge("synced_non_voting_followers", &s.syncedNonVoting)
	gauge("synced_observers", &s.syncedObservers)
	gauge("pending_syncs", &s.pendingSyncs)
	m.Gauge("leader_uptime", func() metrics.Value {
		start := s.leaderStart.Load()
		if start == 0 {
			return metrics.Int(0)
		}
		return metrics.Int(time.Since(time.Unix(0, start)).Milliseconds())
	})
	gauge("last_proposal_size", &s.lastProposal)
	gauge("max_proposal_size", &s.maxProposal)
	gauge("min_proposal_size", &s.minProposal)
}
