package server_test

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/zkdb"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// pendingReconfig stops a five-member ensemble and leaves a reconfig to
// the configuration {f, g} in f's log only, as when a leader logged a
// reconfig and crashed before any other member acked it. f is a member
// with the longest log (a follower may have missed the last commit), so
// with the reconfig its log is the longest of all; g is another member.
// It returns them, the others, and the new configuration's text. No
// member has started again.
func pendingReconfig(t *testing.T, ens *zktesting.Ensemble) (f, g *zktesting.Member, others []*zktesting.Member, text string) {
	t.Helper()
	c, _ := connectTo(t, ens.Servers())
	_, err := c.Create("/before", []byte("x"), 0, zk.WorldACL(zk.PermAll))
	require.NoError(t, err)
	for _, m := range ens.Members {
		syncedChildren(t, m, "/") // every member has /before
	}
	c.Close()
	cfgs := make([]server.Config, len(ens.Members))
	for i, m := range ens.Members {
		cfgs[i] = m.Server().Config()
	}
	for _, m := range ens.Members {
		m.Stop()
	}
	open := func(i int) *zkdb.DB {
		db, err := zkdb.Open(zkdb.Config{DataDir: cfgs[i].DataDir, DataLogDir: cfgs[i].DataLogDir})
		require.NoError(t, err)
		return db
	}
	fi := 0
	var last int64 = -1
	for i := range ens.Members {
		db := open(i)
		if db.LastZxid > last {
			fi, last = i, db.LastZxid
		}
		require.NoError(t, db.Close())
	}
	f = ens.Members[fi]
	for _, m := range ens.Members {
		switch {
		case m == f:
		case g == nil:
			g = m
		default:
			others = append(others, m)
		}
	}
	db := open(fi)
	zxid := db.LastZxid + 1
	lines := []string{f.ServerSpec(), g.ServerSpec()}
	sort.Strings(lines)
	text = strings.Join(lines, "\n") + "\nversion=" + strconv.FormatInt(zxid, 16)
	hdr := proto.TxnHeader{ClientID: 0x1234, Cxid: 1, Zxid: zxid, Time: time.Now().UnixMilli(), Type: proto.OpReconfig}
	require.NoError(t, db.Append(&hdr, &proto.SetDataTxn{Path: "/zookeeper/config", Data: []byte(text), Version: -1}, nil))
	require.NoError(t, db.Sync())
	require.NoError(t, db.Close())
	return f, g, others, text
}

// TestLeaderCompletesLoggedReconfig: a member elected with a reconfig it
// logged but never saw committed completes it, as ZooKeeper's leader
// completes its last seen configuration: once a quorum of both the old and
// the new configuration has synced, every member activates it.
func TestLeaderCompletesLoggedReconfig(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 5, reconfigOpts())
	f, g, others, want := pendingReconfig(t, ens)
	// Only f can win with f, g and one more up: 3 of 5 votes are needed
	// and f's log is the longest.
	for _, m := range []*zktesting.Member{f, g, others[0]} {
		m.Restart()
	}
	waitFor(t, 60*time.Second, "f to lead", func() bool { return f.Role() == server.RoleLeader })
	for _, m := range others[1:] {
		m.Restart()
	}
	for _, m := range ens.Members {
		waitFor(t, 60*time.Second, fmt.Sprintf("member %d to activate the reconfig", m.ID), func() bool {
			if m.Role() == server.RoleLooking {
				return false
			}
			data, _ := configOn(t, m.Addr())
			return data == want
		})
	}
	// The new configuration decides: f and g commit without the others.
	for _, m := range others {
		m.Stop()
	}
	c, _ := connectTo(t, []string{f.Addr()})
	_, err := c.Create("/after", nil, 0, zk.WorldACL(zk.PermAll))
	require.NoError(t, err)
}

