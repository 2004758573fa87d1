package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/testport"
	"github.com/zkit-go/zkit/internal/tlsconf"
	"github.com/zkit-go/zkit/internal/tlsconf/tlstest"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

const (
	storePassword = "store-pw"
	aliceID       = "CN=alice,OU=clients,O=example"
	bobID         = "CN=bob,OU=clients,O=example"
)

// tlsPKI is a CA with a server certificate and two client certificates,
// written as PKCS12 stores (which both zkit and Java read).
type tlsPKI struct {
	dir                        string
	ca                         *tlstest.CA
	serverKS, trustStore       string
	aliceKS, bobKS, strangerKS string
	alice, bob                 *tlstest.Cert
}

func newTLSPKI(t *testing.T) *tlsPKI {
	t.Helper()
	p := &tlsPKI{dir: t.TempDir()}
	var err error
	p.ca, err = tlstest.NewCA("zkit test CA")
	require.NoError(t, err)
	issue := func(name string, subject pkix.Name, hosts ...string) (*tlstest.Cert, string) {
		c, err := p.ca.Issue(tlstest.Options{Subject: subject, Hosts: hosts})
		require.NoError(t, err)
		path := filepath.Join(p.dir, name+".p12")
		data, err := c.PKCS12(storePassword)
		require.NoError(t, tlstest.WriteFile(path, data, err))
		return c, path
	}
	_, p.serverKS = issue("server", pkix.Name{CommonName: "zkit server"}, "127.0.0.1", "localhost")
	p.alice, p.aliceKS = issue("alice", pkix.Name{CommonName: "alice", OrganizationalUnit: []string{"clients"}, Organization: []string{"example"}})
	p.bob, p.bobKS = issue("bob", pkix.Name{CommonName: "bob", OrganizationalUnit: []string{"clients"}, Organization: []string{"example"}})
	other, err := tlstest.NewCA("stranger CA")
	require.NoError(t, err)
	stranger, err := other.Issue(tlstest.Options{Subject: pkix.Name{CommonName: "mallory"}})
	require.NoError(t, err)
	p.strangerKS = filepath.Join(p.dir, "stranger.p12")
	data, err := stranger.PKCS12(storePassword)
	require.NoError(t, tlstest.WriteFile(p.strangerKS, data, err))
	p.trustStore = filepath.Join(p.dir, "trust.p12")
	data, err = p.ca.PKCS12TrustStore(storePassword)
	require.NoError(t, tlstest.WriteFile(p.trustStore, data, err))
	return p
}

// serverProps are the zoo.cfg keys of a TLS client port.
func (p *tlsPKI) serverProps(securePort int) map[string]string {
	return map[string]string{
		"secureClientPort":        strconv.Itoa(securePort),
		"secureClientPortAddress": "127.0.0.1",
		"serverCnxnFactory":       "org.apache.zookeeper.server.NettyServerCnxnFactory",
		"ssl.keyStore.location":   p.serverKS,
		"ssl.keyStore.password":   storePassword,
		"ssl.trustStore.location": p.trustStore,
		"ssl.trustStore.password": storePassword,
		"admin.enableServer":      "false",
		"4lw.commands.whitelist":  "*",
	}
}

// clientTLS is a client config presenting keyStore (none when empty).
func (p *tlsPKI) clientTLS(t *testing.T, keyStore string) *tls.Config {
	t.Helper()
	props := map[string]string{
		"zookeeper.ssl.trustStore.location": p.trustStore,
		"zookeeper.ssl.trustStore.password": storePassword,
	}
	if keyStore != "" {
		props["zookeeper.ssl.keyStore.location"] = keyStore
		props["zookeeper.ssl.keyStore.password"] = storePassword
	}
	s, err := tlsconf.FromProperties(func(k string) (string, bool) { v, ok := props[k]; return v, ok }, tlsconf.ClientPrefix)
	require.NoError(t, err)
	c, err := s.ClientConfig()
	require.NoError(t, err)
	return c
}

func freePort(t *testing.T) int {
	t.Helper()
	p, err := testport.Free()
	require.NoError(t, err)
	return p
}

