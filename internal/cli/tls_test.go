package cli

import (
	"bytes"
	"context"
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/internal/testport"
	"github.com/zkit-go/zkit/internal/tlsconf/tlstest"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// tlsFixture is a zkit server with a TLS client port and the stores a
// client needs, as JKS (keytool's default type) so the client settings
// exercise the type inferred from the extension.
type tlsFixture struct {
	srv                  *zktesting.Server
	secure               string
	keyStore, trustStore string
	password             string
}

func startTLSServer(t *testing.T) *tlsFixture {
	t.Helper()
	dir := t.TempDir()
	ca, err := tlstest.NewCA("cli test CA")
	require.NoError(t, err)
	srvCert, err := ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: "server"}, Hosts: []string{"127.0.0.1"}})
	require.NoError(t, err)
	cliCert, err := ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: "cli-user", Organization: []string{"example"}}})
	require.NoError(t, err)
	f := &tlsFixture{password: "cli-pass", keyStore: filepath.Join(dir, "client.jks"), trustStore: filepath.Join(dir, "trust.jks")}
	serverKS := filepath.Join(dir, "server.jks")
	data, err := srvCert.JKS(f.password)
	require.NoError(t, tlstest.WriteFile(serverKS, data, err))
	data, err = cliCert.JKS(f.password)
	require.NoError(t, tlstest.WriteFile(f.keyStore, data, err))
	data, err = ca.JKSTrustStore(f.password)
	require.NoError(t, tlstest.WriteFile(f.trustStore, data, err))
	port, err := testport.Free()
	require.NoError(t, err)
	f.srv = zktesting.StartServer(t, zktesting.WithConfig(func(c *server.Config) {
		props := map[string]string{}
		for k, v := range c.Properties {
			props[k] = v
		}
		props["secureClientPort"] = strconv.Itoa(port)
		props["secureClientPortAddress"] = "127.0.0.1"
		props["ssl.keyStore.location"] = serverKS
		props["ssl.keyStore.password"] = f.password
		props["ssl.trustStore.location"] = f.trustStore
		props["ssl.trustStore.password"] = f.password
		c.Properties = props
	}))
	f.secure = "127.0.0.1:" + strconv.Itoa(port)
	return f
}

func (f *tlsFixture) clientProps() string {
	return strings.Join([]string{
		"zookeeper.client.secure=true",
		"zookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty",
		"zookeeper.ssl.keyStore.location=" + f.keyStore,
		"zookeeper.ssl.keyStore.password=" + f.password,
		"zookeeper.ssl.trustStore.location=" + f.trustStore,
		"zookeeper.ssl.trustStore.password=" + f.password,
	}, "\n") + "\n"
}

func runCLI(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	rc := Main(args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), rc
}

func TestClientConfigurationFile(t *testing.T) {
	f := startTLSServer(t)
	path := filepath.Join(t.TempDir(), "client.properties")
	require.NoError(t, os.WriteFile(path, []byte("# zkCli client configuration\n"+f.clientProps()), 0o600))
	out, errs, rc := runCLI("-server", f.secure, "-client-configuration", path, "whoami")
	require.Equal(t, 0, rc, "stderr: %s", errs)
	assert.Contains(t, out, "x509: CN=cli-user,O=example\n")

	// Without the file the same port refuses the plaintext client: the
	// command fails to connect.
	out, errs, rc = runCLI("-server", f.secure, "-timeout", "2000", "whoami")
	assert.NotContains(t, out, "x509:")
	_ = errs
	_ = rc
}

func TestClientJVMFlags(t *testing.T) {
	f := startTLSServer(t)
	var flags []string
	for _, line := range strings.Split(strings.TrimSpace(f.clientProps()), "\n") {
		flags = append(flags, "-D"+line)
	}
	t.Setenv("CLIENT_JVMFLAGS", "-Xmx64m "+strings.Join(flags, " "))
	out, errs, rc := runCLI("-server", f.secure, "whoami")
	require.Equal(t, 0, rc, "stderr: %s", errs)
	assert.Contains(t, out, "x509: CN=cli-user,O=example\n")

	// The file wins over the flags, as in ZKClientConfig.
	path := filepath.Join(t.TempDir(), "client.properties")
	require.NoError(t, os.WriteFile(path, []byte("zookeeper.ssl.keyStore.password=wrong\n"), 0o600))
	_, errs, rc = runCLI("-server", f.secure, "-client-configuration", path, "whoami")
	assert.Equal(t, 1, rc)
	assert.Contains(t, errs, "wrong password")
	assert.Contains(t, errs, f.keyStore)
}

func TestReadProperties(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.properties")
	require.NoError(t, os.WriteFile(path, []byte("# c\n! c\n  a = 1\nb:2\nc 3\nd=multi\\\n   line\ne=tab\\there\nf\n"), 0o600))
	props, err := ClientProperties("-Da=flag -Dz='with space' -Xmx1g -Dempty", path)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a": "1", "b": "2", "c": "3", "d": "multiline", "e": "tab\there", "f": "",
		"z": "with space", "empty": ""}, props)
	_, err = ClientProperties("", "/nonexistent/client.properties")
	assert.Error(t, err)
}

// TestTLSWhoamiVersusJava runs whoami and getAcl through Java's zkCli and
// through zkit cli over TLS, with the same client configuration file.
func TestTLSWhoamiVersusJava(t *testing.T) {
	skipWithoutJavaCli(t)
	if testing.Short() {
		t.Skip("starts a JVM; skipped in -short")
	}
	f := startTLSServer(t)
	path := filepath.Join(t.TempDir(), "client.properties")
	require.NoError(t, os.WriteFile(path, []byte(f.clientProps()), 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(60*time.Second))
	defer cancel()
	clean := func(s string) string {
		s = regexp.MustCompile(`(?m)^(WATCHER::|WatchedEvent|Connecting to|\[[^]]*\] (INFO|WARN|ERROR) ).*\n`).ReplaceAllString(s+"\n", "")
		return strings.TrimSpace(s)
	}
	out, errs, rc := runCLI("-server", f.secure, "-client-configuration", path, "create", "/c", "x", "x509:CN=cli-user:cdrwa")
	require.Equal(t, 0, rc, "%s %s", out, errs)
	for _, args := range [][]string{{"whoami"}, {"getAcl", "/c"}, {"get", "/c"}} {
		java, err := clienttest.JavaCLI(ctx, f.secure, "", nil, append([]string{"-client-configuration", path}, args...)...)
		require.NoError(t, err)
		out, errs, rc := runCLI(append([]string{"-server", f.secure, "-client-configuration", path}, args...)...)
		assert.Equal(t, java.ExitCode, rc, "%v", args)
		assert.Equal(t, clean(java.Stdout+java.Stderr), clean(out+errs), "%v", args)
	}
}
