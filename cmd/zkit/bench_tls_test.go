package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// TestStatusSecurePort: as zkServer.sh status, a zoo.cfg with only a
// secureClientPort is asked over TLS with the CLIENT_JVMFLAGS stores.
func TestStatusSecurePort(t *testing.T) {
	srv := zktesting.StartServer(t, zktesting.WithTLS())
	ks, ts := srv.TLSFiles()
	_, port, err := net.SplitHostPort(srv.SecureAddr())
	require.NoError(t, err)
	cfgPath := filepath.Join(t.TempDir(), "zoo.cfg")
	require.NoError(t, os.WriteFile(cfgPath, []byte("dataDir="+t.TempDir()+"\nsecureClientPort="+port+
		"\nsecureClientPortAddress=127.0.0.1\n"), 0o644))

	t.Setenv("CLIENT_JVMFLAGS", "-Dzookeeper.client.secure=true -Dzookeeper.ssl.keyStore.location="+ks+
		" -Dzookeeper.ssl.trustStore.location="+ts)
	var out, errb bytes.Buffer
	rc := runStatus([]string{cfgPath}, &out, &errb, zktesting.Scale(5*time.Second))
	require.Equal(t, 0, rc, "%s %s", out.String(), errb.String())
	assert.Equal(t, "Client port not found. Looking for secureClientPort in the static config.\n"+
		"Client port found: "+port+". Client address: 127.0.0.1. Client SSL: true.\nMode: standalone\n", out.String())

	t.Setenv("CLIENT_JVMFLAGS", "")
	out.Reset()
	rc = runStatus([]string{cfgPath}, &out, &errb, zktesting.Scale(5*time.Second))
	assert.Equal(t, 1, rc)
	assert.Contains(t, out.String(), "Note: We used secureClientPort ("+port+")")
	assert.Contains(t, out.String(), "Error contacting service. It is probably not running.")
}
