package metrics

import (
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSummarySetMntr: a summary set prints each key's summary as
// zk_<stat>_<key>_<name>, keys in Java's hash order, after the plain
// summaries; srst zeroes it.
func TestSummarySetMntr(t *testing.T) {
	r := New()
	set := NewSummarySet(Basic)
	r.AttachSummarySet("read_per_namespace", set)
	r.Summary("readlatency", Advanced).Observe(1)
	keys := []string{"app", "other", "zookeeper", "beta"}
	for i, k := range keys {
		set.Observe(k, int64(10*(i+1)))
		set.Observe(k, int64(10*(i+1)+2))
	}
	var b strings.Builder
	r.WriteMntr(&b)
	out := b.String()
	assert.Contains(t, out, "zk_avg_app_read_per_namespace\t11.0\nzk_min_app_read_per_namespace\t10\nzk_max_app_read_per_namespace\t12\nzk_cnt_app_read_per_namespace\t2\nzk_sum_app_read_per_namespace\t22\n")
	var order []string
	for _, l := range strings.Split(out, "\n") {
		for _, k := range keys {
			if strings.HasPrefix(l, "zk_cnt_"+k+"_read_per_namespace\t") {
				order = append(order, k)
			}
		}
	}
	assert.Equal(t, JavaHashOrder(keys), order)
	assert.Less(t, strings.Index(out, "zk_p999_readlatency"), strings.Index(out, "zk_avg_"+order[0]+"_read_per_namespace"),
		"sets after the summaries, as Java prints them")
	r.Reset()
	b.Reset()
	r.WriteMntr(&b)
	assert.Contains(t, b.String(), "zk_cnt_app_read_per_namespace\t0\n", "srst zeroes a set, its keys stay")
}

// TestSummarySetPrometheus: a summary set is one summary family with a
// "key" label.
func TestSummarySetPrometheus(t *testing.T) {
	r := New()
	set := NewSummarySet(Basic)
	r.AttachSummarySet("write_per_namespace", set)
	set.Observe("app", 4)
	set.Observe("beta", 6)
	fams, err := NewPrometheusRegistry(func() *Registry { return r }).Gather()
	require.NoError(t, err)
	var fam *dto.MetricFamily
	for _, f := range fams {
		if f.GetName() == "write_per_namespace" {
			fam = f
		}
	}
	require.NotNil(t, fam)
	assert.Equal(t, dto.MetricType_SUMMARY, fam.GetType())
	got := map[string]float64{}
	for _, m := range fam.Metric {
		require.Len(t, m.Label, 1)
		assert.Equal(t, "key", m.Label[0].GetName())
		got[m.Label[0].GetValue()] = m.GetSummary().GetSampleSum()
	}
	assert.Equal(t, map[string]float64{"app": 4, "beta": 6}, got)
}

// TestAttachReplacesZero: a metric a standalone server reports as a zero
// and a member measures is reported once attached, whatever the
// standalone condition says, and srst zeroes it.
func TestAttachReplacesZero(t *testing.T) {
	r := New()
	r.RegisterJavaZeros(func() bool { return false }) // a member
	var b strings.Builder
	r.WriteMntr(&b)
	require.NotContains(t, b.String(), "zk_commit_count\t")
	var commits Counter
	commits.Add(3)
	r.AttachCounter("commit_count", &commits)
	election := NewSummary(Basic)
	election.Observe(40)
	r.AttachSummary("election_time", election)
	b.Reset()
	r.WriteMntr(&b)
	assert.Contains(t, b.String(), "zk_commit_count\t3\n")
	assert.Contains(t, b.String(), "zk_cnt_election_time\t1\n")
	assert.Less(t, strings.Index(b.String(), "zk_commit_count"), strings.Index(b.String(), "zk_cnt_election_time"), "Java's order")
	r.Reset()
	assert.Zero(t, commits.Get())
	assert.Zero(t, election.Snapshot().Count)
}

// TestSummarySetConcurrent: keys appear and samples add up under
// concurrent observers and readers.
func TestSummarySetConcurrent(t *testing.T) {
	r := New()
	set := NewSummarySet(Basic)
	r.AttachSummarySet("read_per_namespace", set)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				set.Observe([]string{"a", "b", "c"}[i%3], 1)
				if i%50 == 0 {
					r.Values()
				}
			}
		}()
	}
	wg.Wait()
	var total int64
	for _, s := range set.summaries() {
		total += s.Snapshot().Count
	}
	assert.Equal(t, int64(8*500), total)
}
