package server_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// TestConfigNodeHoldsEnsembleConfig: every member's /zookeeper/config holds
// the ensemble's QuorumVerifier text, with the stat Java 3.8 shows for it
// (checked against a three-member Java ensemble: "server.N=host:qport:eport:
// participant[;clientHost:clientPort]" lines, then "version=0"; dataVersion
// -1, aclVersion -1, mZxid 0).
func TestConfigNodeHoldsEnsembleConfig(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 3)
	var want strings.Builder
	for _, m := range ens.Members {
		qs := m.Server().Config().Servers[m.ID-1]
		fmt.Fprintf(&want, "server.%d=%s:%d:%d:participant;%s\n", qs.ID, qs.Host, qs.QuorumPort, qs.ElectionPort, qs.ClientAddress)
	}
	want.WriteString("version=0")
	for _, m := range ens.Members {
		c, _ := connectTo(t, []string{m.Addr()})
		data, st, err := c.Get("/zookeeper/config")
		require.NoError(t, err, "member %d", m.ID)
		require.Equal(t, want.String(), string(data), "member %d", m.ID)
		require.Equal(t, int32(-1), st.Version)
		require.Equal(t, int32(-1), st.Aversion)
		require.Equal(t, int64(0), st.Mzxid)
		require.Equal(t, int64(0), st.Czxid)
		c.Close()
	}
}

// reconfigOpts enables reconfig and a super user (super:test) on every
// member, as a Java ensemble would need for zkCli's reconfig.
func reconfigOpts() zktesting.EnsembleOption {
	return zktesting.WithMemberConfig(func(id int64, c *server.Config) {
		c.ReconfigEnabled = true
		c.SuperDigest = "super:D/InIHSb7yEEbrWz8b9l71RjZJU="
	})
}

func superConn(t *testing.T, servers []string) *zk.Conn {
	t.Helper()
	c, _ := connectTo(t, servers)
	require.NoError(t, c.AddAuth("digest", []byte("super:test")))
	return c
}

func waitFor(t *testing.T, d time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout(d))
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// configOn reads /zookeeper/config on one member after a sync.
func configOn(t *testing.T, addr string) (string, *zk.Stat) {
	t.Helper()
	c, _ := connectTo(t, []string{addr})
	defer c.Close()
	_, err := c.Sync("/zookeeper/config")
	require.NoError(t, err)
	data, st, err := c.Get("/zookeeper/config")
	require.NoError(t, err)
	return string(data), st
}

func TestReconfigDisabledByDefault(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 3)
	c := superConn(t, ens.Servers())
	defer c.Close()
	_, err := c.IncrementalReconfig(nil, []string{"3"}, -1)
	require.ErrorIs(t, err, zk.ErrReconfigDisabled)
}

func TestReconfigChecks(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 3, reconfigOpts())
	plain, _ := connectTo(t, ens.Servers())
	defer plain.Close()
	_, err := plain.IncrementalReconfig(nil, []string{"3"}, -1)
	require.ErrorIs(t, err, zk.ErrNoAuth, "only super (or WRITE on /zookeeper/config) may reconfig")

	c := superConn(t, ens.Servers())
	defer c.Close()
	_, err = c.IncrementalReconfig(nil, []string{"3"}, 0x7777)
	require.ErrorIs(t, err, zk.ErrBadVersion, "curConfigId must be the last seen version")
	_, err = c.IncrementalReconfig([]string{"server.9=127.0.0.1:1:2"}, nil, -1)
	require.ErrorIs(t, err, zk.ErrBadArguments, "a joiner needs a client port")
	_, err = c.IncrementalReconfig([]string{"server.8=127.0.0.1:4:5:participant;6", "server.9=127.0.0.1:1:2:participant;3"}, []string{"1"}, -1)
	require.ErrorContains(t, err, "-13", "the new voters need a synced quorum")
	_, err = c.Reconfig([]string{"server.1=127.0.0.1:1:2:participant;3"}, -1)
	require.ErrorIs(t, err, zk.ErrBadArguments, "at least 2 voters")
	// Nothing changed: the configuration still has the version the first
	// leader gave it, its NEWLEADER zxid (as Java 3.8 does with reconfig
	// enabled, ZOOKEEPER-1783).
	data, _ := configOn(t, ens.Members[0].Addr())
	require.True(t, strings.HasSuffix(data, "\nversion=100000000"), data)
}

