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

// A follower that missed more txns than the leader keeps in its committed
// log (zookeeper.commitLogCount, 500) is brought back with a snapshot when
// the txn log it would need is larger than a third of the leader's newest
// snapshot (zookeeper.snapshotSizeFactor 0.33). A small snapCount rolls the
// log every 50 to 100 txns, so the missed txns span several files, as
// they would after a long absence in production.
func TestEnsembleFollowerFarBehindSyncsBySnapshot(t *testing.T) {
	logs := newMemberLogs()
	ens := zktesting.StartEnsemble(t, 3, logs.option(), zktesting.WithMemberConfig(func(_ int64, c *server.Config) {
		c.SnapCount = 100
	}))
	leader := ens.WaitLeader(30 * time.Second)
	behind := followersOf(ens, leader)[0]

	c, _ := connectTo(t, []string{leader.Addr()})
	_, err := c.Create("/far", nil, 0, openACL)
	require.NoError(t, err)
	behind.Stop()
	const n = 600
	createMany(t, c, "/far", n, 16)
	_, err = c.Set("/far", []byte("last"), -1)
	require.NoError(t, err)

	behind.Restart()
	ens.WaitServing(60 * time.Second)
	zktesting.Eventually(t, 30*time.Second, func() bool { return behind.Role() == server.RoleFollower }, "the member follows again")
	assert.True(t, logs.has(behind.ID, "synced from the leader", "mode=SNAP"),
		"member %d synced without a snapshot; its sync lines: %q", behind.ID, logs.grep(behind.ID, "synced"))

	// Its own data, read without sync: everything before its restart.
	r, _ := connectTo(t, []string{behind.Addr()})
	data, _, err := r.Get("/far")
	require.NoError(t, err)
	assert.Equal(t, []byte("last"), data)
	kids, _, err := r.Children("/far")
	require.NoError(t, err)
	assert.Len(t, kids, n)
	data, _, err = r.Get("/far/n00599")
	require.NoError(t, err)
	assert.Equal(t, []byte("599"), data)

	// And it takes part in what follows.
	_, err = r.Create("/far/after", nil, 0, openACL)
	require.NoError(t, err)
}

// An old leader cut off from the others logs proposals no one else saw;
// when it comes back the new leader truncates them away (TRUNC), and
// every acknowledged write stays.
func TestEnsembleDivergedOldLeaderIsTruncated(t *testing.T) {
	logs := newMemberLogs()
	ens := zktesting.StartEnsemble(t, 3, logs.option())
	old := ens.WaitLeader(30 * time.Second)
	others := followersOf(ens, old)

	c, _ := connectTo(t, []string{old.Addr()})
	_, err := c.Create("/div", nil, 0, openACL)
	require.NoError(t, err)
	createMany(t, c, "/div", 20, 4)

	// Writers on the old leader only, racing the partition: whatever it
	// proposes after the cut can never be acknowledged.
	var acked, tried sync.Map
	var stop atomic.Bool
	var wg sync.WaitGroup
	var seq atomic.Int64
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				p := fmt.Sprintf("/div/w%06d", seq.Add(1))
				tried.Store(p, true)
				if _, err := c.Create(p, nil, 0, openACL); err == nil {
					acked.Store(p, true)
				} else if c.State() != zk.StateHasSession {
					return // the old leader stopped serving
				}
			}
		}()
	}
	zktesting.Eventually(t, 20*time.Second, func() bool { return seq.Load() > 50 }, "writes flowing")
	ens.Partition([]int64{old.ID}, idsOf(others))
	// Writes sent after the cut reach the old leader alone: it logs them,
	// no follower ever sees them, so they must be truncated. (A write in
	// flight at the cut may already be in a follower's log; the new epoch
	// then commits it, which Zab allows.)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := fmt.Sprintf("/div/late%06d", seq.Add(1))
			tried.Store(p, true)
			if _, err := c.Create(p, nil, 0, openACL); err == nil {
				acked.Store(p, true)
			}
		}()
	}
	zktesting.Eventually(t, 30*time.Second, func() bool {
		l := ens.Leader()
		return l != nil && l.ID != old.ID && old.Role() != server.RoleLeader
	}, "the majority elects a new leader and the old one steps down")
	stop.Store(true)
	wg.Wait()
	c.Close()

	// No write in the new epoch before the old leader is back: then its
	// extra txns sit past the new leader's last commit in the same epoch,
	// which is a TRUNC (across an epoch boundary it would be a SNAP).
	ens.Heal()
	ens.WaitServing(60 * time.Second)
	zktesting.Eventually(t, 30*time.Second, func() bool { return old.Role() == server.RoleFollower }, "the old leader follows")
	require.True(t, logs.has(old.ID, "applying logged txns before the new role"),
		"the old leader logged no txn beyond what it committed; lines: %q", logs.grep(old.ID, "txns"))
	assert.True(t, logs.has(old.ID, "synced from the leader", "mode=TRUNC"),
		"old leader %d was not truncated; its sync lines: %q", old.ID, logs.grep(old.ID, "synced"))

	want := syncedChildren(t, ens.Leader(), "/div")
	for _, m := range ens.Members {
		got := syncedChildren(t, m, "/div")
		assert.Equal(t, want, got, "member %d differs from the leader", m.ID)
		have := make(map[string]bool, len(got))
		for _, k := range got {
			have["/div/"+k] = true
		}
		acked.Range(func(k, _ any) bool {
			assert.True(t, have[k.(string)], "member %d lost acknowledged %s", m.ID, k)
			return true
		})
	}
	var unacked, gone int
	tried.Range(func(k, _ any) bool {
		if _, ok := acked.Load(k); !ok {
			unacked++
			found := false
			for _, kid := range want {
				found = found || "/div/"+kid == k.(string)
			}
			if !found {
				gone++
			}
		}
		return true
	})
	assert.Positive(t, gone, "some unacknowledged write of the old leader is gone (%d unacknowledged)", unacked)
	cc, _ := connectTo(t, []string{old.Addr()})
	_, err = cc.Create("/div/after-heal", nil, 0, openACL)
	require.NoError(t, err)
}

