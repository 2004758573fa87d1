package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	zktesting "github.com/zkit-go/zkit/testing"
)

// TestBenchOverTLS runs zkit bench against a server's TLS port with the
// client settings in a zkCli client configuration file, and checks that
// the same port refuses the benchmark without them.
func TestBenchOverTLS(t *testing.T) {
	srv := zktesting.StartServer(t, zktesting.WithTLS())
	ks, ts := srv.TLSFiles()
	conf := filepath.Join(t.TempDir(), "client.properties")
	require.NoError(t, os.WriteFile(conf, []byte(strings.Join([]string{
		"zookeeper.client.secure=true",
		"zookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty",
		"zookeeper.ssl.keyStore.location=" + ks,
		"zookeeper.ssl.trustStore.location=" + ts,
	}, "\n")), 0o600))
	var out, errb bytes.Buffer
	rc := runBench([]string{"-server", srv.SecureAddr(), "-client-configuration", conf, "-workload", "mixed",
		"-clients", "2", "-count", "200", "-q", "-json"}, nil, &out, &errb)
	require.Equal(t, 0, rc, "stderr: %s", errb.String())
	var res struct {
		Ops    int64 `json:"ops"`
		Errors int64 `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &res))
	assert.GreaterOrEqual(t, res.Ops, int64(200))
	assert.Zero(t, res.Errors)

	// The session workload sets up a TLS session per op.
	out.Reset()
	rc = runBench([]string{"-server", srv.SecureAddr(), "-client-configuration", conf, "-workload", "session",
		"-clients", "2", "-count", "20", "-q", "-json"}, nil, &out, &errb)
	require.Equal(t, 0, rc, "stderr: %s", errb.String())
	require.NoError(t, json.Unmarshal(out.Bytes(), &res))
	assert.GreaterOrEqual(t, res.Ops, int64(20))
	assert.Zero(t, res.Errors)

	t.Setenv("CLIENT_JVMFLAGS", "")
	errb.Reset()
	rc = runBench([]string{"-server", srv.SecureAddr(), "-count", "10", "-q"}, nil, &out, &errb)
	assert.Equal(t, 1, rc, "a plaintext benchmark on the TLS port fails: %s", errb.String())
}
