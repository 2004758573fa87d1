package metrics

import (
	"bufio"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJavaDouble(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0.0"}, {1, "1.0"}, {1.0526, "1.0526"}, {3.6667, "3.6667"}, {0.5, "0.5"},
		{0.001, "0.001"}, {0.0001, "1.0E-4"}, {1e7, "1.0E7"}, {67109337, "6.7109337E7"},
		{9999999, "9999999.0"}, {-2.5, "-2.5"}, {1.5e-5, "1.5E-5"},
	} {
		assert.Equal(t, tc.want, JavaDouble(tc.in), "%v", tc.in)
	}
}

func TestSummary(t *testing.T) {
	r := New()
	s := r.Summary("readlatency", Advanced)
	snap := s.Snapshot()
	assert.Zero(t, snap.Min)
	assert.Zero(t, snap.Max)
	assert.Zero(t, snap.Quantile(0.5))
	for i := int64(1); i <= 100; i++ {
		s.Observe(i)
	}
	snap = s.Snapshot()
	assert.Equal(t, int64(100), snap.Count)
	assert.Equal(t, int64(5050), snap.Sum)
	assert.Equal(t, int64(1), snap.Min)
	assert.Equal(t, int64(100), snap.Max)
	assert.Equal(t, 50.5, snap.Avg)
	assert.InDelta(t, 50.5, snap.Quantile(0.5), 0.01)
	assert.InDelta(t, 99.99, snap.Quantile(0.99), 0.01)
	assert.Equal(t, 100.0, snap.Quantile(0.999))
	s.Reset()
	assert.Zero(t, s.Snapshot().Count)
	assert.Same(t, s, r.Summary("readlatency", Advanced), "a second registration returns the first")
}

func TestSummaryAvgRoundsToFourDecimals(t *testing.T) {
	s := New().Summary("x", Basic)
	for _, v := range []int64{1, 12, 1, 0, 0, 8} { // 22/6 = 3.6666…
		s.Observe(v)
	}
	assert.Equal(t, 3.6667, s.Snapshot().Avg)
}

func TestMntr(t *testing.T) {
	r := New()
	r.Counter("packets_received").Add(3)
	r.Counter("packets_received").Add(-1) // ignored
	r.Gauge("znode_count", func() Value { return Int(5) })
	r.Gauge("avg_latency", func() Value { return Float(0) })
	r.Summary("fsynctime", Basic).Observe(2)
	r.Summary("readlatency", Advanced).Observe(1)
	var b strings.Builder
	r.WriteMntr(&b)
	assert.Equal(t, "zk_packets_received\t3\n"+
		"zk_znode_count\t5\n"+
		"zk_avg_latency\t0.0\n"+
		"zk_avg_fsynctime\t2.0\nzk_min_fsynctime\t2\nzk_max_fsynctime\t2\nzk_cnt_fsynctime\t1\nzk_sum_fsynctime\t2\n"+
		"zk_avg_readlatency\t1.0\nzk_min_readlatency\t1\nzk_max_readlatency\t1\nzk_cnt_readlatency\t1\nzk_sum_readlatency\t1\n"+
		"zk_p50_readlatency\t1\nzk_p95_readlatency\t1\nzk_p99_readlatency\t1\nzk_p999_readlatency\t1\n", b.String())
}

func TestGaugeReplaced(t *testing.T) {
	r := New()
	r.Gauge("g", func() Value { return Int(1) })
	r.Gauge("g", func() Value { return Int(2) })
	vals := r.Values()
	require.Len(t, vals, 1)
	assert.Equal(t, "2", vals[0].Value.String())
}

// parsePrometheus is a strict reader of the text format subset we write:
// it checks every sample has HELP and TYPE lines before it and returns the
// samples by name+labels.
func parsePrometheus(t *testing.T, text string) (map[string]float64, map[string]string) {
	t.Helper()
	samples := map[string]float64{}
	types := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	var family string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# HELP "):
			f := strings.Fields(line)
			require.Len(t, f, 4, line)
			family = f[2]
		case strings.HasPrefix(line, "# TYPE "):
			f := strings.Fields(line)
			require.Len(t, f, 4, line)
			require.Equal(t, family, f[2], "TYPE follows its HELP")
			require.Contains(t, []string{"counter", "gauge", "summary"}, f[3])
			types[f[2]] = f[3]
		default:
			name, val, ok := strings.Cut(line, " ")
			require.True(t, ok, line)
			require.True(t, strings.HasPrefix(name, family), "sample %q outside family %q", name, family)
			v, err := strconv.ParseFloat(val, 64)
			require.NoError(t, err, line)
			samples[name] = v
		}
	}
	return samples, types
}

func TestPrometheus(t *testing.T) {
	r := New()
	r.Counter("commit_count").Add(7)
	r.Gauge("znode_count", func() Value { return Int(67109337) })
	r.Gauge("avg_latency", func() Value { return Float(1.25) })
	rl := r.Summary("readlatency", Advanced)
	for i := int64(0); i < 10; i++ {
		rl.Observe(i)
	}
	r.Summary("fsynctime", Basic).Observe(4)
	var b strings.Builder
	r.WritePrometheus(&b)
	assert.Contains(t, b.String(), "# HELP znode_count znode_count\n# TYPE znode_count gauge\nznode_count 6.7109337E7\n")
	assert.Contains(t, b.String(), `readlatency{quantile="0.5",} 4.5`+"\n")
	samples, types := parsePrometheus(t, b.String())
	assert.Equal(t, map[string]string{"commit_count": "counter", "znode_count": "gauge", "avg_latency": "gauge",
		"readlatency": "summary", "fsynctime": "summary"}, types)
	assert.Equal(t, 7.0, samples["commit_count"])
	assert.Equal(t, 67109337.0, samples["znode_count"])
	assert.Equal(t, 1.25, samples["avg_latency"])
	assert.Equal(t, 10.0, samples["readlatency_count"])
	assert.Equal(t, 45.0, samples["readlatency_sum"])
	assert.Contains(t, samples, `readlatency{quantile="0.99",}`)
	assert.Contains(t, samples, `fsynctime{quantile="0.5",}`)
	assert.NotContains(t, samples, `fsynctime{quantile="0.9",}`, "basic summaries export the median only")
}

func TestConcurrentUpdates(t *testing.T) {
	r := New()
	c := r.Counter("c")
	s := r.Summary("s", Advanced)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int64(0); i < 1000; i++ {
				c.Inc()
				s.Observe(i)
			}
		}()
	}
	var b strings.Builder
	r.WritePrometheus(&b) // concurrently with the updates
	wg.Wait()
	assert.Equal(t, int64(8000), c.Get())
	snap := s.Snapshot()
	assert.Equal(t, int64(8000), snap.Count)
	assert.Equal(t, int64(0), snap.Min)
	assert.Equal(t, int64(999), snap.Max)
}

func BenchmarkSummaryObserve(b *testing.B) {
	s := New().Summary("readlatency", Advanced)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.Observe(1)
		}
	})
}
