package metrics

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// promqlWords are the PromQL functions, keywords and labels the dashboard's
// queries use: everything else that looks like an identifier is a metric.
var promqlWords = map[string]bool{
	"rate": true, "irate": true, "sum": true, "by": true, "avg": true, "max": true, "min": true,
	"job": true, "instance": true, "quantile": true, "label_values": true,
}

var identifier = regexp.MustCompile(`[a-zA-Z_][a-zA-Z0-9_]*`)

// TestDashboardUsesSharedMetrics checks that docs/grafana/zkit.json only
// queries metrics both zkit and Java 3.8 export: Java38 metrics zkit
// measures (not zeros, not omitted), or the process_* names Go's process
// collector and Java's simpleclient_hotspot share.
func TestDashboardUsesSharedMetrics(t *testing.T) {
	b, err := os.ReadFile("../../docs/grafana/zkit.json")
	require.NoError(t, err)
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	require.NoError(t, json.Unmarshal(b, &dash))
	shared := map[string]bool{
		"process_cpu_seconds_total": true, "process_resident_memory_bytes": true,
		"process_open_fds": true, "process_max_fds": true, "process_start_time_seconds": true,
	}
	for _, d := range Java38 {
		if d.Status == Measured || d.Status == RoleMeasured || d.Status == QuorumMeasured {
			shared[d.Name] = true
			if d.Kind == KindSummary {
				shared[d.Name+"_sum"], shared[d.Name+"_count"] = true, true
			}
		}
	}
	var exprs int
	for _, p := range dash.Panels {
		require.NotEmpty(t, p.Targets, p.Title)
		for _, tg := range p.Targets {
			exprs++
			// Drop label values and range selectors before looking for names.
			e := regexp.MustCompile(`"[^"]*"|\[[^\]]*\]|\$[a-z_]+`).ReplaceAllString(tg.Expr, "")
			for _, id := range identifier.FindAllString(e, -1) {
				if promqlWords[id] {
					continue
				}
				assert.True(t, shared[id], "panel %q queries %s, which not both zkit and Java export", p.Title, id)
			}
			assert.True(t, strings.Contains(tg.Expr, `instance=~"$instance"`), "panel %q: filter by $instance", p.Title)
		}
	}
	assert.Greater(t, exprs, 10)
}
