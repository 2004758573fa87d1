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
// the Ready gets the PROPOSAL after it, in Messages, never ahead of it.
func TestEarlyKeepsConnectionOrder(t *testing.T) {
	l, _ := established(t)
	z1 := l.NextZxid()
	require.NoError(t, l.Propose(z1, []byte("a")))
	l.Advance()
	l.Step(2, proto.QuorumPacket{Type: Ack, Zxid: z1}) // commits z1: COMMIT to 2 and 3
	z2 := l.NextZxid()
	require.NoError(t, l.Propose(z2, []byte("b")))
	rd := l.Ready()
	require.Empty(t, rd.Early, "both learners have a COMMIT queued ahead")
	var order []int32
	for _, m := range rd.Messages {
		if m.To == 2 {
			order = append(order, m.Packet.Type)
		}
	}
	require.Equal(t, []int32{Commit, Proposal}, order)
	l.Advance()
	z3 := l.NextZxid()
	require.NoError(t, l.Propose(z3, []byte("c")))
	require.Len(t, l.Ready().Early, 2, "a fresh Ready sends PROPOSALs early again")
}
