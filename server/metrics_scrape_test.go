package server_test

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/cli"
	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/metrics"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// scrape fetches and parses a Prometheus endpoint.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fams
}

// javaPrometheusList reads the metric list taken from ZooKeeper 3.8's
// source: name -> "type labels".
func javaPrometheusList(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("../internal/metrics/testdata/java-3.8-prometheus.txt")
	require.NoError(t, err)
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) >= 3 && !strings.HasPrefix(fs[0], "#") {
			out[fs[0]] = fs[1] + " " + fs[2]
		}
	}
	return out
}

// TestScrapeComparedWithJavaList scrapes a serving zkit and compares each
// ZooKeeper family with the list read from the 3.8 source: name, type and
// labels; Java's families zkit lacks are exactly the Omitted ones; and the
// Go runtime and process collectors are there.
func TestScrapeComparedWithJavaList(t *testing.T) {
	srv := zktesting.StartServer(t, zktesting.WithConfig(func(c *server.Config) {
		c.Properties = map[string]string{
			"admin.enableServer":        "false",
			"metricsProvider.className": server.PrometheusProvider,
			"metricsProvider.httpHost":  "127.0.0.1",
			"metricsProvider.httpPort":  "0",
		}
		c.EnforceQuota = true
	}))
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(10*time.Second))
	defer cancel()
	c, err := client.Dial(ctx, srv.Addr())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Create(ctx, "/scrape", []byte("x"), 0, proto.OpenACLUnsafe)
	require.NoError(t, err)
	var out strings.Builder // a quota, so the per-namespace gauges have a key
	require.Zero(t, cli.Main([]string{"-server", srv.Addr(), "setquota", "-N", "1", "/scrape"}, strings.NewReader(""), &out, &out), out.String())
	_, err = c.Create(ctx, "/scrape/over", nil, 0, proto.OpenACLUnsafe) // a refusal for the counter set
	require.ErrorIs(t, err, proto.ErrQuotaExceeded)

	fams := scrape(t, srv.Server().MetricsAddr().String())
	java := javaPrometheusList(t)
	zk := map[string]bool{}
	for name, f := range fams {
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") || strings.HasPrefix(name, "promhttp_") {
			continue
		}
		zk[name] = true
		want, ok := java[name]
		if !assert.True(t, ok, "%s is not a ZooKeeper 3.8 metric", name) {
			continue
		}
		labels := map[string]bool{}
		for _, m := range f.Metric {
			for _, l := range m.Label {
				labels[l.GetName()] = true
			}
			if len(m.GetSummary().GetQuantile()) > 0 {
				labels["quantile"] = true
			}
		}
		var ls []string
		for l := range labels {
			ls = append(ls, l)
		}
		sort.Strings(ls)
		got := strings.ToLower(f.GetType().String()) + " " + strings.Join(ls, ",")
		if len(ls) == 0 {
			got += "-"
		}
		assert.Equal(t, want, got, name)
		assert.Equal(t, name, f.GetHelp(), "%s: HELP is the name, as from Java's provider", name)
	}
	usage := fams["quota_count_usage_per_namespace"]
	require.NotNil(t, usage)
	require.Len(t, usage.Metric, 1)
	assert.Equal(t, "scrape", usage.Metric[0].Label[0].GetValue())
	assert.Equal(t, 1.0, usage.Metric[0].GetGauge().GetValue())
	exceeded := fams["quota_exceeded_error_per_namespace"]
	require.NotNil(t, exceeded)
	require.Len(t, exceeded.Metric, 1)
	assert.Equal(t, "scrape", exceeded.Metric[0].Label[0].GetValue())
	assert.Equal(t, 1.0, exceeded.Metric[0].GetCounter().GetValue())
	for _, d := range metrics.Java38 {
		// A standalone server has no role gauges, as Java's has none.
		want := d.Status != metrics.Omitted && d.Status != metrics.RoleMeasured
		assert.Equal(t, want, zk[d.Name], "%s: scraped iff measured in standalone", d.Name)
	}
	for _, n := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_cpu_seconds_total",
		"process_resident_memory_bytes", "process_open_fds", "process_max_fds", "process_start_time_seconds"} {
		assert.Contains(t, fams, n)
	}
}

// TestEnsembleMntrRoles: members report the measured metrics and the
// quorum statistics, but not the quorum-pipeline zeros a standalone
// server reports (they would be false on a member); only the leader
// reports the leader's gauges.
func TestEnsembleMntrRoles(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 3)
	leader := ens.WaitLeader(zktesting.Scale(30 * time.Second))
	require.NotNil(t, leader)
	var follower *zktesting.Member
	for _, m := range ens.Members {
		if m != leader {
			follower = m
			break
		}
	}
	require.NotNil(t, follower)
	for _, m := range []*zktesting.Member{leader, follower} {
		out := fourLetter(t, m.Addr(), "mntr")
		assert.Contains(t, out, "zk_znode_count\t")
		assert.Contains(t, out, "zk_cnt_readlatency\t")
		assert.Contains(t, out, "zk_cnt_netty_queued_buffer_capacity\t0\n", "ZeroAlways: 0 in every role")
		assert.NotContains(t, out, "zk_quit_leading_due_to_disloyal_voter", "ZeroStandalone: not reported by a member")
		assert.Contains(t, out, "zk_commit_count\t", "QuorumMeasured: measured by a member")
		assert.Contains(t, out, "zk_learner_commit_received_count\t")
		assert.Contains(t, out, "zk_quorum_size\t3\n")
		if m == leader {
			assert.Contains(t, out, "zk_peer_state\tleading - broadcast\n")
			assert.Contains(t, out, "zk_synced_followers\t")
			assert.Contains(t, out, "zk_learners\t")
		} else {
			assert.Contains(t, out, "zk_peer_state\tfollowing - broadcast\n")
			assert.NotContains(t, out, "zk_learners\t", "leader gauges on the leader only")
		}
	}
}