// An observer that was down catches up when it restarts, and then sees
// new writes.
func TestEnsembleObserverCatchesUpAfterRestart(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 4, zktesting.WithObservers(1))
	ens.WaitLeader(30 * time.Second)
	obs := ens.Members[3]
	zktesting.Eventually(t, 30*time.Second, func() bool { return obs.Role() == server.RoleObserver }, "observer observing")

	c, _ := connectTo(t, []string{ens.Members[0].Addr(), ens.Members[1].Addr(), ens.Members[2].Addr()})
	_, err := c.Create("/obs", nil, 0, openACL)
	require.NoError(t, err)
	obs.Stop()
	createMany(t, c, "/obs", 100, 8)
	obs.Restart()
	zktesting.Eventually(t, 30*time.Second, func() bool { return obs.Role() == server.RoleObserver }, "observer observing again")

	r, _ := connectTo(t, []string{obs.Addr()})
	kids, _, err := r.Children("/obs")
	require.NoError(t, err)
	assert.Len(t, kids, 100, "the observer has every write made while it was down")
	_, err = c.Create("/obs/later", []byte("x"), 0, openACL)
	require.NoError(t, err)
	_, err = r.Sync("/obs")
	require.NoError(t, err)
	data, _, err := r.Get("/obs/later")
	require.NoError(t, err)
	assert.Equal(t, []byte("x"), data)
}

// Clients on every member write while the leader is cut off from the
// majority; after healing every member holds the same data, including
// every acknowledged write.
func TestEnsembleLeaderPartitionedUnderLoad(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 3)
	leader := ens.WaitLeader(30 * time.Second)
	setup, _ := connectTo(t, ens.Servers())
	_, err := setup.Create("/pl", nil, 0, openACL)
	require.NoError(t, err)

	var acked sync.Map
	var nacked atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for i, m := range ens.Members {
		// Each client starts on its member and may fail over to the others.
		servers := append([]string{m.Addr()}, ens.Servers()...)
		c, _, err := zk.Connect(servers, 10*time.Second, zk.WithLogger(nopLogger{}))
		require.NoError(t, err)
		defer c.Close()
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; !stop.Load(); j++ {
					p := fmt.Sprintf("/pl/c%d-%d-%06d", i, w, j)
					if _, err := c.Create(p, nil, 0, openACL); err == nil {
						acked.Store(p, true)
						nacked.Add(1)
					}
				}
			}()
		}
	}
	zktesting.Eventually(t, 20*time.Second, func() bool { return nacked.Load() >= 50 }, "writes acknowledged before the partition")
	ens.Partition([]int64{leader.ID}, idsOf(followersOf(ens, leader)))
	zktesting.Eventually(t, 30*time.Second, func() bool {
		l := ens.Leader()
		return l != nil && l.ID != leader.ID && leader.Role() != server.RoleLeader
	}, "a new leader on the majority side")
	before := nacked.Load()
	zktesting.Eventually(t, 30*time.Second, func() bool { return nacked.Load() >= before+50 }, "writes acknowledged during the partition")
	ens.Heal()
	ens.WaitServing(60 * time.Second)
	after := nacked.Load()
	zktesting.Eventually(t, 30*time.Second, func() bool { return nacked.Load() >= after+20 }, "writes acknowledged after healing")
	stop.Store(true)
	wg.Wait()

	want := syncedChildren(t, ens.Leader(), "/pl")
	have := make(map[string]bool, len(want))
	for _, k := range want {
		have["/pl/"+k] = true
	}
	acked.Range(func(k, _ any) bool {
		assert.True(t, have[k.(string)], "acknowledged %s lost", k)
		return true
	})
	for _, m := range ens.Members {
		assert.Equal(t, want, syncedChildren(t, m, "/pl"), "member %d differs from the leader", m.ID)
	}
}

