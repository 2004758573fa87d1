package difftest

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client/clienttest"
)

// fields splits "key<sep>value" lines into a map (lines without sep are
// skipped).
func fields(s, sep string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(l, sep); ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// coreMntr are the mntr keys monitoring tools read (ZooKeeper's own
// documentation and the Prometheus/Nagios checks); zkit must have them.
var coreMntr = []string{
	"zk_version", "zk_server_state", "zk_avg_latency", "zk_max_latency", "zk_min_latency",
	"zk_packets_received", "zk_packets_sent", "zk_num_alive_connections", "zk_outstanding_requests",
	"zk_znode_count", "zk_watch_count", "zk_ephemerals_count", "zk_approximate_data_size",
	"zk_open_file_descriptor_count", "zk_max_file_descriptor_count",
}

// checkFourLetterWords compares the deterministic four-letter words of
// fresh servers: ruok and isro exactly; srvr, stat and conf by their keys
// and by the values that do not depend on timing, ports or paths; mntr by
// a core key set (Java 3.8 prints ~480 metric keys, zkit a subset).
func checkFourLetterWords(t *testing.T, p Pair) {
	for _, w := range []string{"ruok", "isro"} {
		assert.Equal(t, clienttest.FourLetter(p.Java, w), clienttest.FourLetter(p.Zkit, w), w)
	}
	for _, w := range []string{"srvr", "stat"} {
		j, z := fields(clienttest.FourLetter(p.Java, w), ": "), fields(clienttest.FourLetter(p.Zkit, w), ": ")
		require.NotEmpty(t, j, w)
		assert.Equal(t, keys(j), keys(z), "%s keys", w)
		for _, k := range []string{"Mode", "Node count", "Zxid", "Outstanding"} {
			assert.Equal(t, j[k], z[k], "%s %s", w, k)
		}
		assert.True(t, strings.HasPrefix(z["Zookeeper version"], "3.8."), "%s version %q", w, z["Zookeeper version"])
	}
	j, z := fields(clienttest.FourLetter(p.Java, "conf"), "="), fields(clienttest.FourLetter(p.Zkit, "conf"), "=")
	require.NotEmpty(t, j)
	assert.Equal(t, keys(j), keys(z), "conf keys")
	for _, k := range []string{"secureClientPort", "tickTime", "minSessionTimeout", "maxSessionTimeout", "clientPortListenBacklog", "serverId"} {
		assert.Equal(t, j[k], z[k], "conf %s", k)
	}
	j, z = fields(clienttest.FourLetter(p.Java, "mntr"), "\t"), fields(clienttest.FourLetter(p.Zkit, "mntr"), "\t")
	for _, k := range coreMntr {
		assert.Contains(t, j, k, "java mntr")
		assert.Contains(t, z, k, "zkit mntr")
	}
	for k := range z {
		assert.Contains(t, j, k, "zkit mntr key unknown to Java")
	}
	for _, k := range []string{"zk_server_state", "zk_znode_count", "zk_ephemerals_count", "zk_watch_count", "zk_approximate_data_size"} {
		assert.Equal(t, j[k], z[k], "mntr %s", k)
	}
	t.Logf("mntr: java %d keys, zkit %d", len(j), len(z))
}

// checkCounters checks, after traffic, that the packet counters moved.
func checkCounters(t *testing.T, p Pair) {
	for _, addr := range []string{p.Java, p.Zkit} {
		f := fields(clienttest.FourLetter(addr, "srvr"), ": ")
		for _, k := range []string{"Received", "Sent"} {
			n, err := strconv.Atoi(f[k])
			require.NoError(t, err, "%s %s", addr, k)
			assert.Positive(t, n, "srvr %s after traffic (%s)", k, addr)
		}
	}
}
