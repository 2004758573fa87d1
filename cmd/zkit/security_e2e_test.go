//go:build unix

package main

import (
	"bytes"
	"crypto/x509/pkix"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/testport"
	"github.com/zkit-go/zkit/internal/tlsconf/tlstest"
	zktesting "github.com/zkit-go/zkit/testing"
)

// securedStandalone is the files of a secured standalone as an operator
// writes them: JKS stores, a JAAS file and a zoo.cfg.
type securedStandalone struct {
	dir, cfg, jaas  string
	port            int
	clientKeyStore  string // alice's PKCS12 key store
	clientTrust     string // the CA as a PKCS12 trust store
	clientJAAS      string // Client section, bob
	wrongClientJAAS string // Client section, bob with a wrong password
}

func writeSecuredStandalone(t *testing.T) securedStandalone {
	t.Helper()
	dir := t.TempDir()
	port, err := testport.Free()
	require.NoError(t, err)
	ca, err := tlstest.NewCA("e2e CA")
	require.NoError(t, err)
	srvCert, err := ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: "localhost"}, Hosts: []string{"127.0.0.1", "localhost"}})
	require.NoError(t, err)
	alice, err := ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: "alice", OrganizationalUnit: []string{"clients"}, Organization: []string{"example"}}})
	require.NoError(t, err)
	write := func(name string, b []byte, err error) string {
		t.Helper()
		require.NoError(t, err)
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}
	s := securedStandalone{dir: dir, port: port}
	srvJKS, err := srvCert.JKS("storepass")
	serverKS := write("server.jks", srvJKS, err)
	trustJKS, err := ca.JKSTrustStore("storepass")
	serverTS := write("truststore.jks", trustJKS, err)
	aliceP12, err := alice.PKCS12("clientpass")
	s.clientKeyStore = write("alice.p12", aliceP12, err)
	trustP12, err := ca.PKCS12TrustStore("clientpass")
	s.clientTrust = write("clienttrust.p12", trustP12, err)
	s.jaas = write("jaas.conf", []byte(`Server {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       user_super="adminsecret"
       user_bob="bobsecret";
};
`), nil)
	clientSection := func(pw string) []byte {
		return []byte("Client {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  username=\"bob\"\n  password=\"" + pw + "\";\n};\n")
	}
	s.clientJAAS = write("client.conf", clientSection("bobsecret"), nil)
	s.wrongClientJAAS = write("wrong.conf", clientSection("nope"), nil)
	s.cfg = write("zoo.cfg", []byte(strings.Join([]string{
		"tickTime=2000",
		"dataDir=" + filepath.Join(dir, "data"),
		"secureClientPort=" + strconv.Itoa(port),
		"secureClientPortAddress=127.0.0.1",
		"serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
		"ssl.keyStore.location=" + serverKS,
		"ssl.keyStore.password=storepass",
		"ssl.trustStore.location=" + serverTS,
		"ssl.trustStore.password=storepass",
		"ssl.clientAuth=need",
		"authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider",
		"sessionRequireClientSASLAuth=true",
		"admin.enableServer=false",
		"",
	}, "\n")), nil)
	return s
}

// TestSecuredStandaloneEndToEnd runs `zkit server zoo.cfg` as an operator
// does — TLS stores and SASL in the zoo.cfg, the JAAS file through
// SERVER_JVMFLAGS — checks it with -check first, and connects with
// `zkit cli` as zkCli.sh would: a TLS client logged in with SASL gets in
// as both x509 and sasl ids; a plaintext client, a TLS client without a
// login and one with a wrong password do not.
func TestSecuredStandaloneEndToEnd(t *testing.T) {
	s := writeSecuredStandalone(t)
	t.Setenv("SERVER_JVMFLAGS", "-Xmx512m -Djava.security.auth.login.config="+s.jaas)
	t.Setenv("JVMFLAGS", "")

	var out, errb bytes.Buffer
	require.Equal(t, 0, run([]string{"server", "-check", s.cfg}, strings.NewReader(""), &out, &errb), "%s%s", out.String(), errb.String())
	assert.Contains(t, out.String(), s.cfg+": OK")

	var stderr syncWriter
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"server", s.cfg}, strings.NewReader(""), &out, &stderr)
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		select {
		case code := <-done: // exited on its own: nothing to signal
			t.Errorf("server exited early with %d:\n%s", code, stderr.String())
			return
		default:
		}
		require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
		select {
		case code := <-done:
			assert.Equal(t, 0, code, stderr.String())
		case <-time.After(zktesting.Scale(20 * time.Second)):
			t.Error("server did not stop on SIGTERM")
		}
	}
	defer stop()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	deadline := time.Now().Add(zktesting.Scale(20 * time.Second))
	for !strings.Contains(stderr.String(), "msg=serving") {
		select {
		case code := <-done:
			stopped = true
			t.Fatalf("server exited with %d:\n%s", code, stderr.String())
		default:
		}
		require.True(t, time.Now().Before(deadline), "server not serving on %s:\n%s", addr, stderr.String())
		time.Sleep(20 * time.Millisecond) // polling the log
	}

	tlsConf := filepath.Join(s.dir, "client.properties")
	require.NoError(t, os.WriteFile(tlsConf, []byte(strings.Join([]string{
		"zookeeper.client.secure=true",
		"zookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty",
		"zookeeper.ssl.keyStore.location=" + s.clientKeyStore,
		"zookeeper.ssl.keyStore.password=clientpass",
		"zookeeper.ssl.trustStore.location=" + s.clientTrust,
		"zookeeper.ssl.trustStore.password=clientpass",
	}, "\n")), 0o600))
	cli := func(clientFlags string, args ...string) (int, string) {
		t.Helper()
		t.Setenv("CLIENT_JVMFLAGS", clientFlags)
		var o, e bytes.Buffer
		all := append([]string{"cli", "-server", addr, "-timeout", strconv.Itoa(int(zktesting.Scale(5 * time.Second).Milliseconds()))}, args...)
		code := run(all, strings.NewReader(""), &o, &e)
		return code, o.String() + e.String()
	}
	login := "-Djava.security.auth.login.config=" + s.clientJAAS

	code, got := cli(login, "-client-configuration", tlsConf, "whoami")
	require.Equal(t, 0, code, got)
	assert.Contains(t, got, "sasl: bob")
	assert.Contains(t, got, "x509: CN=alice,OU=clients,O=example", "Java's RFC 2253 subject")
	code, got = cli(login, "-client-configuration", tlsConf, "create", "/secured", "v")
	require.Equal(t, 0, code, got)

	code, got = cli(login, "get", "/secured")
	assert.Contains(t, got, "ConnectionLoss")
	assert.NotEqual(t, 0, code, "plaintext on the TLS port: %s", got)
	assert.NotContains(t, got, "\nv\n")
	code, got = cli("", "-client-configuration", tlsConf, "get", "/secured")
	assert.Contains(t, got, "Session closed because client failed to authenticate")
	assert.NotEqual(t, 0, code, "TLS without a SASL login, sessionRequireClientSASLAuth=true: %s", got)
	assert.NotContains(t, got, "\nv\n")
	code, got = cli("-Djava.security.auth.login.config="+s.wrongClientJAAS, "-client-configuration", tlsConf, "get", "/secured")
	assert.Contains(t, got, "AuthFailed")
	assert.NotEqual(t, 0, code, "wrong SASL password: %s", got)
	assert.NotContains(t, got, "\nv\n")

	stop()
	assert.Contains(t, stderr.String(), "client failed to SASL authenticate")
}