// TestReconfigAddAndRemoveUnderLoad adds a fourth member to a running
// three-member ensemble and then removes a follower, while a client
// writes: no acknowledged write is lost, every member's /zookeeper/config
// shows the final membership with its version (the reconfig txn's zxid),
// the removed member keeps following without a vote (as in ZooKeeper),
// and the new configuration decides the quorum: with the removed member
// and one more follower down, writes still commit (the old four-member
// configuration would have no quorum).
func TestReconfigAddAndRemoveUnderLoad(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 3, reconfigOpts())
	w, _ := connectTo(t, ens.Servers())
	defer w.Close()
	_, err := w.Create("/load", nil, 0, zk.WorldACL(zk.PermAll))
	require.NoError(t, err)

	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			p, err := w.Create("/load/n-", nil, zk.FlagSequence, zk.WorldACL(zk.PermAll))
			if err == nil {
				mu.Lock()
				acked = append(acked, p)
				mu.Unlock()
			}
		}
	}()

	m4 := ens.AddMember()
	waitFor(t, 60*time.Second, "member 4 to serve", func() bool { return m4.Role() == server.RoleFollower })

	leader := ens.WaitLeader(timeout(30 * time.Second))
	c := superConn(t, []string{leader.Addr()})
	defer c.Close()
	st, err := c.IncrementalReconfig([]string{m4.ServerSpec()}, nil, -1)
	require.NoError(t, err)
	v1 := st.Mzxid
	require.NotZero(t, v1)
	data, gst := configOn(t, m4.Addr())
	require.Contains(t, data, m4.ServerSpec()+"\n")
	require.True(t, strings.HasSuffix(data, "version="+strconv.FormatInt(v1, 16)), data)
	require.Equal(t, v1, gst.Mzxid)
	require.Equal(t, int32(-1), gst.Version)

	// Remove a follower among the first three.
	var gone *zktesting.Member
	for _, m := range ens.Members[:3] {
		if m.ID != leader.ID {
			gone = m
			break
		}
	}
	st, err = c.IncrementalReconfig(nil, []string{strconv.FormatInt(gone.ID, 10)}, v1)
	require.NoError(t, err)
	v2 := st.Mzxid

	mu.Lock()
	n := len(acked)
	mu.Unlock()
	waitFor(t, 30*time.Second, "more writes after the reconfigs", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) > n+20
	})
	close(stop)
	<-done

	var want string
	for _, m := range ens.Members {
		var data string
		waitFor(t, 30*time.Second, fmt.Sprintf("member %d to activate the removal", m.ID), func() bool {
			data, _ = configOn(t, m.Addr())
			return strings.HasSuffix(data, "version="+strconv.FormatInt(v2, 16))
		})
		require.NotContains(t, data, fmt.Sprintf("server.%d=", gone.ID), "member %d", m.ID)
		require.Contains(t, data, fmt.Sprintf("server.%d=", m4.ID))
		if want == "" {
			want = data
		}
		require.Equal(t, want, data, "member %d", m.ID)
		kids := syncedChildren(t, m, "/load")
		have := make(map[string]bool, len(kids))
		for _, k := range kids {
			have["/load/"+k] = true
		}
		mu.Lock()
		for _, p := range acked {
			require.True(t, have[p], "member %d lost acknowledged %s", m.ID, p)
		}
		mu.Unlock()
	}

	// Two of the old configuration's four down, one of the new one's three.
	var other *zktesting.Member
	for _, m := range ens.Members {
		if m.ID != leader.ID && m.ID != gone.ID {
			other = m
			break
		}
	}
	gone.Stop()
	other.Stop()
	lc, _ := connectTo(t, []string{leader.Addr()})
	_, err = lc.Create("/after-removal", nil, 0, zk.WorldACL(zk.PermAll))
	require.NoError(t, err, "the new configuration's quorum commits without the removed member")
}

// TestReconfigRemoveLeader removes the leader: it commits the new
// configuration and hands over to the member it designates, and every
// acknowledged write is kept.
func TestReconfigRemoveLeader(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 3, reconfigOpts())
	leader := ens.WaitLeader(timeout(30 * time.Second))
	var rest []string
	for _, m := range ens.Members {
		if m.ID != leader.ID {
			rest = append(rest, m.Addr())
		}
	}
	w, _ := connectTo(t, rest)
	defer w.Close()
	for i := 0; i < 20; i++ {
		_, err := w.Create(fmt.Sprintf("/k%d", i), nil, 0, zk.WorldACL(zk.PermAll))
		require.NoError(t, err)
	}
	c := superConn(t, rest)
	defer c.Close()
	// Every member's role ends at this commit (the leader's is gone), so
	// the reply may be lost with the connection, as with ZooKeeper; the
	// configuration below shows whether it committed.
	_, err := c.IncrementalReconfig(nil, []string{strconv.FormatInt(leader.ID, 10)}, -1)
	if err != nil {
		require.ErrorIs(t, err, zk.ErrConnectionClosed)
	}
	// The leader hands over to a voter of the new configuration that acked
	// the reconfig, without an election (Leader.getDesignatedLeader): both
	// others acked it and nothing came after, so the lower id leads, where
	// an election between two equal logs would pick the higher one. The
	// old leader follows it without a vote, as Java's does.
	designated := int64(0)
	for _, m := range ens.Members {
		if m.ID != leader.ID && (designated == 0 || m.ID < designated) {
			designated = m.ID
		}
	}
	waitFor(t, 30*time.Second, "the designated member to lead", func() bool {
		return ens.Members[designated-1].Role() == server.RoleLeader
	})
	waitFor(t, 30*time.Second, "the old leader to follow", func() bool {
		return leader.Role() == server.RoleFollower
	})
	_, err = w.Create("/after", nil, 0, zk.WorldACL(zk.PermAll))
	require.NoError(t, err)
	for _, m := range ens.Members {
		if m.ID == leader.ID {
			continue
		}
		data, _ := configOn(t, m.Addr())
		require.NotContains(t, data, fmt.Sprintf("server.%d=", leader.ID))
		kids := syncedChildren(t, m, "/")
		require.Len(t, kids, 22, "member %d: %v", m.ID, kids) // k0..k19, after, zookeeper
	}
}