func tlsServerConfig(t *testing.T, clientPort int, props map[string]string) server.Config {
	cfg := server.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.ClientPort = clientPort
	cfg.ClientPortAddress = "127.0.0.1"
	if clientPort == 0 {
		// No clientPort (Config.ClientPort): only the TLS listener.
		cfg.ClientPortAddress = ""
	}
	cfg.MaxClientCnxns = 0
	cfg.Logger = slog.New(slog.DiscardHandler)
	if os.Getenv("ZKIT_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	cfg.Properties = props
	return cfg
}

// startTLS starts a standalone server with props and closes it at the end.
func startTLS(t *testing.T, clientPort int, props map[string]string) *server.Server {
	t.Helper()
	s, err := server.New(tlsServerConfig(t, clientPort, props))
	require.NoError(t, err)
	require.NoError(t, s.Start())
	t.Cleanup(func() { s.Close() })
	<-s.Ready()
	return s
}

func dialTLS(t *testing.T, addr string, cfg *tls.Config) (*client.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(10*time.Second))
	defer cancel()
	c, err := client.Dial(ctx, addr, client.WithTLS(cfg))
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(20*time.Second))
	t.Cleanup(cancel)
	return ctx
}

func TestTLSSettingsRefused(t *testing.T) {
	p := newTLSPKI(t)
	port := freePort(t)
	with := func(changes map[string]string, drop ...string) map[string]string {
		m := p.serverProps(port)
		for _, k := range drop {
			delete(m, k)
		}
		for k, v := range changes {
			m[k] = v
		}
		return m
	}
	for _, c := range []struct {
		name  string
		props map[string]string
		words []string
	}{
		{"no key store", with(nil, "ssl.keyStore.location"), []string{"keyStore.location"}},
		{"missing key store", with(map[string]string{"ssl.keyStore.location": "/nonexistent/k.p12"}), []string{"/nonexistent/k.p12"}},
		{"wrong password", with(map[string]string{"ssl.keyStore.password": "nope"}), []string{p.serverKS, "wrong password"}},
		{"wrong trust password", with(map[string]string{"ssl.trustStore.password": "nope"}), []string{p.trustStore, "wrong password"}},
		{"wrong type", with(map[string]string{"ssl.keyStore.type": "JKS"}), []string{p.serverKS, "JKS"}},
		{"bcfks", with(map[string]string{"ssl.trustStore.type": "BCFKS"}), []string{"BCFKS"}},
		{"crl", with(map[string]string{"ssl.crl": "true"}), []string{"zookeeper.ssl.crl"}},
		{"ocsp as system property", with(map[string]string{"zookeeper.ssl.ocsp": "true"}), []string{"zookeeper.ssl.ocsp"}},
		{"unknown cipher", with(map[string]string{"ssl.ciphersuites": "TLS_RSA_WITH_NULL_SHA256"}), []string{"TLS_RSA_WITH_NULL_SHA256"}},
		{"client auth", with(map[string]string{"ssl.clientAuth": "maybe"}), []string{"clientAuth"}},
		{"auth provider", with(map[string]string{"ssl.authProvider": "custom"}), []string{"ssl.authProvider"}},
		{"factory", with(map[string]string{"serverCnxnFactory": "com.example.Factory"}), []string{"serverCnxnFactory"}},
		{"secure address without port", with(nil, "secureClientPort"), []string{"secureClientPortAddress"}},
		{"bad port", with(map[string]string{"secureClientPort": "70000"}), []string{"secureClientPort"}},
		{"custom x509 provider", with(map[string]string{"authProvider.x509": "com.example.MyX509Provider"}), []string{"authProvider.x509"}},
		{"unification without key store", map[string]string{"client.portUnification": "true"}, []string{"keyStore.location"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := server.New(tlsServerConfig(t, 0, c.props))
			require.Error(t, err)
			for _, w := range c.words {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// TestSSLSettingsWithoutTLSPort: as in Java, ssl.* settings are read only
// for a TLS port; without one, even unusable ones leave the plaintext
// server running (with a warning).
func TestSSLSettingsWithoutTLSPort(t *testing.T) {
	srv := startTLS(t, freePort(t), map[string]string{"ssl.crl": "true", "ssl.keyStore.location": "/nonexistent.p12"})
	assert.Nil(t, srv.SecureAddr())
	c, err := client.Dial(testCtx(t), srv.Addr().String())
	require.NoError(t, err)
	c.Close()
}

func TestTLSBesidePlaintext(t *testing.T) {
	p := newTLSPKI(t)
	srv := startTLS(t, freePort(t), p.serverProps(freePort(t)))
	secure := srv.SecureAddr().String()
	plainAddr := srv.Addr().String()
	require.NotEqual(t, secure, plainAddr)
	ctx := testCtx(t)

	alice, err := dialTLS(t, secure, p.clientTLS(t, p.aliceKS))
	require.NoError(t, err)
	who, err := alice.WhoAmI(ctx)
	require.NoError(t, err)
	// Java's hash order (acl.AuthInfo); TestTLSJavaOracle compares it.
	assert.Equal(t, []proto.ClientInfo{{AuthScheme: "x509", User: aliceID}, {AuthScheme: "ip", User: "127.0.0.1"}}, who)

	plain, err := client.Dial(ctx, plainAddr)
	require.NoError(t, err)
	defer plain.Close()
	who, err = plain.WhoAmI(ctx)
	require.NoError(t, err)
	assert.Equal(t, []proto.ClientInfo{{AuthScheme: "ip", User: "127.0.0.1"}}, who)

	// An x509 ACL grants alice and refuses bob and the plaintext client.
	acl := []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "x509", ID: aliceID}}}
	_, err = alice.Create(ctx, "/alice", []byte("a"), 0, acl)
	require.NoError(t, err)
	data, _, err := alice.GetData(ctx, "/alice", false)
	require.NoError(t, err)
	assert.Equal(t, []byte("a"), data)
	bob, err := dialTLS(t, secure, p.clientTLS(t, p.bobKS))
	require.NoError(t, err)
	_, _, err = bob.GetData(ctx, "/alice", false)
	assert.ErrorIs(t, err, proto.ErrNoAuth)
	_, _, err = plain.GetData(ctx, "/alice", false)
	assert.ErrorIs(t, err, proto.ErrNoAuth)

	// "auth" expands to the x509 id, as Java's provider is authenticated.
	_, err = bob.Create(ctx, "/bob", nil, 0, []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "auth", ID: ""}}})
	require.NoError(t, err)
	got, _, err := bob.GetACL(ctx, "/bob")
	require.NoError(t, err)
	assert.Equal(t, []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "x509", ID: bobID}}}, got)

	// A name X500Principal would not parse is an invalid ACL.
	_, err = alice.Create(ctx, "/bad", nil, 0, []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "x509", ID: "not a name"}}})
	assert.ErrorIs(t, err, proto.ErrInvalidACL)

	// The conf four-letter word shows the secure port.
	_, port, _ := net.SplitHostPort(secure)
	assert.Contains(t, srv.FourLetterWord("conf"), "secureClientPort="+port+"\n")
}

