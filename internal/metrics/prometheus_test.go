package metrics

import (
	"bufio"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPrometheus(t *testing.T) {
	r := New()
	r.Counter("commit_count").Add(7)
	r.Gauge("znode_count", func() Value { return Int(67109337) })
	r.Gauge("avg_latency", func() Value { return Float(1.25) })
	r.CounterFunc("digest_mismatches_count", func() int64 { return 2 })
	rl := r.Summary("readlatency", Advanced)
	for i := int64(0); i < 10; i++ {
		rl.Observe(i)
	}
	r.Summary("fsynctime", Basic)
	srv := httptest.NewServer(Handler(NewPrometheusRegistry(func() *Registry { return r })))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)

	assert.Equal(t, "znode_count", fams["znode_count"].GetHelp(), "HELP is the name, as Java's provider writes it")
	assert.Equal(t, dto.MetricType_GAUGE, fams["znode_count"].GetType())
	assert.Equal(t, 67109337.0, fams["znode_count"].Metric[0].GetGauge().GetValue())
	assert.Equal(t, 1.25, fams["avg_latency"].Metric[0].GetGauge().GetValue())
	assert.Equal(t, dto.MetricType_COUNTER, fams["commit_count"].GetType())
	assert.Equal(t, 7.0, fams["commit_count"].Metric[0].GetCounter().GetValue())
	assert.Equal(t, dto.MetricType_COUNTER, fams["digest_mismatches_count"].GetType())

	sum := fams["readlatency"].Metric[0].GetSummary()
	assert.Equal(t, uint64(10), sum.GetSampleCount())
	assert.Equal(t, 45.0, sum.GetSampleSum())
	var qs []float64
	for _, q := range sum.Quantile {
		qs = append(qs, q.GetQuantile())
	}
	assert.Equal(t, []float64{0.5, 0.9, 0.99}, qs)
	assert.Equal(t, 4.5, sum.Quantile[0].GetValue())
	basic := fams["fsynctime"].Metric[0].GetSummary()
	require.Len(t, basic.Quantile, 1, "basic summaries export the median only")
	assert.True(t, math.IsNaN(basic.Quantile[0].GetValue()), "no samples: NaN, as simpleclient")

	assert.Contains(t, fams, "go_goroutines", "Go runtime collector")
	assert.Contains(t, fams, "process_cpu_seconds_total", "process collector")

	post, err := http.Post(srv.URL, "text/plain", nil)
	require.NoError(t, err)
	post.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, post.StatusCode)
}

// javaFamily is one line of testdata/java-3.8-prometheus.txt.
type javaFamily struct{ typ, labels string }

// readJavaFamilies reads the metric list taken from the ZooKeeper 3.8 source.
func readJavaFamilies(t *testing.T) map[string]javaFamily {
	t.Helper()
	f, err := os.Open("testdata/java-3.8-prometheus.txt")
	require.NoError(t, err)
	defer f.Close()
	out := map[string]javaFamily{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		fs := strings.Fields(sc.Text())
		require.GreaterOrEqual(t, len(fs), 3, sc.Text())
		out[fs[0]] = javaFamily{fs[1], fs[2]}
	}
	return out
}

// TestJava38MatchesSource checks the Java38 table against the list read
// from ZooKeeper 3.8's source: same names, kinds and detail levels.
func TestJava38MatchesSource(t *testing.T) {
	java := readJavaFamilies(t)
	assert.Len(t, Java38, len(java))
	typeOf := map[Kind]javaFamily{
		KindGauge: {"gauge", "-"}, KindGaugeSet: {"gauge", "key"}, KindCounter: {"counter", "-"},
		KindCounterSet: {"counter", "key"}, KindSummary: {"summary", "quantile"}, KindSummarySet: {"summary", "key,quantile"},
	}
	for _, d := range Java38 {
		assert.Equal(t, java[d.Name], typeOf[d.Kind], d.Name)
	}
}

// TestJava38Order checks the table's order against the keys Java 3.8's
// mntr printed on a fresh standalone server.
func TestJava38Order(t *testing.T) {
	b, err := os.ReadFile("testdata/java-3.8-standalone-mntr-keys.txt")
	require.NoError(t, err)
	var javaKeys []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			javaKeys = append(javaKeys, l)
		}
	}
	r := New()
	for _, d := range Java38 { // everything a standalone server has, unmeasured or not
		switch d.Kind {
		case KindGauge:
			r.Gauge(d.Name, func() Value { return Int(0) })
		case KindCounter:
			r.Counter(d.Name)
		case KindSummary:
			r.Summary(d.Name, d.Level)
		}
	}
	standalone := map[string]bool{}
	for _, k := range javaKeys {
		standalone[k] = true
	}
	var got []string
	got = append(got, "zk_version", "zk_server_state")
	for _, kv := range r.Values() {
		if standalone["zk_"+kv.Name] {
			got = append(got, "zk_"+kv.Name)
		}
	}
	assert.Equal(t, javaKeys, got)
}

// TestScrapeMatchesJava scrapes an engine-shaped registry (every measured
// metric and the zeros) and compares each family with Java's list: same
// type and labels, and the families Java has that zkit lacks are exactly
// the Omitted ones.
func TestScrapeMatchesJava(t *testing.T) {
	java := readJavaFamilies(t)
	r := New()
	for _, d := range Java38 {
		if d.Status != Measured && d.Status != RoleMeasured {
			continue
		}
		switch d.Kind {
		case KindGauge:
			r.Gauge(d.Name, func() Value { return Int(1) })
		case KindCounter:
			r.Counter(d.Name)
		case KindSummary:
			r.Summary(d.Name, d.Level).Observe(1)
		case KindGaugeSet:
			r.GaugeSet(d.Name, func() map[string]Value { return map[string]Value{"app": Int(3)} })
		case KindCounterSet:
			r.CounterSet(d.Name).Add("app", 2)
		case KindSummarySet:
			set := NewSummarySet(d.Level)
			set.Observe("app", 3)
			r.AttachSummarySet(d.Name, set)
		}
	}
	r.RegisterJavaZeros(func() bool { return true })
	fams, err := NewPrometheusRegistry(func() *Registry { return r }).Gather()
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, f := range fams {
		name := f.GetName()
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			continue
		}
		seen[name] = true
		jf, ok := java[name]
		if !assert.True(t, ok, "%s is not a Java 3.8 metric", name) {
			continue
		}
		assert.Equal(t, jf.typ, strings.ToLower(f.GetType().String()), name)
		labels := map[string]bool{}
		for _, m := range f.Metric {
			for _, l := range m.Label {
				labels[l.GetName()] = true
			}
			if f.GetType() == dto.MetricType_SUMMARY && len(m.GetSummary().Quantile) > 0 {
				labels["quantile"] = true
			}
		}
		var ls []string
		for l := range labels {
			ls = append(ls, l)
		}
		sort.Strings(ls)
		want := jf.labels
		if want == "-" {
			want = ""
		}
		assert.Equal(t, want, strings.Join(ls, ","), "%s labels", name)
	}
	for _, d := range Java38 {
		assert.Equal(t, d.Status != Omitted, seen[d.Name], "%s (%v)", d.Name, d.Status)
	}
}
