package tlsconf_test

import (
	"crypto/tls"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/tlsconf"
	"github.com/zkit-go/zkit/internal/tlsconf/tlstest"
)

const password = "secret-pw"

// props is a lookup over a map of full property names.
func props(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

type pki struct {
	dir    string
	ca     *tlstest.CA
	server *tlstest.Cert
	client *tlstest.Cert
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	ca, err := tlstest.NewCA("test CA")
	require.NoError(t, err)
	server, err := ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: "server"}, Hosts: []string{"127.0.0.1", "localhost"}})
	require.NoError(t, err)
	client, err := ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: "alice", OrganizationalUnit: []string{"clients"}, Organization: []string{"example"}}})
	require.NoError(t, err)
	return &pki{dir: t.TempDir(), ca: ca, server: server, client: client}
}

// stores writes c's key store and the CA's trust store of the given type
// and returns their paths.
func (p *pki) stores(t *testing.T, c *tlstest.Cert, name, typ string) (key, trust string) {
	t.Helper()
	switch typ {
	case tlsconf.TypePEM:
		key, trust = filepath.Join(p.dir, name+".pem"), filepath.Join(p.dir, name+"-ca.pem")
		data, err := c.PEM()
		require.NoError(t, tlstest.WriteFile(key, data, err))
		require.NoError(t, tlstest.WriteFile(trust, p.ca.PEM(), nil))
	case tlsconf.TypePKCS12:
		key, trust = filepath.Join(p.dir, name+".p12"), filepath.Join(p.dir, name+"-trust.p12")
		data, err := c.PKCS12(password)
		require.NoError(t, tlstest.WriteFile(key, data, err))
		data, err = p.ca.PKCS12TrustStore(password)
		require.NoError(t, tlstest.WriteFile(trust, data, err))
	case tlsconf.TypeJKS:
		key, trust = filepath.Join(p.dir, name+".jks"), filepath.Join(p.dir, name+"-trust.jks")
		data, err := c.JKS(password)
		require.NoError(t, tlstest.WriteFile(key, data, err))
		data, err = p.ca.JKSTrustStore(password)
		require.NoError(t, tlstest.WriteFile(trust, data, err))
	}
	return key, trust
}

func settings(t *testing.T, prefix string, m map[string]string) tlsconf.Settings {
	t.Helper()
	full := map[string]string{}
	for k, v := range m {
		full[prefix+k] = v
	}
	s, err := tlsconf.FromProperties(props(full), prefix)
	require.NoError(t, err)
	return s
}

