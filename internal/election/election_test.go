package election

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type peerState struct {
	zxid, epoch int64
	down        bool
}

type envelope struct {
	from int64
	Message
}

// electNet runs elections over an in-memory network, shuffling delivery
// order with a seed, until every live peer decides or the step budget ends.
func electNet(t *testing.T, seed uint64, voters, observers []int64, st map[int64]*peerState) map[int64]Decision {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed))
	es := map[int64]*Election{}
	for _, id := range append(append([]int64{}, voters...), observers...) {
		if st[id] != nil && st[id].down {
			continue
		}
		e, err := New(Config{ID: id, Voters: voters, Observers: observers})
		require.NoError(t, err)
		var z, ep int64
		if st[id] != nil {
			z, ep = st[id].zxid, st[id].epoch
		}
		e.Start(z, ep)
		es[id] = e
	}
	got := map[int64]Decision{}
	var queue []envelope
	drain := func() {
		for id, e := range es {
			if !e.HasReady() {
				continue
			}
			rd := e.Ready()
			for _, m := range rd.Messages {
				queue = append(queue, envelope{from: id, Message: m})
			}
			if rd.Decision != nil {
				got[id] = *rd.Decision
			}
			e.Advance()
		}
	}
	for step := 0; step < 20000 && len(got) < len(es); step++ {
		drain()
		if len(queue) == 0 || rng.IntN(8) == 0 {
			for _, e := range es {
				e.Tick()
			}
			continue
		}
		i := rng.IntN(len(queue))
		m := queue[i]
		queue = append(queue[:i], queue[i+1:]...)
		if e := es[m.To]; e != nil {
			e.Step(m.from, m.Notification)
		}
	}
	drain()
	return got
}

func TestElectHighest(t *testing.T) {
	cases := []struct {
		name   string
		st     map[int64]*peerState
		leader int64
	}{
		{"fresh: highest sid", map[int64]*peerState{}, 3},
		{"highest zxid", map[int64]*peerState{1: {zxid: 0x100000009, epoch: 1}, 2: {zxid: 0x100000003, epoch: 1}, 3: {zxid: 0x100000003, epoch: 1}}, 1},
		{"epoch before zxid", map[int64]*peerState{1: {zxid: 0x100000009, epoch: 1}, 2: {zxid: 0x200000001, epoch: 2}, 3: {zxid: 0x100000003, epoch: 1}}, 2},
		{"one down", map[int64]*peerState{3: {down: true}}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for seed := uint64(0); seed < 20; seed++ {
				got := electNet(t, seed, []int64{1, 2, 3}, nil, c.st)
				live := 0
				for id := int64(1); id <= 3; id++ {
					if c.st[id] == nil || !c.st[id].down {
						live++
					}
				}
				require.Len(t, got, live, "seed %d", seed)
				for id, d := range got {
					assert.Equal(t, c.leader, d.Leader, "seed %d peer %d", seed, id)
					want := Following
					if id == c.leader {
						want = Leading
					}
					assert.Equal(t, want, d.Role)
				}
			}
		})
	}
}

func TestObserverLearnsLeader(t *testing.T) {
	for seed := uint64(0); seed < 10; seed++ {
		got := electNet(t, seed, []int64{1, 2, 3}, []int64{9}, map[int64]*peerState{})
		require.Contains(t, got, int64(9), "seed %d", seed)
		assert.Equal(t, Observing, got[9].Role)
		assert.Equal(t, int64(3), got[9].Leader)
	}
}

// A peer that restarts while the ensemble runs joins the established leader
// through outofelection, even from a higher round.
func TestJoinEstablished(t *testing.T) {
	voters := []int64{1, 2, 3}
	mk := func(id int64) *Election {
		e, err := New(Config{ID: id, Voters: voters})
		require.NoError(t, err)
		return e
	}
	e1 := mk(1)
	e1.Start(0x100000005, 1)
	e1.Advance()
	leading := Notification{State: Leading, Leader: 3, Zxid: 0x100000005, ElectionEpoch: 1, PeerEpoch: 1, Version: 2}
	following := leading
	following.State = Following
	e1.Step(2, following)
	assert.Nil(t, e1.Ready().Decision, "one follower is not a quorum with checkLeader")
	e1.Step(3, leading)
	d := e1.Ready().Decision
	require.NotNil(t, d)
	assert.Equal(t, int64(3), d.Leader)
	assert.Equal(t, Following, d.Role)
	assert.Equal(t, int64(1), e1.LogicalClock())
	e1.Advance()

	// Now out of election: a LOOKING peer gets the decided vote back.
	e1.Step(2, Notification{State: Looking, Leader: 2, ElectionEpoch: 7})
	rd := e1.Ready()
	require.Len(t, rd.Messages, 1)
	assert.Equal(t, Following, rd.Messages[0].State)
	assert.Equal(t, int64(3), rd.Messages[0].Leader)
}