// TestLoggedReconfigNeedsBothQuorums is the case the rule is for. Member f
// holds a reconfig to {f, g} that nobody else logged, and the quorum ports
// are cut between {f, g} and the other three while elections still flow.
// f wins the election (its log is the longest) but must not serve with
// only the new configuration's quorum: the other three, a quorum of the
// old configuration, elect their own leader and take writes, so a leader
// of {f, g} would split the ensemble and lose whichever side's writes the
// heal discards. After the heal, f and g follow the majority, and f cuts
// the reconfig nobody committed from its log.
func TestLoggedReconfigNeedsBothQuorums(t *testing.T) {
	logs := newMemberLogs()
	ens := zktesting.StartEnsemble(t, 5, reconfigOpts(), logs.option())
	f, g, others, _ := pendingReconfig(t, ens)
	logs.forget()
	ens.PartitionQuorum([]int64{f.ID, g.ID}, idsOf(others))
	for _, m := range []*zktesting.Member{f, g, others[0]} {
		m.Restart()
	}
	waitFor(t, 60*time.Second, "f to be elected", func() bool {
		return logs.has(f.ID, "election decided", fmt.Sprintf("leader=%d ", f.ID))
	})
	for _, m := range others[1:] {
		m.Restart()
	}
	var majority []string
	for _, m := range others {
		majority = append(majority, m.Addr())
	}
	waitFor(t, 60*time.Second, "the other three to elect a leader", func() bool {
		for _, m := range others {
			if m.Role() == server.RoleLeader {
				return true
			}
		}
		return false
	})
	mc, _ := connectTo(t, majority)
	_, err := mc.Create("/majority", nil, 0, zk.WorldACL(zk.PermAll))
	require.NoError(t, err)
	waitFor(t, 60*time.Second, "f's attempt to lead to end", func() bool {
		return logs.has(f.ID, "leader role over") || f.Role() == server.RoleLeader
	})
	require.False(t, logs.has(f.ID, "peer state", "state=leader"), "f served as leader with only {f, g} synced")
	require.False(t, logs.has(g.ID, "peer state", "state=follower"), "g served a leader the majority never synced with")

	ens.Heal()
	for _, m := range []*zktesting.Member{f, g} {
		waitFor(t, 60*time.Second, fmt.Sprintf("member %d to follow the majority", m.ID), func() bool {
			return m.Role() == server.RoleFollower
		})
		kids := syncedChildren(t, m, "/")
		require.Contains(t, kids, "majority")
		require.Contains(t, kids, "before")
		data, _ := configOn(t, m.Addr())
		require.Contains(t, data, fmt.Sprintf("server.%d=", others[0].ID), "member %d kept the reconfig nobody committed", m.ID)
	}
	require.True(t, logs.has(f.ID, "synced from the leader", "mode=TRUNC"), "f cut the reconfig from its log: %v", logs.grep(f.ID, "synced"))
}

// TestStandaloneDisabledGrowsByReconfig: with standaloneEnabled=false a
// configuration of one server runs as a one-voter ensemble, the way
// ZooKeeper's documentation starts an ensemble that reconfig grows;
// members are added one at a time and removed again down to one voter,
// which standaloneEnabled=true refuses.
func TestStandaloneDisabledGrowsByReconfig(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 1, reconfigOpts(), zktesting.WithMemberConfig(func(id int64, c *server.Config) {
		c.StandaloneDisabled = true
	}))
	first := ens.Members[0]
	require.Equal(t, server.RoleLeader, first.Role(), "one voter leads itself")
	data, _ := configOn(t, first.Addr())
	require.Equal(t, first.ServerSpec()+"\nversion=100000000", data)

	c := superConn(t, []string{first.Addr()})
	_, err := c.Create("/a", []byte("1"), 0, zk.WorldACL(zk.PermAll))
	require.NoError(t, err)
	var added []*zktesting.Member
	for range 2 {
		m := ens.AddMember()
		waitFor(t, 60*time.Second, fmt.Sprintf("member %d to follow", m.ID), func() bool { return m.Role() == server.RoleFollower })
		_, err := c.IncrementalReconfig([]string{m.ServerSpec()}, nil, -1)
		require.NoError(t, err)
		added = append(added, m)
	}
	data, st := configOn(t, added[1].Addr())
	for _, m := range ens.Members {
		require.Contains(t, data, m.ServerSpec()+"\n")
	}
	require.True(t, strings.HasSuffix(data, "version="+strconv.FormatInt(st.Mzxid, 16)), data)
	kids := syncedChildren(t, added[1], "/")
	require.Contains(t, kids, "a")

	_, err = c.IncrementalReconfig(nil, []string{strconv.FormatInt(added[0].ID, 10), strconv.FormatInt(added[1].ID, 10)}, -1)
	require.NoError(t, err, "standaloneEnabled=false allows one voter")
	data, _ = configOn(t, first.Addr())
	require.True(t, strings.HasPrefix(data, first.ServerSpec()+"\nversion="), data)
	for _, m := range added {
		m.Stop()
	}
	_, err = c.Create("/b", nil, 0, zk.WorldACL(zk.PermAll))
	require.NoError(t, err, "the single voter commits alone")
}