// handshake runs one TLS handshake between the two configs over a pipe and
// returns the server side's state and both errors.
func handshake(t *testing.T, server, client *tls.Config) (tls.ConnectionState, error, error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	type result struct {
		state tls.ConnectionState
		err   error
	}
	done := make(chan result, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer nc.Close()
		sc := tls.Server(nc, server)
		sc.SetDeadline(time.Now().Add(10 * time.Second))
		err = sc.Handshake()
		if err == nil {
			// TLS 1.3 client certificates fail on the server's side only
			// after the client finished; a read surfaces the result.
			var n int
			n, err = sc.Read(make([]byte, 1))
			if n == 1 {
				err = nil // the byte may come with the close's io.EOF
			}
			if err != nil {
				err = fmt.Errorf("read after handshake: %w", err)
			}
		}
		done <- result{sc.ConnectionState(), err}
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	cc := tls.Client(nc, client)
	cc.SetDeadline(time.Now().Add(10 * time.Second))
	cerr := cc.Handshake()
	if cerr == nil {
		_, cerr = cc.Write([]byte{1})
	}
	cc.Close()
	r := <-done
	return r.state, r.err, cerr
}

func clientFor(t *testing.T, s tlsconf.Settings, host string) *tls.Config {
	t.Helper()
	c, err := s.ClientConfig()
	require.NoError(t, err)
	if host == "" {
		return c
	}
	return tlsconf.ForHost(c, host)
}

func TestStoreTypesHandshake(t *testing.T) {
	for _, typ := range []string{tlsconf.TypePEM, tlsconf.TypePKCS12, tlsconf.TypeJKS} {
		t.Run(typ, func(t *testing.T) {
			p := newPKI(t)
			sk, st := p.stores(t, p.server, "server", typ)
			ck, ct := p.stores(t, p.client, "client", typ)
			ss := settings(t, tlsconf.ClientPrefix, map[string]string{
				"keyStore.location": sk, "keyStore.password": password,
				"trustStore.location": st, "trustStore.password": password,
			})
			srv, err := ss.ServerConfig()
			require.NoError(t, err)
			cs := settings(t, tlsconf.ClientPrefix, map[string]string{
				"keyStore.location": ck, "keyStore.password": password,
				"trustStore.location": ct, "trustStore.password": password,
			})
			state, serr, cerr := handshake(t, srv, clientFor(t, cs, "127.0.0.1"))
			require.NoError(t, cerr)
			require.NoError(t, serr)
			require.Len(t, state.PeerCertificates, 2)
			assert.Equal(t, "CN=alice,OU=clients,O=example", tlsconf.X509ID(state.PeerCertificates[0]))
			assert.Equal(t, uint16(tls.VersionTLS12), state.Version, "Java's default protocol is TLSv1.2 alone")
		})
	}
}

func TestExplicitTypeOverridesExtension(t *testing.T) {
	p := newPKI(t)
	sk, _ := p.stores(t, p.server, "server", tlsconf.TypePKCS12)
	renamed := filepath.Join(p.dir, "server.keystore")
	require.NoError(t, os.Rename(sk, renamed))
	s := settings(t, tlsconf.ClientPrefix, map[string]string{
		"keyStore.location": renamed, "keyStore.password": password, "keyStore.type": "pkcs12",
	})
	_, err := s.ServerConfig()
	require.NoError(t, err)
}

func TestStoreErrors(t *testing.T) {
	p := newPKI(t)
	p12, p12trust := p.stores(t, p.server, "server", tlsconf.TypePKCS12)
	jks, jkstrust := p.stores(t, p.server, "server", tlsconf.TypeJKS)
	pemKey, pemCA := p.stores(t, p.server, "server", tlsconf.TypePEM)
	expired, err := p.ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: "old"},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	require.NoError(t, err)
	expiredPath, _ := p.stores(t, expired, "expired", tlsconf.TypePKCS12)
	future, err := p.ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: "future"},
		NotBefore: time.Now().Add(24 * time.Hour), NotAfter: time.Now().Add(48 * time.Hour)})
	require.NoError(t, err)
	futurePath, _ := p.stores(t, future, "future", tlsconf.TypeJKS)
	garbage := filepath.Join(p.dir, "garbage.p12")
	require.NoError(t, os.WriteFile(garbage, []byte("not a store"), 0o600))

	cases := []struct {
		name  string
		set   map[string]string
		want  error
		words []string // the message names these
	}{
		{"missing file", map[string]string{"keyStore.location": filepath.Join(p.dir, "nope.p12")}, tlsconf.ErrStore, []string{"nope.p12", "no such file"}},
		{"wrong password p12", map[string]string{"keyStore.location": p12, "keyStore.password": "wrong"}, tlsconf.ErrStore, []string{p12, "wrong password"}},
		{"wrong password jks", map[string]string{"keyStore.location": jks, "keyStore.password": "wrong"}, tlsconf.ErrStore, []string{jks, "wrong password"}},
		{"wrong type", map[string]string{"keyStore.location": jks, "keyStore.password": password, "keyStore.type": "PKCS12"}, tlsconf.ErrStore, []string{jks, "PKCS12"}},
		{"garbage", map[string]string{"keyStore.location": garbage, "keyStore.password": password}, tlsconf.ErrStore, []string{garbage}},
		{"expired", map[string]string{"keyStore.location": expiredPath, "keyStore.password": password}, tlsconf.ErrStore, []string{expiredPath, "expired", "CN=old"}},
		{"not yet valid", map[string]string{"keyStore.location": futurePath, "keyStore.password": password}, tlsconf.ErrStore, []string{futurePath, "not valid before"}},
		{"no private key pem", map[string]string{"keyStore.location": pemCA}, tlsconf.ErrStore, []string{pemCA, "no private key"}},
		{"no private key jks", map[string]string{"keyStore.location": jkstrust, "keyStore.password": password}, tlsconf.ErrStore, []string{jkstrust, "no private key"}},
		{"trust store without trusted certs", map[string]string{"keyStore.location": pemKey, "trustStore.location": p12, "trustStore.password": password}, tlsconf.ErrStore, []string{p12, "trust store"}},
		{"trust store wrong password", map[string]string{"keyStore.location": pemKey, "trustStore.location": p12trust, "trustStore.password": "nope"}, tlsconf.ErrStore, []string{p12trust, "wrong password"}},
		{"no key store", map[string]string{"trustStore.location": pemCA}, tlsconf.ErrSetting, []string{"zookeeper.ssl.keyStore.location"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := settings(t, tlsconf.ClientPrefix, c.set)
			_, err := s.ServerConfig()
			require.Error(t, err)
			assert.True(t, errors.Is(err, c.want), "%v", err)
			for _, w := range c.words {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestSettingErrors(t *testing.T) {
	cases := []struct {
		name string
		set  map[string]string
		word string
	}{
		{"bcfks type", map[string]string{"keyStore.location": "/x/k.bcfks"}, "BCFKS"},
		{"bcfks explicit", map[string]string{"keyStore.location": "/x/k", "keyStore.type": "BCFKS"}, "BCFKS"},
		{"unknown type", map[string]string{"trustStore.location": "/x/t", "trustStore.type": "JCEKS"}, "JCEKS"},
		{"no extension", map[string]string{"keyStore.location": "/x/keystore"}, "/x/keystore"},
		{"client auth", map[string]string{"clientAuth": "sometimes"}, "clientAuth"},
		{"crl", map[string]string{"crl": "true"}, "zookeeper.ssl.crl"},
		{"ocsp", map[string]string{"ocsp": "TRUE"}, "zookeeper.ssl.ocsp"},
		{"supplier", map[string]string{"context.supplier.class": "com.example.Ctx"}, "context.supplier.class"},
		{"protocol", map[string]string{"protocol": "SSLv3"}, "SSLv3"},
		{"protocol gap", map[string]string{"enabledProtocols": "TLSv1.1,TLSv1.3"}, "contiguous"},
		{"unknown suite", map[string]string{"ciphersuites": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"}, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
		{"some tls13 suites", map[string]string{"ciphersuites": "TLS_AES_128_GCM_SHA256"}, "TLS 1.3"},
		{"detection timeout", map[string]string{"handshakeDetectionTimeoutMillis": "soon"}, "handshakeDetectionTimeoutMillis"},
		{"password file", map[string]string{"keyStore.passwordPath": "/nonexistent/pw"}, "keyStore.passwordPath"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			full := map[string]string{}
			for k, v := range c.set {
				full[tlsconf.ClientPrefix+k] = v
			}
			_, err := tlsconf.FromProperties(props(full), tlsconf.ClientPrefix)
			require.Error(t, err)
			assert.True(t, errors.Is(err, tlsconf.ErrSetting) || errors.Is(err, tlsconf.ErrStore), "%v", err)
			assert.Contains(t, err.Error(), c.word)
		})
	}
	// crl=false is fine.
	_, err := tlsconf.FromProperties(props(map[string]string{"zookeeper.ssl.crl": "false"}), tlsconf.ClientPrefix)
	require.NoError(t, err)
}

func TestDefaultsAndPrefixes(t *testing.T) {
	s, err := tlsconf.FromProperties(props(nil), tlsconf.ClientPrefix)
	require.NoError(t, err)
	assert.False(t, s.Configured())
	assert.Equal(t, tlsconf.ClientAuthNeed, s.ClientAuth)
	assert.True(t, s.HostnameVerification)
	assert.False(t, s.VerifyClientHostname, "the client port never checks client addresses")
	assert.False(t, s.AllowReverseDNSLookup)
	assert.Equal(t, "x509", s.AuthProvider)
	assert.Equal(t, tlsconf.DefaultHandshakeDetectionTimeout, s.HandshakeDetectionTimeout)

	q, err := tlsconf.FromProperties(props(map[string]string{
		"zookeeper.ssl.quorum.clientAuth": "WANT", "sslQuorumReloadCertFiles": "true",
		"zookeeper.ssl.keyStore.location": "/client/only.p12",
	}), tlsconf.QuorumPrefix)
	require.NoError(t, err)
	assert.True(t, q.VerifyClientHostname)
	assert.True(t, q.AllowReverseDNSLookup)
	assert.True(t, q.ReloadCertFiles)
	assert.Equal(t, tlsconf.ClientAuthWant, q.ClientAuth)
	assert.Empty(t, q.KeyStore.Location, "the quorum prefix does not read client settings")

	pw := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(pw, []byte("from-file\n"), 0o600))
	s, err = tlsconf.FromProperties(props(map[string]string{
		"zookeeper.ssl.keyStore.password": "inline", "zookeeper.ssl.keyStore.passwordPath": pw,
	}), tlsconf.ClientPrefix)
	require.NoError(t, err)
	assert.Equal(t, "from-file", s.KeyStore.Password, "passwordPath wins, as in Java")
}

func TestClientAuthModes(t *testing.T) {
	p := newPKI(t)
	sk, st := p.stores(t, p.server, "server", tlsconf.TypePEM)
	ck, _ := p.stores(t, p.client, "client", tlsconf.TypePEM)
	other, err := tlstest.NewCA("other CA")
	require.NoError(t, err)
	stranger, err := other.Issue(tlstest.Options{Subject: pkix.Name{CommonName: "mallory"}})
	require.NoError(t, err)
	mk, _ := p.stores(t, stranger, "mallory", tlsconf.TypePEM)

	for _, c := range []struct {
		auth          string
		clientKey     string
		ok            bool
		wantPeerCerts bool
	}{
		{"need", ck, true, true},
		{"need", "", false, false},
		{"need", mk, false, false},
		{"want", ck, true, true},
		{"want", "", true, false},
		{"want", mk, false, false},
		{"none", ck, true, false},
		{"none", "", true, false},
	} {
		t.Run(c.auth+"/"+filepath.Base(c.clientKey), func(t *testing.T) {
			ss := settings(t, tlsconf.ClientPrefix, map[string]string{
				"keyStore.location": sk, "trustStore.location": st, "clientAuth": c.auth,
			})
			srv, err := ss.ServerConfig()
			require.NoError(t, err)
			set := map[string]string{"trustStore.location": st}
			if c.clientKey != "" {
				set["keyStore.location"] = c.clientKey
			}
			state, serr, cerr := handshake(t, srv, clientFor(t, settings(t, tlsconf.ClientPrefix, set), "127.0.0.1"))
			if !c.ok {
				assert.True(t, serr != nil || cerr != nil, "handshake must fail")
				return
			}
			require.NoError(t, serr)
			require.NoError(t, cerr)
			assert.Equal(t, c.wantPeerCerts, len(state.PeerCertificates) > 0)
		})
	}
}

func TestServerVerification(t *testing.T) {
	p := newPKI(t)
	sk, st := p.stores(t, p.server, "server", tlsconf.TypePEM)
	ss := settings(t, tlsconf.ClientPrefix, map[string]string{"keyStore.location": sk, "clientAuth": "none"})
	srv, err := ss.ServerConfig()
	require.NoError(t, err)

	other, err := tlstest.NewCA("other CA")
	require.NoError(t, err)
	otherCA := filepath.Join(p.dir, "other.pem")
	require.NoError(t, os.WriteFile(otherCA, other.PEM(), 0o600))

	for _, c := range []struct {
		name  string
		set   map[string]string
		host  string
		ok    bool
		words string
	}{
		{"ip san", map[string]string{"trustStore.location": st}, "127.0.0.1", true, ""},
		{"dns san", map[string]string{"trustStore.location": st}, "localhost", true, ""},
		{"wrong host", map[string]string{"trustStore.location": st}, "zk.example.com", false, "zk.example.com"},
		{"wrong host, verification off", map[string]string{"trustStore.location": st, "hostnameVerification": "false"}, "zk.example.com", true, ""},
		{"untrusted", map[string]string{"trustStore.location": otherCA, "hostnameVerification": "false"}, "127.0.0.1", false, "unknown authority"},
		{"no server name", map[string]string{"trustStore.location": st}, "", false, "ForHost"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, cerr := handshake(t, srv, clientFor(t, settings(t, tlsconf.ClientPrefix, c.set), c.host))
			if c.ok {
				require.NoError(t, cerr)
				return
			}
			require.Error(t, cerr)
			assert.Contains(t, cerr.Error(), c.words)
		})
	}
}

func TestQuorumVerifiesClientAddress(t *testing.T) {
	p := newPKI(t)
	sk, st := p.stores(t, p.server, "server", tlsconf.TypePEM)
	elsewhere, err := p.ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: "zk9"}, Hosts: []string{"10.9.9.9"}})
	require.NoError(t, err)
	ek, _ := p.stores(t, elsewhere, "elsewhere", tlsconf.TypePEM)
	q := settings(t, tlsconf.QuorumPrefix, map[string]string{"keyStore.location": sk, "trustStore.location": st,
		"allowReverseDnsLookup": "false"})
	srv, err := q.ServerConfig()
	require.NoError(t, err)

	good := settings(t, tlsconf.QuorumPrefix, map[string]string{"keyStore.location": sk, "trustStore.location": st})
	_, serr, cerr := handshake(t, srv, clientFor(t, good, "127.0.0.1"))
	require.NoError(t, serr)
	require.NoError(t, cerr)

	bad := settings(t, tlsconf.QuorumPrefix, map[string]string{"keyStore.location": ek, "trustStore.location": st})
	_, serr, _ = handshake(t, srv, clientFor(t, bad, "127.0.0.1"))
	require.Error(t, serr)
	assert.Contains(t, serr.Error(), "127.0.0.1")

	// The client port's listener does not check addresses.
	c := settings(t, tlsconf.ClientPrefix, map[string]string{"keyStore.location": sk, "trustStore.location": st})
	csrv, err := c.ServerConfig()
	require.NoError(t, err)
	_, serr, cerr = handshake(t, csrv, clientFor(t, settings(t, tlsconf.ClientPrefix, map[string]string{"keyStore.location": ek, "trustStore.location": st}), "127.0.0.1"))
	require.NoError(t, serr)
	require.NoError(t, cerr)
}

