package buildinfo

import (
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// goZookeeperVersion is the version part of go-zookeeper's FLWSrvr
// pattern: what a Go client accepts.
var goZookeeperVersion = regexp.MustCompile(`^[A-Za-z0-9\.\-]+$`)

func TestZooKeeperVersion(t *testing.T) {
	stamped := &debug.BuildInfo{
		GoVersion: "go1.24.1",
		Main:      debug.Module{Path: "github.com/zkit-go/zkit", Version: "v0.4.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "3f2a9c01b7de55aa00112233445566778899aabb"},
			{Key: "vcs.time", Value: "2026-12-01T10:02:03Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	for _, tc := range []struct {
		name      string
		bi        *debug.BuildInfo
		zk, short string
	}{
		{"stamped", stamped, "3.8.0-zkit-3f2a9c01b7de-dirty, built on 2026-12-01 10:02 UTC", "zkit v0.4.0 (3f2a9c01b7de-dirty 2026-12-01T10:02:03Z) go1.24.1"},
		{"unstamped", &debug.BuildInfo{GoVersion: "go1.24.1"}, "3.8.0-zkit, built on unknown", "zkit (devel) go1.24.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := FromBuildInfo(tc.bi)
			v := in.ZooKeeperVersion()
			assert.Equal(t, tc.zk, v)
			rev, _, ok := strings.Cut(v, ", built on ")
			assert.True(t, ok)
			assert.Regexp(t, goZookeeperVersion, rev, "a version go-zookeeper's FLWSrvr reads")
			assert.Contains(t, in.String(), tc.short)
		})
	}
}

func TestReadRunningBinary(t *testing.T) {
	in := Read()
	assert.NotEmpty(t, in.GoVersion)
	assert.NotEmpty(t, in.Module)
}