// A session's ephemerals go from every member when it expires, whichever
// member it was connected to: expired by the leader while connected to a
// follower, an observer or the leader itself, and timed out after its
// member died.
func TestEnsembleEphemeralsGoWhenSessionExpires(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 4, zktesting.WithObservers(1))
	leader := ens.WaitLeader(30 * time.Second)
	obs := ens.Members[3]
	zktesting.Eventually(t, 30*time.Second, func() bool { return obs.Role() == server.RoleObserver }, "observer observing")
	var follower *zktesting.Member
	for _, m := range ens.Members[:3] {
		if m != leader {
			follower = m
			break
		}
	}

	type owner struct {
		name string
		on   *zktesting.Member
		c    *zk.Conn
	}
	var owners []owner
	for _, o := range []struct {
		name string
		on   *zktesting.Member
	}{{"leader", leader}, {"follower", follower}, {"observer", obs}} {
		c, _ := connectTo(t, []string{o.on.Addr()})
		_, err := c.Create("/eph-"+o.name, []byte(o.name), zk.FlagEphemeral, openACL)
		require.NoError(t, err)
		owners = append(owners, owner{o.name, o.on, c})
	}
	// Watchers on every member see each ephemeral go.
	var watches []<-chan zk.Event
	for _, m := range ens.Members {
		w, _ := connectTo(t, []string{m.Addr()})
		_, err := w.Sync("/")
		require.NoError(t, err)
		for _, o := range owners {
			ok, _, ch, err := w.ExistsW("/eph-" + o.name)
			require.NoError(t, err)
			require.True(t, ok, "member %d sees /eph-%s", m.ID, o.name)
			watches = append(watches, ch)
		}
	}
	for _, o := range owners {
		ens.ExpireSession(o.c.SessionID())
	}
	for i, ch := range watches {
		select {
		case ev := <-ch:
			assert.Equal(t, zk.EventNodeDeleted, ev.Type, "watch %d", i)
		case <-time.After(timeout(20 * time.Second)):
			t.Fatalf("watch %d (member %d, %s) saw no deletion", i, ens.Members[i/len(owners)].ID, owners[i%len(owners)].name)
		}
	}

	// A session on a follower that dies: no member hears from it, so the
	// leader times it out and its ephemeral goes everywhere.
	c, _, err := zk.Connect([]string{follower.Addr()}, 2*time.Second, zk.WithLogger(nopLogger{}))
	require.NoError(t, err)
	defer c.Close()
	zktesting.Eventually(t, 10*time.Second, func() bool { return c.State() == zk.StateHasSession }, "session on the follower")
	_, err = c.Create("/eph-orphan", nil, zk.FlagEphemeral, openACL)
	require.NoError(t, err)
	follower.Stop()
	r, _ := connectTo(t, []string{leader.Addr(), obs.Addr()})
	zktesting.Eventually(t, 30*time.Second, func() bool {
		_, err := r.Sync("/")
		if err != nil {
			return false
		}
		ok, _, err := r.Exists("/eph-orphan")
		return err == nil && !ok
	}, "the orphaned ephemeral expires")
	follower.Restart()
	ens.WaitServing(60 * time.Second)
	for _, m := range ens.Members {
		kids := syncedChildren(t, m, "/")
		for _, k := range kids {
			assert.NotContains(t, k, "eph-", "member %d still has /%s", m.ID, k)
		}
	}
}

// After sync, a read on a follower sees every write acknowledged before
// the sync started, whichever member acknowledged it.
func TestEnsembleSyncThenReadSeesAcknowledgedWrites(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 3)
	leader := ens.WaitLeader(30 * time.Second)
	fs := followersOf(ens, leader)
	writers := []*zk.Conn{}
	for _, m := range []*zktesting.Member{leader, fs[0]} {
		w, _ := connectTo(t, []string{m.Addr()})
		writers = append(writers, w)
	}
	reader, _ := connectTo(t, []string{fs[1].Addr()})
	_, err := writers[0].Create("/fresh", []byte("0"), 0, openACL)
	require.NoError(t, err)
	for i := 1; i <= 200; i++ {
		w := writers[i%2]
		want := []byte(fmt.Sprint(i))
		_, err := w.Set("/fresh", want, -1)
		require.NoError(t, err)
		_, err = reader.Sync("/fresh")
		require.NoError(t, err)
		got, _, err := reader.Get("/fresh")
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), "read %d on member %d after sync", i, fs[1].ID)
	}
}
