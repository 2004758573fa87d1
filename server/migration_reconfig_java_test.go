package server_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/internal/javatest"
	zktesting "github.com/zkit-go/zkit/testing"
)

const migSuperDigest = "DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU="

// memberSpec is a member's line in a dynamic configuration file.
func memberSpec(id int64, p clienttest.JavaMemberPorts) string { return p.ServerSpec(id) }

// currentServers reads /zookeeper/config after a sync and returns its
// server lines (the version line dropped).
func currentServers(t *testing.T, c *zk.Conn) []string {
	t.Helper()
	var out []string
	zktesting.Eventually(t, 60*time.Second, func() bool {
		if _, err := c.Sync("/zookeeper/config"); err != nil {
			return false
		}
		data, _, err := c.Get("/zookeeper/config")
		if err != nil {
			return false
		}
		out = out[:0]
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "server.") {
				out = append(out, line)
			}
		}
		return true
	}, "read /zookeeper/config")
	return out
}

func hasServer(lines []string, id int64) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, fmt.Sprintf("server.%d=", id)) {
			return true
		}
	}
	return false
}

// reconfigTo runs an incremental reconfig until the configuration shows
// it: a reconfig that changes the leader may lose its reply with the
// connection (as with ZooKeeper), and is then read back, not repeated.
func reconfigTo(t *testing.T, sc *zk.Conn, joining, leaving []string, done func([]string) bool) {
	t.Helper()
	zktesting.Eventually(t, 90*time.Second, func() bool {
		if done(currentServers(t, sc)) {
			return true
		}
		_, err := sc.IncrementalReconfig(joining, leaving, -1)
		if err == nil {
			return done(currentServers(t, sc))
		}
		// go-zookeeper has no names for NEWCONFIGNOQUORUM and
		// RECONFIGINPROGRESS (ErrUnknown): the joiner is still syncing, or
		// the roles are changing.
		if errors.Is(err, zk.ErrUnknown) || errors.Is(err, zk.ErrConnectionClosed) || errors.Is(err, zk.ErrNoServer) {
			return false
		}
		require.NoError(t, err, "reconfig +%v -%v", joining, leaving)
		return false
	}, fmt.Sprintf("reconfig +%v -%v", joining, leaving))
}

// writeZkitJoiner writes a zkit joiner's zoo.cfg, dynamic file and myid.
func writeZkitJoiner(t *testing.T, dir string, id int64, p clienttest.JavaMemberPorts, members []string) string {
	t.Helper()
	cfg, err := javatest.WriteJoinerConfig(dir, id, members, memberSpec(id, p), migSuperDigest)
	require.NoError(t, err)
	return cfg
}

// TestMigrationReconfigJavaToZkit migrates a Java ensemble with
// reconfigEnabled and a dynamic configuration file to zkit by reconfig:
// for each Java member (followers first, the leader last) a zkit member
// joins, "reconfig -add" makes it a voter and "reconfig -remove" drops the
// Java one, which then stops; then back to Java the same way. Clients
// know every address from the start (the joiners' ports are picked
// first), as an operator's connect string would after the change.
func TestMigrationReconfigJavaToZkit(t *testing.T) {
	n := 3
	if migrationFull() {
		n = 5
	}
	je := startJavaForMigration(t, n, "reconfigEnabled=true", "standaloneEnabled=false", migSuperDigest)
	var live []*migMember
	for _, jm := range je.Members {
		live = append(live, &migMember{id: jm.ID, addr: jm.Addr, java: jm})
	}
	// Joiners: zkit n+1..2n, then Java 2n+1..3n.
	ports := make(map[int64]clienttest.JavaMemberPorts)
	servers := je.Servers()
	for id := int64(n + 1); id <= int64(3*n); id++ {
		p, err := clienttest.FreeMemberPorts()
		require.NoError(t, err)
		ports[id] = p
		servers = append(servers, "127.0.0.1:"+strconv.Itoa(p.Client))
	}
	l := startMigLoad(t, servers, uint64(time.Now().UnixNano()))
	sc, _ := connectTo(t, servers)
	require.NoError(t, sc.AddAuth("digest", []byte("super:test")))

	var steps []migStep
	base := migrationDir(t)
	nextID := int64(n + 1)
	phase := func(to string) {
		for _, old := range byRoleLeaderLast(live) {
			id := nextID
			nextID++
			role, from := modeOf(old.addr), old.kind()
			begin := time.Now()
			members := currentServers(t, sc)
			nm := &migMember{id: id, addr: "127.0.0.1:" + strconv.Itoa(ports[id].Client)}
			dir := filepath.Join(base, fmt.Sprintf("member%d", id))
			started := time.Now()
			switch to {
			case "zkit":
				nm.cfgPath = writeZkitJoiner(t, dir, id, ports[id], members)
				nm.startZkit(t)
			case "java":
				jm, err := clienttest.StartJavaJoiner(dir, id, ports[id], members, nil, migSuperDigest)
				require.NoError(t, err)
				t.Cleanup(jm.Stop)
				nm.java = jm
			}
			waitModeOf(t, nm.addr, 90*time.Second)
			serving := time.Since(started)
			spec := memberSpec(id, ports[id])
			reconfigTo(t, sc, []string{spec}, nil, func(s []string) bool { return hasServer(s, id) })
			reconfigTo(t, sc, nil, []string{strconv.FormatInt(old.id, 10)}, func(s []string) bool { return !hasServer(s, old.id) })
			old.stop(t)
			for i, m := range live {
				if m == old {
					live[i] = nm
				}
			}
			for _, m := range live {
				waitModeOf(t, m.addr, 90*time.Second)
			}
			l.progress(10)
			gap, gapFrom := l.longestGap(begin, time.Now())
			st := migStep{
				what:    fmt.Sprintf("reconfig +%d (%s) -%d (%s %s)", id, to, old.id, from, role),
				serving: serving,
				gap:     gap,
			}
			t.Logf("%s: joiner serving %v after start; longest write gap %v (from %s)", st.what, st.serving.Round(time.Millisecond),
				st.gap.Round(time.Millisecond), gapFrom.Format("15:04:05.000"))
			checkGap(t, st)
			steps = append(steps, st)
		}
	}
	phase("zkit")
	for _, m := range live {
		require.Equal(t, "zkit", m.kind())
	}
	phase("java")
	l.finish(live)
	reportSteps(t, steps)
}
