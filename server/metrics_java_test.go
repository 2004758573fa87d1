package server_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/cli"
	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/internal/metrics"
	"github.com/zkit-go/zkit/internal/proto"
	zktesting "github.com/zkit-go/zkit/testing"
)

// mntrWorkload runs the same requests on a server and leaves one session
// open (with an ephemeral node and a watch), so the gauges have something
// to count.
func mntrWorkload(t *testing.T, addr string) *client.Conn {
	t.Helper()
	ctx := context.Background()
	c, err := client.Dial(ctx, addr)
	require.NoError(t, err)
	_, err = c.Create(ctx, "/app", []byte("x"), 0, proto.OpenACLUnsafe)
	require.NoError(t, err)
	_, err = c.Create(ctx, "/app/e", []byte("y"), proto.FlagEphemeral, proto.OpenACLUnsafe)
	require.NoError(t, err)
	_, _, err = c.GetData(ctx, "/app", true)
	require.NoError(t, err)
	_, err = c.SetData(ctx, "/app", []byte("z"), -1)
	require.NoError(t, err)
	_, err = c.GetChildren(ctx, "/app", true)
	require.NoError(t, err)
	_, err = c.Create(ctx, "/app/c", nil, 0, proto.OpenACLUnsafe)
	require.NoError(t, err)
	require.NoError(t, c.Delete(ctx, "/app/c", -1))
	_, err = c.Exists(ctx, "/nope", true)
	require.Error(t, err)
	_, _, err = c.GetData(ctx, "/app/e", true) // a watch left set
	require.NoError(t, err)
	// Quotas, set as zkCli does, for the per-namespace quota gauges.
	for _, args := range [][]string{{"create", "/beta"}, {"create", "/beta/q"}, {"create", "/other"},
		{"setquota", "-n", "10", "/app"}, {"setquota", "-B", "1000", "/other"}, {"setquota", "-N", "7", "/beta/q"}} {
		var out, errOut strings.Builder
		code := cli.Main(append([]string{"-server", addr}, args...), strings.NewReader(""), &out, &errOut)
		require.Zero(t, code, "zkCli %v: %s%s", args, out.String(), errOut.String())
	}
	c2, err := client.Dial(ctx, addr)
	require.NoError(t, err)
	_, _, err = c2.GetData(ctx, "/app", false)
	require.NoError(t, err)
	require.NoError(t, c2.Close())
	return c
}

type mntrLine struct{ key, value string }

func parseMntr(t *testing.T, s string) []mntrLine {
	t.Helper()
	var out []mntrLine
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		k, v, ok := strings.Cut(l, "\t")
		require.True(t, ok, "mntr line %q", l)
		out = append(out, mntrLine{k, v})
	}
	return out
}

var summaryKey = regexp.MustCompile(`^zk_(avg|min|max|cnt|sum|p50|p95|p99|p999)_(.+)$`)

// javaDef finds the Java38 metric an mntr key reports.
func javaDef(key string) (metrics.Def, bool) {
	byName := map[string]metrics.Def{}
	for _, d := range metrics.Java38 {
		byName[d.Name] = d
	}
	if d, ok := byName[strings.TrimPrefix(key, "zk_")]; ok {
		return d, true
	}
	for _, d := range metrics.Java38 { // a gauge set's key: zk_<key>_<name>
		if d.Kind == metrics.KindGaugeSet && strings.HasSuffix(key, "_"+d.Name) {
			return d, true
		}
	}
	if m := summaryKey.FindStringSubmatch(key); m != nil {
		if d, ok := byName[m[2]]; ok && d.Kind == metrics.KindSummary {
			return d, true
		}
		// A summary set's key: zk_avg_<key>_<name>.
		for _, d := range metrics.Java38 {
			if d.Kind == metrics.KindSummarySet && strings.HasSuffix(m[2], "_"+d.Name) {
				return d, true
			}
		}
	}
	return metrics.Def{}, false
}

