package server_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

func connectTo(t *testing.T, servers []string) (*zk.Conn, <-chan zk.Event) {
	t.Helper()
	c, ev, err := zk.Connect(servers, 10*time.Second, zk.WithLogger(nopLogger{}))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	waitState(t, ev, zk.StateHasSession)
	return c, ev
}

func TestEnsembleElectsOneLeaderAndReplicates(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 3)
	leader := ens.WaitLeader(30 * time.Second)
	var leaders, followers int
	for _, m := range ens.Members {
		switch m.Role() {
		case server.RoleLeader:
			leaders++
		case server.RoleFollower:
			followers++
		}
	}
	assert.Equal(t, 1, leaders)
	assert.Equal(t, 2, followers)

	// Write through a follower, read through every member after sync.
	var follower *zktesting.Member
	for _, m := range ens.Members {
		if m != leader {
			follower = m
			break
		}
	}
	c, _ := connectTo(t, []string{follower.Addr()})
	for i := 0; i < 20; i++ {
		_, err := c.Create(fmt.Sprintf("/r%02d", i), []byte(fmt.Sprint(i)), 0, openACL)
		require.NoError(t, err)
	}
	_, err := c.Create("/eph", nil, zk.FlagEphemeral, openACL)
	require.NoError(t, err)
	for _, m := range ens.Members {
		r, _ := connectTo(t, []string{m.Addr()})
		_, err := r.Sync("/")
		require.NoError(t, err)
		data, _, err := r.Get("/r19")
		require.NoError(t, err, "member %d", m.ID)
		assert.Equal(t, []byte("19"), data)
		_, st, err := r.Exists("/eph")
		require.NoError(t, err)
		assert.Equal(t, c.SessionID(), st.EphemeralOwner)
	}
	srvr := leader.Server().FourLetterWord("srvr")
	assert.Contains(t, srvr, "Mode: leader")
}

func TestEnsembleClientFailsOverKeepingSession(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 3)
	leader := ens.WaitLeader(30 * time.Second)
	var follower *zktesting.Member
	for _, m := range ens.Members {
		if m != leader {
			follower = m
			break
		}
	}
	// The client knows every member but is on the follower first.
	servers := append([]string{follower.Addr()}, ens.Servers()...)
	c, _, err := zk.Connect(servers, 10*time.Second, zk.WithLogger(nopLogger{}))
	require.NoError(t, err)
	defer c.Close()
	zktesting.Eventually(t, 10*time.Second, func() bool { return c.State() == zk.StateHasSession }, "session")
	sid := c.SessionID()
	_, err = c.Create("/mine", nil, zk.FlagEphemeral, openACL)
	require.NoError(t, err)
	follower.Stop()
	zktesting.Eventually(t, 30*time.Second, func() bool {
		ok, _, err := c.Exists("/mine")
		return err == nil && ok
	}, "client back on another member with its ephemeral")
	assert.Equal(t, sid, c.SessionID(), "the session moved, not replaced")
	follower.Restart()
	ens.WaitServing(60 * time.Second)
}

func TestEnsembleLeaderKilledUnderLoadLosesNothing(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 3)
	leader := ens.WaitLeader(30 * time.Second)
	c, _, err := zk.Connect(ens.Servers(), 10*time.Second, zk.WithLogger(nopLogger{}))
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Create("/load", nil, 0, openACL)
	require.NoError(t, err)

	var acked sync.Map
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				p := fmt.Sprintf("/load/w%d-%05d", w, i)
				if _, err := c.Create(p, nil, 0, openACL); err == nil {
					acked.Store(p, true)
				}
			}
		}(w)
	}
	zktesting.Eventually(t, 20*time.Second, func() bool {
		n := 0
		acked.Range(func(any, any) bool { n++; return n < 50 })
		return n >= 50
	}, "some writes acknowledged")
	leader.Kill()
	newLeader := ens.WaitLeader(30 * time.Second)
	require.NotEqual(t, leader.ID, newLeader.ID)
	// Writes go on under the new leader.
	zktesting.Eventually(t, 30*time.Second, func() bool {
		_, err := c.Create(fmt.Sprintf("/load/after-%d", time.Now().UnixNano()), nil, 0, openACL)
		return err == nil
	}, "writes accepted under the new leader")
	stop.Store(true)
	wg.Wait()
	leader.Restart()
	ens.WaitServing(60 * time.Second)
	for _, m := range ens.Members {
		r, _ := connectTo(t, []string{m.Addr()})
		_, err := r.Sync("/load")
		require.NoError(t, err)
		var missing []string
		acked.Range(func(k, _ any) bool {
			ok, _, err := r.Exists(k.(string))
			if err != nil || !ok {
				missing = append(missing, fmt.Sprintf("%s(err=%v)", k, err))
			}
			return true
		})
		assert.Empty(t, missing, "member %d (%s, old leader %d) lost acknowledged writes", m.ID, m.Role(), leader.ID)
	}
}

func TestEnsemblePartitionedLeaderStepsDown(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 3)
	leader := ens.WaitLeader(30 * time.Second)
	var others []int64
	for _, m := range ens.Members {
		if m != leader {
			others = append(others, m.ID)
		}
	}
	ens.Partition([]int64{leader.ID}, others)
	zktesting.Eventually(t, 30*time.Second, func() bool {
		l := ens.Leader()
		return l != nil && l.ID != leader.ID && leader.Role() != server.RoleLeader
	}, "the majority elects a new leader and the old one steps down")
	ens.Heal()
	ens.WaitServing(60 * time.Second)
	c, _ := connectTo(t, []string{leader.Addr()})
	_, err := c.Create("/after-heal", nil, 0, openACL)
	require.NoError(t, err)
}

func TestEnsembleWithObserver(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 4, zktesting.WithObservers(1))
	ens.WaitLeader(30 * time.Second)
	obs := ens.Members[3]
	zktesting.Eventually(t, 30*time.Second, func() bool { return obs.Role() == server.RoleObserver }, "observer observing")
	c, _ := connectTo(t, []string{obs.Addr()})
	_, err := c.Create("/via-observer", []byte("o"), 0, openACL)
	require.NoError(t, err)
	data, _, err := c.Get("/via-observer")
	require.NoError(t, err)
	assert.Equal(t, []byte("o"), data)
}
