package metrics

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The orders Java ZooKeeper 3.8's mntr printed for these namespaces (its
// per-namespace quota gauges and read/write summaries).
func TestJavaHashOrder(t *testing.T) {
	assert.Equal(t, []string{"app", "other", "beta"}, JavaHashOrder([]string{"beta", "other", "app"}))
	assert.Equal(t, []string{"app", "other", "zookeeper", "beta"}, JavaHashOrder([]string{"zookeeper", "beta", "app", "other"}))
	assert.Equal(t, int32(96801), javaStringHash("app")) // "app".hashCode() in Java
	assert.Empty(t, JavaHashOrder(nil))
}

// Java38's standalone part is in Java's mntr order; each group (gauges,
// counters, basic and advanced summaries) is a ConcurrentHashMap there, so
// its names must come bucket by bucket as JavaHashOrder puts them (within a
// bucket Java keeps insertion order, which a resize partly reverses). This
// checks the table against the mechanism, and the mechanism against Java's
// output.
func TestJava38GroupsInHashOrder(t *testing.T) {
	groups := map[string][]string{}
	var order []string
	for _, d := range Java38 {
		if d.Kind == KindCounterSet || d.Kind == KindSummarySet {
			continue // printed only once a key counts; one or two of each
		}
		g := "gauge"
		switch {
		case d.Kind == KindCounter:
			g = "counter"
		case d.Kind == KindSummary && d.Level == Basic:
			g = "basic"
		case d.Kind == KindSummary:
			g = "advanced"
		case d.Kind == KindGaugeSet:
			g = "gaugeset"
		}
		if len(groups[g]) == 0 {
			order = append(order, g)
		}
		groups[g] = append(groups[g], d.Name)
	}
	assert.Equal(t, []string{"gauge", "gaugeset", "counter", "basic", "advanced"}, order)
	for g, names := range groups {
		n := javaTableSize(len(names))
		for i := 1; i < len(names); i++ {
			assert.LessOrEqual(t, javaBucket(names[i-1], n), javaBucket(names[i], n), "%s: %s before %s", g, names[i-1], names[i])
		}
	}
}
