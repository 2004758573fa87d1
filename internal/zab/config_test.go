package zab

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

// pump passes messages between a leader and its learners until all are
// quiet, recording every NEWLEADER body each learner got and the
// configuration each learner's UPTODATE Ready reported.
type pump struct {
	leader    *Leader
	learners  map[int64]*Learner
	newLeader map[int64][]byte
	upToDate  map[int64][]byte
}

func (p *pump) run(t *testing.T) {
	t.Helper()
	for range 100 {
		busy := false
		if p.leader.HasReady() {
			busy = true
			rd := p.leader.Ready()
			p.leader.Advance()
			for _, m := range append(rd.Early, rd.Messages...) {
				if m.Packet.Type == NewLeaderPacket {
					p.newLeader[m.To] = m.Packet.Data
				}
				if l := p.learners[m.To]; l != nil {
					l.Step(m.Packet)
				}
			}
		}
		for id, l := range p.learners {
			if !l.HasReady() {
				continue
			}
			busy = true
			rd := l.Ready()
			l.Advance()
			if rd.Established {
				p.upToDate[id] = rd.LeaderConfig
			}
			for _, m := range rd.Messages {
				p.leader.Step(id, m.Packet)
			}
		}
		if !busy {
			return
		}
	}
	t.Fatal("the cores did not settle")
}

// TestNewLeaderCarriesConfiguration: NEWLEADER carries the leader's
// configuration text, made from the epoch when EpochConfigText is set
// (ZOOKEEPER-1783), and each learner reports it with UPTODATE; after a
// reconfig commits, a learner that syncs later gets the new text.
func TestNewLeaderCarriesConfiguration(t *testing.T) {
	l, err := NewLeader(LeaderConfig{
		ID: 1, Voters: []int64{1, 2, 3}, AcceptedEpoch: 0, CurrentEpoch: 0,
		ConfigText:      []byte("version=0"),
		EpochConfigText: func(epoch int64) []byte { return fmt.Appendf(nil, "version=%x", MakeZxid(epoch, 0)) },
	})
	require.NoError(t, err)
	p := &pump{leader: l, learners: map[int64]*Learner{
		2: NewLearner(LearnerConfig{ID: 2, Leader: 1}),
		3: NewLearner(LearnerConfig{ID: 3, Leader: 1}),
	}, newLeader: map[int64][]byte{}, upToDate: map[int64][]byte{}}
	p.run(t)
	require.True(t, l.Established())
	for _, id := range []int64{2, 3} {
		require.Equal(t, "version=100000000", string(p.newLeader[id]), "learner %d", id)
		require.Equal(t, "version=100000000", string(p.upToDate[id]), "learner %d", id)
	}

	// A reconfig that adds 4 commits; 4 then syncs and gets its text.
	hdr := proto.TxnHeader{Zxid: l.NextZxid(), Type: proto.OpReconfig}
	e := jute.NewEncoder(nil)
	proto.EncodeTxnEntry(e, &hdr, &proto.SetDataTxn{Path: "/zookeeper/config", Data: []byte("version=100000001"), Version: -1}, nil)
	txn := e.Bytes()
	require.NoError(t, l.ProposeReconfig(hdr.Zxid, txn, Membership{Voters: []int64{1, 2, 3, 4}, Text: []byte("version=100000001")}))
	p.run(t)
	require.Equal(t, []int64{1, 2, 3, 4}, l.Membership().Voters)
	p.learners[4] = NewLearner(LearnerConfig{ID: 4, Leader: 1})
	p.run(t)
	require.Equal(t, "version=100000001", string(p.upToDate[4]))
}

