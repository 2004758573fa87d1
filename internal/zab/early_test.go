package zab

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/proto"
)

// established returns a leader with learners 2 and 3 synced and serving.
func established(t *testing.T) (*Leader, *pump) {
	t.Helper()
	l, err := NewLeader(LeaderConfig{ID: 1, Voters: []int64{1, 2, 3}})
	require.NoError(t, err)
	p := &pump{leader: l, learners: map[int64]*Learner{
		2: NewLearner(LearnerConfig{ID: 2, Leader: 1}),
		3: NewLearner(LearnerConfig{ID: 3, Leader: 1}),
	}, newLeader: map[int64][]byte{}, upToDate: map[int64][]byte{}}
	p.run(t)
	require.True(t, l.Established())
	return l, p
}

// TestProposalsGoEarlyAndCountAtAdvance: a broadcast PROPOSAL is in Early
// (sent before the leader's fsync), and the leader's own ACK counts only at
// Advance: one follower's ACK before it commits nothing.
func TestProposalsGoEarlyAndCountAtAdvance(t *testing.T) {
	l, _ := established(t)
	z := l.NextZxid()
	require.NoError(t, l.Propose(z, []byte("txn")))
	rd := l.Ready()
	require.Equal(t, []Entry{{Zxid: z, Data: []byte("txn")}}, rd.Entries)
	require.Empty(t, rd.Messages)
	require.Len(t, rd.Early, 2)
	for _, m := range rd.Early {
		require.Equal(t, Proposal, m.Packet.Type)
		require.Equal(t, z, m.Packet.Zxid)
	}
	// Learner 2 fsyncs first and ACKs; the leader's copy is not durable
	// until Advance, so nothing commits yet (Step comes after Advance in a
	// driver; the core alone must not count itself early either).
	l.Step(2, proto.QuorumPacket{Type: Ack, Zxid: z})
	require.Empty(t, l.Ready().Committed)
	require.Equal(t, 1, l.Outstanding())
	l.Advance() // the leader's entries are durable: its ACK + 2's = quorum
	rd = l.Ready()
	require.Equal(t, []Entry{{Zxid: z, Data: []byte("txn")}}, rd.Committed)
	require.Zero(t, l.Outstanding())
}

// TestEarlyKeepsConnectionOrder: a learner that already has a message in
// the Ready's Messages (a PING) gets its COMMIT and PROPOSAL after it, in
// Messages, never ahead of it; the others get theirs in Early, COMMIT
// before PROPOSAL as the core made them.
func TestEarlyKeepsConnectionOrder(t *testing.T) {
	l, _ := established(t)
	z1 := l.NextZxid()
	require.NoError(t, l.Propose(z1, []byte("a")))
	l.Advance()
	l.Tick()                                           // PINGs to 2 and 3, in Messages
	l.Advance()                                        // (sent)
	l.Step(2, proto.QuorumPacket{Type: Ack, Zxid: z1}) // commits z1
	require.NoError(t, l.Propose(l.NextZxid(), []byte("b")))
	rd := l.Ready()
	require.Equal(t, 1, rd.CommittedEarly)
	types := func(msgs []Message, to int64) (ts []int32) {
		for _, m := range msgs {
			if m.To == to {
				ts = append(ts, m.Packet.Type)
			}
		}
		return ts
	}
	require.Equal(t, []int32{Commit, Proposal}, types(rd.Early, 2))
	require.Equal(t, []int32{Commit, Proposal}, types(rd.Early, 3))
	require.Empty(t, rd.Messages)
	l.Advance()

	z3 := l.NextZxid()
	require.NoError(t, l.Propose(z3, []byte("c")))
	l.Advance()
	l.Tick() // a PING to each learner in Messages, ahead of what follows
	l.Step(3, proto.QuorumPacket{Type: Ack, Zxid: l.LastProposed() - 1})
	l.Step(3, proto.QuorumPacket{Type: Ack, Zxid: z3})
	require.NoError(t, l.Propose(l.NextZxid(), []byte("d")))
	rd = l.Ready()
	require.Empty(t, rd.Early, "both learners have a PING queued ahead")
	require.Equal(t, []int32{Ping, Commit, Commit, Proposal}, types(rd.Messages, 2))
	require.Equal(t, 2, rd.CommittedEarly, "the apply goes early all the same")
}