func TestProtocolsAndSuites(t *testing.T) {
	p := newPKI(t)
	sk, st := p.stores(t, p.server, "server", tlsconf.TypePEM)
	server := func(m map[string]string) *tls.Config {
		m["keyStore.location"], m["clientAuth"] = sk, "none"
		c, err := settings(t, tlsconf.ClientPrefix, m).ServerConfig()
		require.NoError(t, err)
		return c
	}
	client := func(m map[string]string) *tls.Config {
		m["trustStore.location"] = st
		return clientFor(t, settings(t, tlsconf.ClientPrefix, m), "127.0.0.1")
	}
	state, serr, cerr := handshake(t, server(map[string]string{"protocol": "TLSv1.3"}), client(map[string]string{"enabledProtocols": "TLSv1.2,TLSv1.3"}))
	require.NoError(t, serr)
	require.NoError(t, cerr)
	assert.Equal(t, uint16(tls.VersionTLS13), state.Version)

	_, serr, cerr = handshake(t, server(map[string]string{"protocol": "TLSv1.3"}), client(map[string]string{}))
	assert.True(t, serr != nil && cerr != nil, "a TLSv1.3-only server refuses a TLSv1.2-only client")

	state, serr, cerr = handshake(t,
		server(map[string]string{"ciphersuites": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"}),
		client(map[string]string{}))
	require.NoError(t, serr)
	require.NoError(t, cerr)
	assert.Equal(t, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, state.CipherSuite)

	_, serr, cerr = handshake(t,
		server(map[string]string{"ciphersuites": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"}),
		client(map[string]string{"ciphersuites": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}))
	assert.True(t, serr != nil && cerr != nil, "no common suite")
}

func TestReload(t *testing.T) {
	p := newPKI(t)
	sk, st := p.stores(t, p.server, "server", tlsconf.TypePKCS12)
	base := map[string]string{"keyStore.location": sk, "keyStore.password": password, "clientAuth": "none"}
	client := clientFor(t, settings(t, tlsconf.ClientPrefix, map[string]string{"trustStore.location": st, "trustStore.password": password}), "127.0.0.1")

	for _, reload := range []bool{false, true} {
		t.Run(map[bool]string{false: "off", true: "on"}[reload], func(t *testing.T) {
			m := map[string]string{}
			for k, v := range base {
				m[k] = v
			}
			full := map[string]string{}
			for k, v := range m {
				full[tlsconf.ClientPrefix+k] = v
			}
			if reload {
				full["zookeeper.client.certReload"] = "true"
			}
			s, err := tlsconf.FromProperties(props(full), tlsconf.ClientPrefix)
			require.NoError(t, err)
			s.ReloadCheckInterval = time.Millisecond
			srv, err := s.ServerConfig()
			require.NoError(t, err)
			_, _, cerr := handshake(t, srv, client)
			require.NoError(t, cerr)
			first := peerSerial(t, srv, client)

			next, err := p.ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: "server2"}, Hosts: []string{"127.0.0.1"}})
			require.NoError(t, err)
			data, err := next.PKCS12(password)
			require.NoError(t, tlstest.WriteFile(sk, data, err))
			// A modification time a second on, for filesystems with
			// coarse timestamps.
			later := time.Now().Add(time.Second)
			require.NoError(t, os.Chtimes(sk, later, later))
			time.Sleep(2 * time.Millisecond) // pass ReloadCheckInterval (1ms); not a synchronisation
			got := peerSerial(t, srv, client)
			if reload {
				assert.Equal(t, next.Cert.SerialNumber.String(), got)
				// A broken file keeps the last good certificate.
				require.NoError(t, os.WriteFile(sk, []byte("broken"), 0o600))
				require.NoError(t, os.Chtimes(sk, later.Add(time.Second), later.Add(time.Second)))
				time.Sleep(2 * time.Millisecond)
				assert.Equal(t, next.Cert.SerialNumber.String(), peerSerial(t, srv, client))
			} else {
				assert.Equal(t, first, got)
			}
			// Restore for the next subtest.
			data, err = p.server.PKCS12(password)
			require.NoError(t, tlstest.WriteFile(sk, data, err))
		})
	}
}

func peerSerial(t *testing.T, srv, client *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		sc := tls.Server(nc, srv)
		sc.SetDeadline(time.Now().Add(10 * time.Second))
		sc.Handshake()
		sc.Read(make([]byte, 1))
		sc.Close()
	}()
	cc, err := tls.Dial("tcp", ln.Addr().String(), client)
	require.NoError(t, err)
	defer cc.Close()
	return cc.ConnectionState().PeerCertificates[0].SerialNumber.String()
}
