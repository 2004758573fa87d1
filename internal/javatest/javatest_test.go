package javatest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteJoinerConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m4")
	cfg, err := WriteJoinerConfig(dir, 4, []string{"server.1=127.0.0.1:1:2;3"}, "server.4=127.0.0.1:4:5;6", "x=y")
	require.NoError(t, err)
	myid, err := os.ReadFile(filepath.Join(dir, "data", "myid"))
	require.NoError(t, err)
	assert.Equal(t, "4\n", string(myid))
	dyn, err := os.ReadFile(filepath.Join(dir, "zoo.cfg.dynamic"))
	require.NoError(t, err)
	assert.Equal(t, "server.1=127.0.0.1:1:2;3\nserver.4=127.0.0.1:4:5;6\n", string(dyn))
	b, err := os.ReadFile(cfg)
	require.NoError(t, err)
	text := string(b)
	for _, want := range []string{"tickTime=2000\n", "reconfigEnabled=true\n", "standaloneEnabled=false\n",
		"dynamicConfigFile=" + filepath.Join(dir, "zoo.cfg.dynamic") + "\n", "dataDir=" + filepath.Join(dir, "data") + "\n"} {
		assert.Contains(t, text, want)
	}
	assert.True(t, strings.HasSuffix(text, "x=y\n"), "extra lines come last, so they win")
}

func TestSplitTranscript(t *testing.T) {
	events, output := SplitTranscript("SLF4J: x\nConnecting to h:1\n\nWATCHER::\nWatchedEvent state:SyncConnected type:None path:null\n[zookeeper]\nWATCHER::\nWatchedEvent state:Disconnected type:None path:null\n", "h:1")
	assert.Equal(t, []string{"WATCHER::", "WatchedEvent state:SyncConnected type:None path:null"}, events)
	assert.Equal(t, []string{"Connecting to ADDR", "[zookeeper]"}, output)
}

// TestStandaloneAndCLI starts the oracle and talks to it through zkCli:
// the launch path every Java test takes.
func TestStandaloneAndCLI(t *testing.T) {
	Skip(t)
	s, err := StartStandalone(t.TempDir(), nil)
	require.NoError(t, err)
	defer s.Stop()
	assert.Contains(t, FourLetter(s.Addr, "srvr"), "Mode: standalone")
	ctx, cancel := context.WithTimeout(context.Background(), Scale(time.Minute))
	defer cancel()
	res, err := CLI(ctx, s.Addr, "", nil, "create", "/javatest", "v")
	require.NoError(t, err)
	require.Zero(t, res.ExitCode, res.Stderr)
	out, code, err := CLICombined(ctx, s.Addr, "get /javatest\n", nil)
	require.NoError(t, err)
	assert.Zero(t, code)
	assert.Contains(t, out, "\nv\n")
	s.Stop()
	s.Stop() // a second Stop does nothing
	assert.Empty(t, FourLetter(s.Addr, "srvr"))
}

func TestCompileDriver(t *testing.T) {
	d := CompileSource(t, "", "Echo", "public class Echo { public static void main(String[] a) { System.out.print(String.join(\",\", a)); } }")
	assert.Equal(t, "a,b", Output(t, d.Command(context.Background(), nil, "Echo", "a", "b"), ""))
}