// TestMntrMatchesJava runs one workload on Java ZooKeeper 3.8 and on zkit,
// both standalone, and compares mntr key by key: zkit prints Java's keys
// in Java's order, leaves out exactly the metrics marked Omitted, reports
// 0 only where Java does too, and agrees on the gauges the workload fixes.
func TestMntrMatchesJava(t *testing.T) {
	js, err := clienttest.StartJavaServer(t.TempDir())
	if errors.Is(err, clienttest.ErrNoJava) {
		t.Skip(err.Error())
	}
	require.NoError(t, err)
	defer js.Stop()
	zs := zktesting.StartServer(t)

	jc := mntrWorkload(t, js.Addr)
	defer jc.Close()
	zc := mntrWorkload(t, zs.Addr())
	defer zc.Close()

	java := parseMntr(t, clienttest.FourLetter(js.Addr, "mntr"))
	zkit := parseMntr(t, clienttest.FourLetter(zs.Addr(), "mntr"))
	require.Greater(t, len(java), 400, "Java 3.8 prints ~480 keys")

	javaVal := map[string]string{}
	javaPos := map[string]int{}
	for i, l := range java {
		javaVal[l.key] = l.value
		javaPos[l.key] = i
	}
	zkitVal := map[string]string{}
	last := -1
	for _, l := range zkit {
		zkitVal[l.key] = l.value
		pos, ok := javaPos[l.key]
		if !assert.True(t, ok, "zkit key %s is not in Java's mntr", l.key) {
			continue
		}
		assert.Greater(t, pos, last, "%s out of Java's order", l.key)
		last = pos
	}
	for _, l := range java[2:] {
		d, ok := javaDef(l.key)
		if !assert.True(t, ok, "Java key %s is not in metrics.Java38", l.key) {
			continue
		}
		_, have := zkitVal[l.key]
		assert.Equal(t, d.Status != metrics.Omitted, have, "%s: zkit reports it iff it is not Omitted", l.key)
		if d.Status == metrics.ZeroAlways || d.Status == metrics.ZeroStandalone || d.Status == metrics.QuorumMeasured {
			assert.Contains(t, []string{"0", "0.0"}, l.value, "%s: zkit reports 0, so must Java on this workload", l.key)
			assert.Equal(t, l.value, zkitVal[l.key], l.key)
		}
	}
	for _, k := range []string{"zk_server_state", "zk_znode_count", "zk_ephemerals_count", "zk_watch_count",
		"zk_global_sessions", "zk_local_sessions", "zk_outstanding_requests", "zk_auth_failed_count",
		"zk_connection_drop_probability", "zk_outstanding_tls_handshake", "zk_non_mtls_remote_conn_count",
		"zk_non_mtls_local_conn_count", "zk_num_alive_connections", "zk_cnt_readlatency", "zk_cnt_updatelatency",
		"zk_app_quota_count_limit_per_namespace", "zk_other_quota_bytes_limit_per_namespace",
		"zk_beta_quota_count_limit_per_namespace", "zk_app_quota_count_usage_per_namespace",
		"zk_app_quota_bytes_usage_per_namespace", "zk_beta_quota_count_usage_per_namespace",
		"zk_cnt_dbinittime", "zk_cnt_startup_snap_load_time", "zk_cnt_startup_txns_loaded", "zk_cnt_startup_txns_load_time",
		"zk_cnt_node_created_watch_count", "zk_sum_node_created_watch_count", "zk_cnt_node_deleted_watch_count",
		"zk_sum_node_deleted_watch_count", "zk_cnt_node_changed_watch_count", "zk_sum_node_changed_watch_count",
		"zk_cnt_node_children_watch_count", "zk_sum_node_children_watch_count", "zk_watch_bytes"} {
		assert.Equal(t, javaVal[k], zkitVal[k], k)
	}
	// Reads and writes per namespace: the same requests, the same bytes.
	for _, k := range []string{"zk_cnt_app_read_per_namespace", "zk_cnt_app_write_per_namespace", "zk_cnt_zookeeper_read_per_namespace"} {
		assert.NotEmpty(t, javaVal[k], k)
	}
	for _, ns := range []string{"app", "beta", "other", "zookeeper"} {
		for _, set := range []string{"read_per_namespace", "write_per_namespace"} {
			for _, stat := range []string{"cnt", "sum", "min", "max"} {
				k := "zk_" + stat + "_" + ns + "_" + set
				assert.Equal(t, javaVal[k], zkitVal[k], k)
			}
		}
	}
	assert.True(t, strings.HasPrefix(zkitVal["zk_version"], "3.8.0-"), zkitVal["zk_version"])
}
