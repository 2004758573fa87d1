package metrics

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOperationsListsOmitted keeps docs/operations.md's list of the Java
// metrics zkit leaves out in step with Java38.
func TestOperationsListsOmitted(t *testing.T) {
	b, err := os.ReadFile("../../docs/operations.md")
	require.NoError(t, err)
	_, doc, ok := strings.Cut(string(b), "measure yet. Those are:")
	require.True(t, ok, "the list of omitted metrics")
	doc, _, _ = strings.Cut(doc, "\n## ")
	doc, _, _ = strings.Cut(doc, "A dashboard for Grafana")
	for _, d := range Java38 {
		listed := strings.Contains(doc, "`"+d.Name+"`")
		assert.Equal(t, d.Status == Omitted, listed, "%s: listed in docs/operations.md iff Omitted", d.Name)
	}
}
