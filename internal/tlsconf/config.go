package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// ServerConfig returns the tls.Config of a listener: the key store's
// certificate, clientAuth, the trust store for client certificates and,
// on the quorum prefix with hostnameVerification, a check of the client
// certificate against the address it connects from. It fails when the key
// store is missing or unusable. With ReloadCertFiles, each handshake uses
// the stores' current contents.
func (s Settings) ServerConfig() (*tls.Config, error) {
	if s.KeyStore.Location == "" {
		return nil, fmt.Errorf("%w: %skeyStore.location is not set: a TLS listener needs a certificate", ErrSetting, s.Prefix)
	}
	base, err := s.baseConfig()
	if err != nil {
		return nil, err
	}
	m, err := s.newMaterial()
	if err != nil {
		return nil, err
	}
	clientAuth := map[ClientAuth]tls.ClientAuthType{
		ClientAuthNeed: tls.RequireAndVerifyClientCert,
		ClientAuthWant: tls.VerifyClientCertIfGiven,
		ClientAuthNone: tls.NoClientCert,
	}[s.ClientAuth]
	build := func(remote net.Addr) *tls.Config {
		cert, roots := m.current()
		c := base.Clone()
		c.Certificates = []tls.Certificate{cert}
		c.ClientAuth = clientAuth
		c.ClientCAs = roots
		if s.VerifyClientHostname && clientAuth != tls.NoClientCert {
			c.VerifyPeerCertificate = func(_ [][]byte, chains [][]*x509.Certificate) error {
				if len(chains) == 0 || len(chains[0]) == 0 {
					return nil // no certificate given (want)
				}
				return verifyAddress(remote, chains[0][0], s.AllowReverseDNSLookup)
			}
		}
		return c
	}
	cfg := build(nil)
	cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		var remote net.Addr
		if hello.Conn != nil {
			remote = hello.Conn.RemoteAddr()
		}
		return build(remote), nil
	}
	return cfg, nil
}

// ClientConfig returns the tls.Config of a dialer: the key store's
// certificate (when set) for servers that ask, and verification of the
// server's chain against the trust store and, with hostnameVerification,
// of its certificate against the host dialled. Pass it through ForHost
// with that host (a name or an IP address) before each dial: Go sends no
// server name for an IP address, so the name must come from there.
// Verification runs in VerifyConnection, so InsecureSkipVerify is set:
// Go's built-in check could neither follow a reloaded trust store nor
// skip the host name.
func (s Settings) ClientConfig() (*tls.Config, error) {
	base, err := s.baseConfig()
	if err != nil {
		return nil, err
	}
	m, err := s.newMaterial()
	if err != nil {
		return nil, err
	}
	c := base
	c.InsecureSkipVerify = true
	if s.KeyStore.Location != "" {
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			cert, _ := m.current()
			return &cert, nil
		}
	}
	verifyHost := s.HostnameVerification
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		_, roots := m.current()
		leaf, err := verifyChain(cs.PeerCertificates, roots, x509.ExtKeyUsageServerAuth)
		if err != nil {
			return err
		}
		if !verifyHost {
			return nil
		}
		if cs.ServerName == "" {
			return errors.New("tlsconf: hostname verification is on but there is no host to verify: dial with tlsconf.ForHost(cfg, host)")
		}
		return verifyHostname(cs.ServerName, leaf)
	}
	return c, nil
}

// ForHost returns a copy of a ClientConfig for dialling host (a DNS name
// or an IP address, without port): ServerName is set to it and the
// hostname verification checks the server's certificate against it.
func ForHost(cfg *tls.Config, host string) *tls.Config {
	c := cfg.Clone()
	host = strings.Trim(host, "[]")
	c.ServerName = host
	if verify := cfg.VerifyConnection; verify != nil {
		c.VerifyConnection = func(cs tls.ConnectionState) error {
			cs.ServerName = host
			return verify(cs)
		}
	}
	return c
}

// verifyChain checks a peer's chain against roots (nil: the system's).
func verifyChain(chain []*x509.Certificate, roots *x509.CertPool, usage x509.ExtKeyUsage) (*x509.Certificate, error) {
	if len(chain) == 0 {
		return nil, errors.New("tlsconf: peer sent no certificate")
	}
	opts := x509.VerifyOptions{
		Roots:         roots,
		Intermediates: x509.NewCertPool(),
		KeyUsages:     []x509.ExtKeyUsage{usage},
	}
	for _, c := range chain[1:] {
		opts.Intermediates.AddCert(c)
	}
	if _, err := chain[0].Verify(opts); err != nil {
		return nil, fmt.Errorf("tlsconf: peer certificate %q: %w", X509ID(chain[0]), err)
	}
	return chain[0], nil
}

// material is the loaded key and trust stores, re-read on change when
// reload is on. Goroutine-free: a handshake looks at the files at most
// once per interval.
type material struct {
	s   Settings
	now func() time.Time

	mu                   sync.Mutex // guards everything below
	cert                 tls.Certificate
	roots                *x509.CertPool
	keyStamp, trustStamp fileStamp
	checked              time.Time
}

// fileStamp is what tells a changed file: size and modification time.
type fileStamp struct {
	size int64
	mod  time.Time
}

func stamp(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{size: fi.Size(), mod: fi.ModTime()}
}

func (s Settings) newMaterial() (*material, error) {
	m := &material{s: s, now: time.Now}
	if err := m.load(); err != nil {
		return nil, err
	}
	return m, nil
}

// load reads both stores; on error nothing changes.
func (m *material) load() error {
	var cert tls.Certificate
	var roots *x509.CertPool
	ks, ts := stamp(m.s.KeyStore.Location), stamp(m.s.TrustStore.Location)
	if m.s.KeyStore.Location != "" {
		c, err := loadKeyStore(m.s.KeyStore, m.now())
		if err != nil {
			return fmt.Errorf("%skeyStore: %w", m.s.Prefix, err)
		}
		cert = c
	}
	if m.s.TrustStore.Location != "" {
		certs, err := loadTrustStore(m.s.TrustStore)
		if err != nil {
			return fmt.Errorf("%strustStore: %w", m.s.Prefix, err)
		}
		roots = x509.NewCertPool()
		for _, c := range certs {
			roots.AddCert(c)
		}
	}
	m.mu.Lock()
	m.cert, m.roots, m.keyStamp, m.trustStamp = cert, roots, ks, ts
	m.mu.Unlock()
	return nil
}

// current returns the certificate and roots to use now, reloading changed
// files first when reload is on. A reload that fails keeps the old ones
// and is logged, as Java keeps its context when a reset fails.
func (m *material) current() (tls.Certificate, *x509.CertPool) {
	m.mu.Lock()
	cert, roots := m.cert, m.roots
	if !m.s.ReloadCertFiles {
		m.mu.Unlock()
		return cert, roots
	}
	interval := m.s.ReloadCheckInterval
	if interval <= 0 {
		interval = time.Second
	}
	now := m.now()
	if now.Sub(m.checked) < interval {
		m.mu.Unlock()
		return cert, roots
	}
	m.checked = now
	changed := stamp(m.s.KeyStore.Location) != m.keyStamp || stamp(m.s.TrustStore.Location) != m.trustStamp
	m.mu.Unlock()
	if !changed {
		return cert, roots
	}
	if err := m.load(); err != nil {
		log := m.s.Logger
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		log.Error("tls store reload failed; keeping the previous certificates", "err", err)
		return cert, roots
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cert, m.roots
}
