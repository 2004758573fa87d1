package server_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/server"
)

// TestParseConfigEnsembleOps covers the zoo.cfg keys of quotas, local
// sessions, read-only mode and standaloneEnabled.
func TestParseConfigEnsembleOps(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lines   string
		want    func(c server.Config) bool
		wantErr bool
	}{
		{"defaults off", "", func(c server.Config) bool {
			return !c.EnforceQuota && !c.LocalSessionsEnabled && !c.LocalSessionsUpgradingEnabled && !c.ReadOnlyModeEnabled
		}, false},
		{"enforceQuota", "enforceQuota=true", func(c server.Config) bool { return c.EnforceQuota }, false},
		{"zookeeper.enforceQuota", "zookeeper.enforceQuota=TRUE", func(c server.Config) bool { return c.EnforceQuota }, false},
		{"enforceQuota not true", "enforceQuota=yes", func(c server.Config) bool { return !c.EnforceQuota }, false},
		{"local sessions", "localSessionsEnabled=true\nlocalSessionsUpgradingEnabled=true", func(c server.Config) bool {
			return c.LocalSessionsEnabled && c.LocalSessionsUpgradingEnabled
		}, false},
		{"local sessions bad", "localSessionsEnabled=maybe", nil, true},
		{"read-only", "readonlymode.enabled=true", func(c server.Config) bool { return c.ReadOnlyModeEnabled }, false},
		{"read-only as property", "zookeeper.readonlymode.enabled=true", func(c server.Config) bool { return c.ReadOnlyModeEnabled }, false},
		{"standalone by default", "", func(c server.Config) bool { return !c.StandaloneDisabled }, false},
		{"standaloneEnabled=false", "standaloneEnabled=false", func(c server.Config) bool { return c.StandaloneDisabled }, false},
		{"standaloneEnabled=true", "standaloneEnabled=true", func(c server.Config) bool { return !c.StandaloneDisabled }, false},
		{"standaloneEnabled bad", "standaloneEnabled=sometimes", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "zoo.cfg")
			require.NoError(t, os.WriteFile(path, []byte("dataDir="+dir+"\nclientPort=2181\n"+tc.lines+"\n"), 0o644))
			c, err := server.ParseConfig(path)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.True(t, tc.want(c))
		})
	}
}