// TestLeaderCompletesLastSeenConfiguration: a leader whose log holds a
// reconfig it never saw committed sends that configuration in NEWLEADER,
// is established only once a quorum of each configuration acked, and then
// counts the new voters (Leader.lead and startZkServer).
func TestLeaderCompletesLastSeenConfiguration(t *testing.T) {
	next := &Membership{Voters: []int64{1, 4, 5}, Text: []byte("version=100000005")}
	l, err := NewLeader(LeaderConfig{
		ID: 1, Voters: []int64{1, 2, 3}, AcceptedEpoch: 1, CurrentEpoch: 1,
		ConfigText: []byte("version=0"), Next: next,
		EpochConfigText: func(int64) []byte { return []byte("not used with Next") },
	})
	require.NoError(t, err)
	p := &pump{leader: l, learners: map[int64]*Learner{
		2: NewLearner(LearnerConfig{ID: 2, Leader: 1, AcceptedEpoch: 1, CurrentEpoch: 1}),
		3: NewLearner(LearnerConfig{ID: 3, Leader: 1, AcceptedEpoch: 1, CurrentEpoch: 1}),
	}, newLeader: map[int64][]byte{}, upToDate: map[int64][]byte{}}
	p.run(t)
	require.False(t, l.Established(), "a quorum of the old voters alone is not enough")
	require.Equal(t, "version=100000005", string(p.newLeader[2]))
	require.Equal(t, []int64{1, 2, 3}, l.Membership().Voters)

	p.learners[4] = NewLearner(LearnerConfig{ID: 4, Leader: 1, AcceptedEpoch: 1, CurrentEpoch: 1})
	p.run(t)
	require.True(t, l.Established(), "1, 2, 3 and 4 acked: a quorum of both")
	require.Equal(t, []int64{1, 4, 5}, l.Membership().Voters)
	for _, id := range []int64{2, 3, 4} {
		require.Equal(t, "version=100000005", string(p.upToDate[id]), "learner %d", id)
	}
}

// TestLeaderOutsideLastSeenConfigurationStepsDown: once the configuration
// it completes is agreed, a leader that is not among its voters steps down
// and names the lowest new voter that acked NEWLEADER.
func TestLeaderOutsideLastSeenConfigurationStepsDown(t *testing.T) {
	l, err := NewLeader(LeaderConfig{
		ID: 1, Voters: []int64{1, 2, 3}, AcceptedEpoch: 1, CurrentEpoch: 1,
		Next: &Membership{Voters: []int64{2, 3, 4}, Text: []byte("version=100000005")},
	})
	require.NoError(t, err)
	p := &pump{leader: l, learners: map[int64]*Learner{
		3: NewLearner(LearnerConfig{ID: 3, Leader: 1, AcceptedEpoch: 1, CurrentEpoch: 1}),
		4: NewLearner(LearnerConfig{ID: 4, Leader: 1, AcceptedEpoch: 1, CurrentEpoch: 1}),
	}, newLeader: map[int64][]byte{}, upToDate: map[int64][]byte{}}
	var last Ready
	for range 100 {
		if !l.HasReady() {
			busy := false
			for id, ln := range p.learners {
				if ln.HasReady() {
					busy = true
					rd := ln.Ready()
					ln.Advance()
					for _, m := range rd.Messages {
						l.Step(id, m.Packet)
					}
				}
			}
			if !busy {
				break
			}
			continue
		}
		last = l.Ready()
		l.Advance()
		for _, m := range append(last.Early, last.Messages...) {
			if ln := p.learners[m.To]; ln != nil {
				ln.Step(m.Packet)
			}
		}
		if last.Done != nil {
			break
		}
	}
	require.ErrorIs(t, last.Done, ErrLeftConfig)
	require.True(t, last.Established)
	require.Equal(t, int64(3), last.Designated)
}

// TestLeaderStepsDownWithoutNewConfigurationQuorum: while a reconfig is
// in flight, a leader whose new voters have no synced quorum gives up the
// role, as Java's checks its last seen configuration each tick.
func TestLeaderStepsDownWithoutNewConfigurationQuorum(t *testing.T) {
	l, p := established(t)
	l.Tick()
	require.Nil(t, l.Ready().Done, "the old configuration is synced")

	hdr := proto.TxnHeader{Zxid: l.NextZxid(), Type: proto.OpReconfig}
	e := jute.NewEncoder(nil)
	proto.EncodeTxnEntry(e, &hdr, &proto.SetDataTxn{Path: "/zookeeper/config", Data: []byte("version=100000001"), Version: -1}, nil)
	require.NoError(t, l.ProposeReconfig(hdr.Zxid, e.Bytes(), Membership{Voters: []int64{1, 5, 6}}))
	p.run(t)
	require.Equal(t, 1, l.Outstanding(), "5 and 6 never acked")
	l.Tick()
	require.ErrorIs(t, l.Ready().Done, ErrQuorumLost)
}