// TestCommitNeedsTheLeadersDurableCopy: the leader commits only what its
// own log holds durably, even when the followers' ACKs alone make a
// quorum; so every Committed entry was durable here before its Ready,
// and its COMMITs go out in Early, ahead of the Ready's own fsync.
func TestCommitNeedsTheLeadersDurableCopy(t *testing.T) {
	l, err := NewLeader(LeaderConfig{ID: 1, Voters: []int64{1, 2, 3, 4, 5}})
	require.NoError(t, err)
	learners := map[int64]*Learner{}
	for id := int64(2); id <= 5; id++ {
		learners[id] = NewLearner(LearnerConfig{ID: id, Leader: 1})
	}
	p := &pump{leader: l, learners: learners, newLeader: map[int64][]byte{}, upToDate: map[int64][]byte{}}
	p.run(t)
	require.True(t, l.Established())

	z := l.NextZxid()
	require.NoError(t, l.Propose(z, []byte("txn")))
	for id := int64(2); id <= 4; id++ { // a quorum of followers, before the leader's fsync
		l.Step(id, proto.QuorumPacket{Type: Ack, Zxid: z})
	}
	rd := l.Ready()
	require.Empty(t, rd.Committed, "not durable at the leader yet")
	require.Equal(t, 1, l.Outstanding())
	l.Advance()
	rd = l.Ready()
	require.Equal(t, []Entry{{Zxid: z, Data: []byte("txn")}}, rd.Committed)
	require.Equal(t, 1, rd.CommittedEarly)
	require.Len(t, rd.Early, 4)
	for _, m := range rd.Early {
		require.Equal(t, Commit, m.Packet.Type)
	}
	require.Empty(t, rd.Messages)
}

// TestLearnerAppliesDurableCommitsEarly: a COMMIT for an entry logged in
// an earlier Ready may be applied before this Ready's persist; one for an
// entry logged in this Ready, and everything after it, waits for it.
func TestLearnerAppliesDurableCommitsEarly(t *testing.T) {
	l, p := established(t)
	f := p.learners[2]
	z1 := l.NextZxid()
	f.Step(proto.QuorumPacket{Type: Proposal, Zxid: z1, Data: []byte("a")})
	require.Zero(t, f.Ready().CommittedEarly)
	f.Advance() // z1 durable
	z2, z3 := z1+1, z1+2
	f.Step(proto.QuorumPacket{Type: Proposal, Zxid: z2, Data: []byte("b")})
	f.Step(proto.QuorumPacket{Type: Commit, Zxid: z1})
	f.Step(proto.QuorumPacket{Type: Commit, Zxid: z2})
	f.Step(proto.QuorumPacket{Type: Proposal, Zxid: z3, Data: []byte("c")})
	rd := f.Ready()
	require.Equal(t, []Entry{{Zxid: z2, Data: []byte("b")}, {Zxid: z3, Data: []byte("c")}}, rd.Entries)
	require.Equal(t, []Entry{{Zxid: z1, Data: []byte("a")}, {Zxid: z2, Data: []byte("b")}}, rd.Committed)
	require.Equal(t, 1, rd.CommittedEarly, "z1 was durable before this Ready, z2 is logged by it")
	f.Advance()
	f.Step(proto.QuorumPacket{Type: Commit, Zxid: z3})
	rd = f.Ready()
	require.Equal(t, 1, rd.CommittedEarly)
}

// TestLearnerForwardsEarly: a serving learner's forwarded request goes in
// Early, ahead of the ACKs that wait for its fsync, in the order forwarded.
func TestLearnerForwardsEarly(t *testing.T) {
	l, p := established(t)
	f := p.learners[2]
	f.Step(proto.QuorumPacket{Type: Proposal, Zxid: l.NextZxid(), Data: []byte("a")})
	f.Forward([]byte("r1"), nil)
	f.Revalidate(7, 3000)
	f.Forward([]byte("r2"), nil)
	rd := f.Ready()
	require.Len(t, rd.Messages, 1)
	require.Equal(t, Ack, rd.Messages[0].Packet.Type)
	require.Len(t, rd.Early, 3)
	require.Equal(t, []int32{Request, Revalidate, Request}, []int32{rd.Early[0].Packet.Type, rd.Early[1].Packet.Type, rd.Early[2].Packet.Type})
	require.Equal(t, []byte("r2"), rd.Early[2].Packet.Data)
}