func TestTLSRefusals(t *testing.T) {
	p := newTLSPKI(t)
	srv := startTLS(t, freePort(t), p.serverProps(freePort(t)))
	secure := srv.SecureAddr().String()

	// No client certificate (clientAuth defaults to need).
	_, err := dialTLS(t, secure, p.clientTLS(t, ""))
	assert.Error(t, err)
	// A certificate from a CA the server does not trust.
	_, err = dialTLS(t, secure, p.clientTLS(t, p.strangerKS))
	assert.Error(t, err)
	// A server the client does not trust.
	untrusting := p.clientTLS(t, p.aliceKS)
	other, err := tlstest.NewCA("other")
	require.NoError(t, err)
	untrusting = untrusting.Clone()
	wrongTrust := filepath.Join(t.TempDir(), "other.pem")
	require.NoError(t, os.WriteFile(wrongTrust, other.PEM(), 0o600))
	s, err := tlsconf.FromProperties(func(k string) (string, bool) {
		v, ok := map[string]string{"zookeeper.ssl.trustStore.location": wrongTrust,
			"zookeeper.ssl.keyStore.location": p.aliceKS, "zookeeper.ssl.keyStore.password": storePassword}[k]
		return v, ok
	}, tlsconf.ClientPrefix)
	require.NoError(t, err)
	untrusting, err = s.ClientConfig()
	require.NoError(t, err)
	_, err = dialTLS(t, secure, untrusting)
	assert.Error(t, err)

	// A plaintext client on the secure port gets no answer and is closed.
	ctx := testCtx(t)
	_, err = client.Dial(ctx, secure)
	assert.Error(t, err)
	// A TLS client on the plaintext port (no unification) fails.
	_, err = dialTLS(t, srv.Addr().String(), p.clientTLS(t, p.aliceKS))
	assert.Error(t, err)

	// A silent connection on the secure port does not hold up others,
	// and is dropped when its handshake deadline (10 s) passes.
	silent, err := net.Dial("tcp", secure)
	require.NoError(t, err)
	defer silent.Close()
	start := time.Now()
	_, err = dialTLS(t, secure, p.clientTLS(t, p.aliceKS))
	require.NoError(t, err)
	silent.SetReadDeadline(time.Now().Add(zktesting.Scale(30 * time.Second)))
	_, err = silent.Read(make([]byte, 1))
	assert.True(t, errors.Is(err, io.EOF) || isReset(err), "silent connection closed by the server: %v", err)
	assert.GreaterOrEqual(t, time.Since(start), 9*time.Second, "not before the deadline")
}

