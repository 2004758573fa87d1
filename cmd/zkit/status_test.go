package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	zktesting "github.com/zkit-go/zkit/testing"
)

func TestStatus(t *testing.T) {
	srv := zktesting.StartServer(t)
	addr := srv.Addr()
	_, port, _ := splitAddr(t, addr)
	cfgPath := filepath.Join(t.TempDir(), "zoo.cfg")
	require.NoError(t, os.WriteFile(cfgPath, []byte(fmt.Sprintf(
		"dataDir=%s\nclientPort=%s\nclientPortAddress=127.0.0.1\n", t.TempDir(), port)), 0o644))
	timeout := zktesting.Scale(5 * time.Second)

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"host:port", []string{addr}},
		{"zoo.cfg", []string{cfgPath}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			rc := runStatus(tc.args, &out, &errOut, timeout)
			require.Equal(t, 0, rc, "stderr: %s", errOut.String())
			assert.Equal(t, "Client port found: "+port+". Client address: 127.0.0.1. Client SSL: false.\nMode: standalone\n", out.String())
		})
	}

	srv.Stop()
	var out, errOut bytes.Buffer
	rc := runStatus([]string{addr}, &out, &errOut, timeout)
	assert.Equal(t, 1, rc)
	assert.Contains(t, out.String(), "Error contacting service. It is probably not running.\n")
}

func TestStatusBadArgs(t *testing.T) {
	for _, args := range [][]string{{"nonsense"}, {"a:b:c"}, {"127.0.0.1:0"}, {"x", "y"}} {
		var out, errOut bytes.Buffer
		assert.Equal(t, 2, runStatus(args, &out, &errOut, time.Second), "%v", args)
		assert.NotEmpty(t, errOut.String())
	}
}

func splitAddr(t *testing.T, addr string) (string, string, error) {
	t.Helper()
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[:i], addr[i+1:], nil
		}
	}
	t.Fatalf("no port in %q", addr)
	return "", "", nil
}

func TestBenchCommand(t *testing.T) {
	srv := zktesting.StartServer(t)
	var out, errOut bytes.Buffer
	rc := runBench([]string{"-server", srv.Addr(), "-workload", "mixed", "-clients", "2", "-count", "50", "-json", "-q"}, nil, &out, &errOut)
	require.Equal(t, 0, rc, errOut.String())
	assert.Contains(t, out.String(), `"workload": "mixed"`)
	assert.Contains(t, out.String(), `"ops": 50`)

	out.Reset()
	rc = runBench([]string{"-server", srv.Addr(), "-workload", "read", "-clients", "1", "-count", "10", "-q"}, nil, &out, &errOut)
	require.Equal(t, 0, rc, errOut.String())
	assert.Contains(t, out.String(), "p999")

	assert.Equal(t, 1, runBench([]string{"-server", srv.Addr(), "-workload", "nope", "-q"}, nil, &out, &errOut))
	assert.Equal(t, 2, runBench([]string{"-bogus"}, nil, &out, &errOut))
}
