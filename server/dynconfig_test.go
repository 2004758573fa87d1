package server

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEditStaticConfig: the rewritten zoo.cfg keeps every other key in the
// file's order, drops the membership keys, drops the client port keys only
// when the member's server line names its client address, and ends with
// the dynamic file's absolute path (the rules Java 3.8 applied to a
// three-member ensemble's zoo.cfg files, one with a client port in its
// server line and one without).
func TestEditStaticConfig(t *testing.T) {
	dir := t.TempDir()
	static := "# comment\ntickTime=2000\ndataDir = /var/zk\nclientPort=2181\nclientPortAddress=127.0.0.1\n" +
		"server.1=127.0.0.1:2888:3888;2181\nserver.2=h:2889:3889\npeerType=participant\n" +
		"dynamicConfigFile=/old/zoo.cfg.dynamic.5\ngroup.1=1:2\nweight.1=1\nreconfigEnabled=true\n"
	for _, tc := range []struct {
		clientInLine bool
		want         string
	}{
		{false, "tickTime=2000\ndataDir=/var/zk\nclientPort=2181\nclientPortAddress=127.0.0.1\nreconfigEnabled=true\n"},
		{true, "tickTime=2000\ndataDir=/var/zk\nreconfigEnabled=true\n"},
	} {
		cfg := filepath.Join(dir, "zoo.cfg")
		require.NoError(t, os.WriteFile(cfg, []byte(static), 0o644))
		dyn := filepath.Join(dir, "zoo.cfg.dynamic.100000002")
		require.NoError(t, os.WriteFile(dyn, []byte("server.1=127.0.0.1:2888:3888:participant;0.0.0.0:2181"), 0o644))
		require.NoError(t, editStaticConfig(cfg, dyn, tc.clientInLine))
		got, err := os.ReadFile(cfg)
		require.NoError(t, err)
		real, _ := filepath.EvalSymlinks(dyn)
		assert.Equal(t, tc.want+"dynamicConfigFile="+real+"\n", string(got), "clientInLine=%v", tc.clientInLine)
	}
}

func TestDynamicConfigFileVersion(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	lines := "server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181\nserver.2=127.0.0.1:2889:3889:participant"
	for name, want := range map[string]int64{
		"zoo.cfg.dynamic.100000002": 0x100000002,
		"zoo.cfg.dynamic":           0,
		"members.txt":               0,
	} {
		dyn := write(name, lines)
		cfgPath := write("zoo.cfg", "dataDir="+dir+"\ndynamicConfigFile="+dyn+"\n")
		cfg, err := ParseConfig(cfgPath)
		require.NoError(t, err, name)
		assert.Equal(t, want, cfg.ConfigVersion, name)
		require.Len(t, cfg.Servers, 2, name)
	}
	dyn := write("zoo.cfg.dynamic.7", lines+"\nversion=7")
	_, err := ParseConfig(write("zoo.cfg", "dataDir="+dir+"\ndynamicConfigFile="+dyn+"\n"))
	require.ErrorContains(t, err, "must not have a version line")
}
