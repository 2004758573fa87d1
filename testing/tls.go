package testing

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/zkit-go/zkit/internal/testport"
	"github.com/zkit-go/zkit/internal/tlsconf/tlstest"
	"github.com/zkit-go/zkit/server"
)

// TLSClientID is the x509 id (Java's RFC 2253 subject) of the client
// certificate in TLSConfig: x509 ACLs naming it grant the test's client.
const TLSClientID = "CN=client,OU=zktesting,O=zkit"

// tlsDir is where WithTLS puts a server's stores, inside its dataDir.
const tlsDir = "zktesting-tls"

// WithTLS makes the server also serve TLS on a second loopback port
// (secureClientPort, Server.SecureAddr), with certificates from a CA made
// for the test: a server certificate for 127.0.0.1 and localhost, and a
// client certificate with id TLSClientID that Server.TLSConfig presents.
// The stores are PEM files under the data directory, set through the
// ssl.* keys as a zoo.cfg would; client certificates are required
// (ssl.clientAuth=need), so the x509 scheme authenticates every TLS
// client. Nothing is written outside t.TempDir().
func WithTLS() Option {
	p := &testPKI{}
	return func(c *server.Config) { p.apply(c) }
}

// WithEnsembleTLS is WithTLS for every member of an ensemble, all with
// certificates from one CA; Ensemble.TLSConfig and Member.SecureAddr give
// the client side.
func WithEnsembleTLS() EnsembleOption {
	p := &testPKI{}
	return func(_ int64, c *server.Config) { p.apply(c) }
}

// testPKI is the CA one WithTLS option issues its certificates from.
type testPKI struct {
	mu  sync.Mutex // guards ca and err
	ca  *tlstest.CA
	err error
}

func (p *testPKI) apply(c *server.Config) {
	if err := p.write(c); err != nil {
		// Options cannot fail; a setting New refuses carries the error.
		c.Properties = withProp(c.Properties, "ssl.keyStore.location", "zktesting: "+err.Error())
	}
}

func (p *testPKI) write(c *server.Config) error {
	p.mu.Lock()
	if p.ca == nil && p.err == nil {
		p.ca, p.err = tlstest.NewCA("zktesting CA")
	}
	ca, err := p.ca, p.err
	p.mu.Unlock()
	if err != nil {
		return err
	}
	dir := filepath.Join(c.DataDir, tlsDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	srv, err := ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: "zktesting server"}, Hosts: []string{"127.0.0.1", "localhost", "::1"}})
	if err != nil {
		return err
	}
	cli, err := ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: "client", OrganizationalUnit: []string{"zktesting"}, Organization: []string{"zkit"}}})
	if err != nil {
		return err
	}
	srvPEM, err := srv.PEM()
	if err := tlstest.WriteFile(filepath.Join(dir, "server.pem"), srvPEM, err); err != nil {
		return err
	}
	cliPEM, err := cli.PEM()
	if err := tlstest.WriteFile(filepath.Join(dir, "client.pem"), cliPEM, err); err != nil {
		return err
	}
	if err := tlstest.WriteFile(filepath.Join(dir, "ca.pem"), ca.PEM(), nil); err != nil {
		return err
	}
	port, err := testport.Free()
	if err != nil {
		return err
	}
	props := map[string]string{
		"secureClientPort":        strconv.Itoa(port),
		"secureClientPortAddress": "127.0.0.1",
		"ssl.keyStore.location":   filepath.Join(dir, "server.pem"),
		"ssl.trustStore.location": filepath.Join(dir, "ca.pem"),
		"ssl.clientAuth":          "need",
	}
	for k, v := range props {
		c.Properties = withProp(c.Properties, k, v)
	}
	return nil
}

func withProp(m map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for key, val := range m {
		out[key] = val
	}
	out[k] = v
	return out
}

// clientTLSConfig is the client side of a WithTLS server whose dataDir is
// dir: its CA as roots and the client certificate.
func clientTLSConfig(dir string) (*tls.Config, error) {
	d := filepath.Join(dir, tlsDir)
	cert, err := tls.LoadX509KeyPair(filepath.Join(d, "client.pem"), filepath.Join(d, "client.pem"))
	if err != nil {
		return nil, fmt.Errorf("zktesting: not a WithTLS server: %w", err)
	}
	caPEM, err := os.ReadFile(filepath.Join(d, "ca.pem"))
	if err != nil {
		return nil, fmt.Errorf("zktesting: not a WithTLS server: %w", err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	return &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// TLSConfig returns a client configuration for a WithTLS server: it trusts
// the test's CA and presents the client certificate (id TLSClientID).
// Use it with recipes.WithTLS, or with zk.WithDialer and tls.Client
// (setting ServerName to "127.0.0.1"). The test fails if the server was
// not started WithTLS.
func (s *Server) TLSConfig() *tls.Config {
	s.t.Helper()
	c, err := clientTLSConfig(s.cfg.DataDir)
	if err != nil {
		s.t.Fatalf("%v", err)
	}
	return c
}

// SecureAddr returns the TLS client address (host:port) of a WithTLS
// server.
func (s *Server) SecureAddr() string {
	s.t.Helper()
	p, ok := s.cfg.Property("secureClientPort")
	if !ok {
		s.t.Fatalf("zktesting: SecureAddr: the server was not started WithTLS")
	}
	return net.JoinHostPort("127.0.0.1", p)
}

// SecureServers returns the TLS address list, for recipes.Connect with
// recipes.WithTLS(s.TLSConfig()).
func (s *Server) SecureServers() []string { return []string{s.SecureAddr()} }

// TLSConfig is Server.TLSConfig for a WithEnsembleTLS ensemble.
func (e *Ensemble) TLSConfig() *tls.Config {
	e.t.Helper()
	c, err := clientTLSConfig(e.Members[0].cfg.DataDir)
	if err != nil {
		e.t.Fatalf("%v", err)
	}
	return c
}

// SecureAddr is the member's TLS client address.
func (m *Member) SecureAddr() string {
	p, _ := m.cfg.Property("secureClientPort")
	return net.JoinHostPort("127.0.0.1", p)
}

// SecureServers returns every member's TLS client address.
func (e *Ensemble) SecureServers() []string {
	out := make([]string, len(e.Members))
	for i, m := range e.Members {
		out[i] = m.SecureAddr()
	}
	return out
}

// TLSFiles returns the PEM files of a WithTLS server's client side: the
// client certificate with its key (a PEM key store, id TLSClientID) and
// the CA (a PEM trust store), for clients configured through files such
// as Java's zookeeper.ssl.keyStore.location.
func (s *Server) TLSFiles() (keyStore, trustStore string) {
	d := filepath.Join(s.cfg.DataDir, tlsDir)
	return filepath.Join(d, "client.pem"), filepath.Join(d, "ca.pem")
}