func TestFinalizeWaitAndBackoff(t *testing.T) {
	e, err := New(Config{ID: 1, Voters: []int64{1, 2, 3}, FinalizeWait: 3, MinNotification: 2, MaxNotification: 5})
	require.NoError(t, err)
	e.Start(0, 0)
	assert.Len(t, e.Ready().Messages, 3)
	e.Advance()
	// Backoff: resend after 2, then 4, then 5, 5 ticks.
	var resends []int
	for i := 1; i <= 20; i++ {
		e.Tick()
		if e.HasReady() {
			resends = append(resends, i)
			e.Advance()
		}
	}
	assert.Equal(t, []int{2, 6, 11, 16}, resends)

	// Quorum for 2 (2 and 3 both vote 2... my own vote arrives by loopback).
	v := Notification{State: Looking, Leader: 2, Zxid: 0, ElectionEpoch: 1, PeerEpoch: 0}
	e.Step(2, v) // better than me: adopt and resend
	e.Step(1, v) // my own resent vote looped back
	e.Advance()
	assert.Nil(t, e.Ready().Decision)
	e.Tick()
	e.Tick()
	assert.Nil(t, e.Ready().Decision)
	// A better vote during finalizeWait restarts the work.
	e.Step(3, Notification{State: Looking, Leader: 3, Zxid: 0, ElectionEpoch: 1, PeerEpoch: 0})
	e.Advance()
	for range 3 {
		e.Tick()
	}
	assert.Nil(t, e.Ready().Decision, "3's vote alone is no quorum")
}

func TestNotMember(t *testing.T) {
	_, err := New(Config{ID: 5, Voters: []int64{1, 2, 3}})
	assert.ErrorIs(t, err, ErrNotMember)
	_, err = New(Config{ID: 5})
	assert.ErrorIs(t, err, ErrNoVoters)
}

func TestIgnoresMinusOneZxid(t *testing.T) {
	e, err := New(Config{ID: 1, Voters: []int64{1, 2, 3}})
	require.NoError(t, err)
	e.Start(5, 0)
	e.Advance()
	e.Step(3, Notification{State: Looking, Leader: 3, Zxid: -1, ElectionEpoch: 1})
	assert.False(t, e.HasReady())
}

func BenchmarkDecodeNotification(b *testing.B) {
	p := AppendNotification(nil, Notification{State: Looking, Leader: 1, Config: make([]byte, 100)})
	b.ReportAllocs()
	for b.Loop() {
		_, _ = DecodeNotification(p)
	}
}

// A server a configuration leaves out (a joiner that learnt the current
// configuration from a notification) votes for no one and follows the
// leader a quorum of that configuration's voters follows, as a
// participant: it decides Following, not Observing.
func TestOutsiderFollowsEstablishedLeader(t *testing.T) {
	e, err := New(Config{ID: 2, Voters: []int64{1, 2}})
	require.NoError(t, err)
	require.NoError(t, e.SetOutsideConfig([]int64{1}, nil, []byte("server.1=h:1:2:participant\nversion=100000000")))
	e.Start(0, 0)
	for _, m := range e.Ready().Messages {
		assert.Equal(t, int64(1), m.To)
		assert.Equal(t, int64(math.MinInt64), m.Leader, "an outsider votes for no one")
	}
	e.Advance()
	e.Step(1, Notification{State: Leading, Leader: 1, Zxid: 0x100000000, ElectionEpoch: 1, PeerEpoch: 1, Version: 2})
	d := e.Ready().Decision
	require.NotNil(t, d)
	assert.Equal(t, int64(1), d.Leader)
	assert.Equal(t, Following, d.Role)

	require.NoError(t, e.SetOutsideConfig([]int64{1, 2}, nil, nil), "a configuration that lists it makes it a voter again")
	assert.False(t, e.outsider)
}
