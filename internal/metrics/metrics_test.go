package metrics

import (
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
	r.Counter("not_java").Inc()
	var b strings.Builder
	r.WriteMntr(&b)
	// Java 3.8's metrics in its mntr order, then the others as registered.
	assert.Equal(t, "zk_avg_latency\t0.0\n"+
		"zk_znode_count\t5\n"+
		"zk_packets_received\t3\n"+
		"zk_avg_fsynctime\t2.0\nzk_min_fsynctime\t2\nzk_max_fsynctime\t2\nzk_cnt_fsynctime\t1\nzk_sum_fsynctime\t2\n"+
		"zk_avg_readlatency\t1.0\nzk_min_readlatency\t1\nzk_max_readlatency\t1\nzk_cnt_readlatency\t1\nzk_sum_readlatency\t1\n"+
		"zk_p50_readlatency\t1\nzk_p95_readlatency\t1\nzk_p99_readlatency\t1\nzk_p999_readlatency\t1\n"+
		"zk_not_java\t1\n", b.String())
}

func TestGaugeReplaced(t *testing.T) {
	r := New()
	r.Gauge("g", func() Value { return Int(1) })
	r.Gauge("g", func() Value { return Int(2) })
	vals := r.Values()
	require.Len(t, vals, 1)
	assert.Equal(t, "2", vals[0].Value.String())
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
	_, err := NewPrometheusRegistry(func() *Registry { return r }).Gather() // concurrently with the updates
	require.NoError(t, err)
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

func TestGaugeSet(t *testing.T) {
	r := New()
	r.GaugeSet("quota_count_usage_per_namespace", func() map[string]Value {
		return map[string]Value{"beta": Int(1), "other": Int(1), "app": Int(2)}
	})
	r.GaugeSet("empty_set", func() map[string]Value { return nil })
	var b strings.Builder
	r.WriteMntr(&b)
	// As Java 3.8 printed them: <key>_<name>, keys in its hash order.
	assert.Equal(t, "zk_app_quota_count_usage_per_namespace\t2\n"+
		"zk_other_quota_count_usage_per_namespace\t1\n"+
		"zk_beta_quota_count_usage_per_namespace\t1\n", b.String())
}