func TestTLSOnlyMeansNoPlaintextListener(t *testing.T) {
	p := newTLSPKI(t)
	srv := startTLS(t, 0, p.serverProps(freePort(t)))
	assert.Equal(t, srv.SecureAddr().String(), srv.Addr().String(), "no clientPort: the TLS listener is the only one")
	_, err := dialTLS(t, srv.Addr().String(), p.clientTLS(t, p.aliceKS))
	require.NoError(t, err)
	_, err = client.Dial(testCtx(t), srv.Addr().String())
	assert.Error(t, err)
}

func TestPortUnification(t *testing.T) {
	p := newTLSPKI(t)
	props := p.serverProps(0)
	delete(props, "secureClientPort")
	delete(props, "secureClientPortAddress")
	props["client.portUnification"] = "true"
	props["ssl.handshakeDetectionTimeoutMillis"] = "300"
	srv := startTLS(t, freePort(t), props)
	assert.Nil(t, srv.SecureAddr())
	addr := srv.Addr().String()
	ctx := testCtx(t)

	alice, err := dialTLS(t, addr, p.clientTLS(t, p.aliceKS))
	require.NoError(t, err)
	who, err := alice.WhoAmI(ctx)
	require.NoError(t, err)
	assert.Contains(t, who, proto.ClientInfo{AuthScheme: "x509", User: aliceID})

	plain, err := client.Dial(ctx, addr)
	require.NoError(t, err)
	defer plain.Close()
	_, err = plain.Exists(ctx, "/", false)
	require.NoError(t, err)

	// A connection that sends nothing is dropped after the detection
	// timeout, without holding up the others.
	silent, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer silent.Close()
	silent.SetReadDeadline(time.Now().Add(zktesting.Scale(10 * time.Second)))
	_, err = silent.Read(make([]byte, 1))
	assert.True(t, errors.Is(err, io.EOF) || isReset(err), "silent connection closed by the server: %v", err)
}

func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && !ne.Timeout()
}

func TestX509SuperUser(t *testing.T) {
	p := newTLSPKI(t)
	props := p.serverProps(freePort(t))
	props["X509AuthenticationProvider.superUser"] = bobID
	srv := startTLS(t, freePort(t), props)
	ctx := testCtx(t)
	alice, err := dialTLS(t, srv.SecureAddr().String(), p.clientTLS(t, p.aliceKS))
	require.NoError(t, err)
	_, err = alice.Create(ctx, "/mine", []byte("x"), 0, []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "x509", ID: aliceID}}})
	require.NoError(t, err)
	bob, err := dialTLS(t, srv.SecureAddr().String(), p.clientTLS(t, p.bobKS))
	require.NoError(t, err)
	data, _, err := bob.GetData(ctx, "/mine", false)
	require.NoError(t, err)
	assert.Equal(t, []byte("x"), data)
	who, err := bob.WhoAmI(ctx)
	require.NoError(t, err)
	// Java's order for these ids (TestTLSJavaOracle shows the same).
	assert.Equal(t, []proto.ClientInfo{{AuthScheme: "x509", User: bobID}, {AuthScheme: "super", User: ""}, {AuthScheme: "ip", User: "127.0.0.1"}}, who)
}

func TestClientCertReload(t *testing.T) {
	p := newTLSPKI(t)
	props := p.serverProps(freePort(t))
	props["zookeeper.client.certReload"] = "true"
	srv := startTLS(t, freePort(t), props)
	secure := srv.SecureAddr().String()
	serial := func() string {
		cfg := tlsconf.ForHost(p.clientTLS(t, p.aliceKS), "127.0.0.1")
		c, err := tls.Dial("tcp", secure, cfg)
		require.NoError(t, err)
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	before := serial()
	next, err := p.ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: "zkit server 2"}, Hosts: []string{"127.0.0.1"}})
	require.NoError(t, err)
	data, err := next.PKCS12(storePassword)
	tmp := p.serverKS + ".new"
	require.NoError(t, tlstest.WriteFile(tmp, data, err))
	require.NoError(t, os.Rename(tmp, p.serverKS))
	zktesting.Eventually(t, 10*time.Second, func() bool { return serial() == next.Cert.SerialNumber.String() },
		"the server presents the reloaded certificate")
	assert.NotEqual(t, before, next.Cert.SerialNumber.String())
}

// TestX509AddAuth: an x509 login succeeds on a connection whose
// certificate authenticated it, and fails (closing it) on a plaintext one,
// as Java's provider authenticates the connection's certificate chain.
func TestX509AddAuth(t *testing.T) {
	p := newTLSPKI(t)
	srv := startTLS(t, freePort(t), p.serverProps(freePort(t)))
	ctx := testCtx(t)
	alice, err := dialTLS(t, srv.SecureAddr().String(), p.clientTLS(t, p.aliceKS))
	require.NoError(t, err)
	require.NoError(t, alice.AddAuth(ctx, "x509", []byte("anything")))
	who, err := alice.WhoAmI(ctx)
	require.NoError(t, err)
	assert.Len(t, who, 2)

	plain, err := client.Dial(ctx, srv.Addr().String())
	require.NoError(t, err)
	defer plain.Close()
	assert.ErrorIs(t, plain.AddAuth(ctx, "x509", []byte(aliceID)), proto.ErrAuthFailed)
}

// TestTLSCloseJoinsHandshakes: Close returns with no goroutine left behind,
// even with handshakes and first-byte waits in progress.
func TestTLSCloseJoinsHandshakes(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := newTLSPKI(t)
	props := p.serverProps(freePort(t))
	props["client.portUnification"] = "true"
	s, err := server.New(tlsServerConfig(t, freePort(t), props))
	require.NoError(t, err)
	require.NoError(t, s.Start())
	<-s.Ready()
	var silent []net.Conn
	for _, addr := range []string{s.Addr().String(), s.SecureAddr().String()} {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		silent = append(silent, c)
	}
	// A half-sent ClientHello on the secure port.
	_, err = silent[1].Write([]byte{0x16, 0x03, 0x01, 0x00, 0x50})
	require.NoError(t, err)
	c, err := dialTLS(t, s.SecureAddr().String(), p.clientTLS(t, p.aliceKS))
	require.NoError(t, err)
	c.Close()
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(zktesting.Scale(5 * time.Second)):
		t.Fatal("Close waited for the handshake deadline")
	}
	for _, c := range silent {
		c.Close()
	}
}

// TestTLSListenersLogged: the start log says which client port takes
// what, so an operator sees TLS is on (and a plaintext port is not).
func TestTLSListenersLogged(t *testing.T) {
	p := newTLSPKI(t)
	var logs syncBuffer
	cfg := tlsServerConfig(t, 0, p.serverProps(freePort(t)))
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	s, err := server.New(cfg)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	t.Cleanup(func() { s.Close() })
	<-s.Ready()
	assert.Contains(t, logs.String(), `msg="client TLS on" clientPort=none secureClientPort=`+s.SecureAddr().String()+" clientAuth=need")

	var unifiedLogs syncBuffer
	props := p.serverProps(0)
	delete(props, "secureClientPort")
	delete(props, "secureClientPortAddress")
	props["client.portUnification"] = "true"
	props["ssl.clientAuth"] = "want"
	cfg = tlsServerConfig(t, freePort(t), props)
	cfg.Logger = slog.New(slog.NewTextHandler(&unifiedLogs, nil))
	s, err = server.New(cfg)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	t.Cleanup(func() { s.Close() })
	<-s.Ready()
	assert.Contains(t, unifiedLogs.String(), `msg="client TLS on" clientPort="`+s.Addr().String()+` (plaintext and TLS: client.portUnification)" secureClientPort=none clientAuth=want`)
}
