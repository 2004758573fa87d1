package quorumnet

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zkit-go/zkit/internal/tlsconf"
)

// TLSSource hands out the TLS configurations for quorum connections. It is
// asked once per connection, so a source that reloads its certificate
// files (sslQuorumReloadCertFiles) takes effect on the next connection.
// internal/tlsconf's Settings is one.
type TLSSource interface {
	ServerConfig() (*tls.Config, error)
	ClientConfig() (*tls.Config, error)
}

// Security is what protects the election and quorum ports: TLS
// (sslQuorum, portUnification, ssl.quorum.*) and quorum SASL
// (quorum.auth.*). The zero value (or nil) is plaintext with no
// authentication.
type Security struct {
	// SSLQuorum dials TLS on both ports and accepts only TLS (unless
	// PortUnification).
	SSLQuorum bool
	// PortUnification accepts TLS and plaintext on both ports, telling
	// them apart by the first byte (UnifiedServerSocket); what we dial is
	// still decided by SSLQuorum.
	PortUnification bool
	// TLS gives the configurations; needed when SSLQuorum or
	// PortUnification is set. They carry every ssl.quorum.* choice:
	// client certificates (clientAuth, default need), hostname
	// verification in both directions (hostnameVerification, default
	// true, with reverse lookups as QuorumX509Util allows), protocols,
	// cipher suites, reloading.
	TLS TLSSource
	// Auth is quorum SASL; nil when quorum.auth.enableSasl is false.
	Auth *Auth
	// Logger receives handshake failures (nil: discarded).
	Logger *slog.Logger
}

// StaticTLS builds src's server and client configurations once and hands
// out those: stores are read at start (failing then, naming the file),
// and later changes to the files are seen only if the configurations
// reload them themselves (tlsconf with sslQuorumReloadCertFiles), as
// Java's X509Util reads its stores once unless told to watch them.
func StaticTLS(src TLSSource) (TLSSource, error) {
	server, err := src.ServerConfig()
	if err != nil {
		return nil, fmt.Errorf("%w: server configuration: %w", ErrTLS, err)
	}
	client, err := src.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("%w: client configuration: %w", ErrTLS, err)
	}
	return staticTLS{server: server, client: client}, nil
}

type staticTLS struct{ server, client *tls.Config }

func (s staticTLS) ServerConfig() (*tls.Config, error) { return s.server, nil }
func (s staticTLS) ClientConfig() (*tls.Config, error) { return s.client, nil }

// ErrTLS reports a TLS setting that cannot be used.
var ErrTLS = errors.New("quorumnet: quorum TLS")

func (s *Security) auth() *Auth {
	if s == nil {
		return nil
	}
	return s.Auth
}

func (s *Security) tlsOn() bool { return s != nil && (s.SSLQuorum || s.PortUnification) }

func (s *Security) logger() *slog.Logger {
	if s == nil || s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// Check reports a Security that cannot work: TLS asked for without a
// source, or a source whose configurations cannot be built (missing or
// unreadable stores: the error names them). Servers call it before
// binding anything, so sslQuorum fails closed.
func (s *Security) Check() error {
	if !s.tlsOn() {
		return nil
	}
	if s.TLS == nil {
		return fmt.Errorf("%w: sslQuorum or portUnification is set but no ssl.quorum key or trust store is configured", ErrTLS)
	}
	if _, err := s.TLS.ServerConfig(); err != nil {
		return fmt.Errorf("%w: server configuration: %w", ErrTLS, err)
	}
	if _, err := s.TLS.ClientConfig(); err != nil {
		return fmt.Errorf("%w: client configuration: %w", ErrTLS, err)
	}
	return nil
}

// ListenFunc and DialFunc are the network hooks.
type (
	ListenFunc func(network, addr string) (net.Listener, error)
	DialFunc   func(network, addr string, timeout time.Duration) (net.Conn, error)
)

// WrapListen returns listen with TLS (or port unification) applied to
// every accepted connection. Nothing is read in Accept: the TLS handshake
// (and the first-byte sniffing) happens on the connection's first Read or
// Write, on the goroutine that handles it, never in the accept loop.
func (s *Security) WrapListen(listen ListenFunc) ListenFunc {
	if listen == nil {
		listen = net.Listen
	}
	if !s.tlsOn() {
		return listen
	}
	return func(network, addr string) (net.Listener, error) {
		ln, err := listen(network, addr)
		if err != nil {
			return nil, err
		}
		return &secureListener{Listener: ln, sec: s}, nil
	}
}

// WrapDial returns dial followed by WrapConn.
func (s *Security) WrapDial(dial DialFunc) DialFunc {
	if dial == nil {
		dial = net.DialTimeout
	}
	if s == nil || !s.SSLQuorum {
		return dial
	}
	return func(network, addr string, timeout time.Duration) (net.Conn, error) {
		c, err := dial(network, addr, timeout)
		if err != nil {
			return nil, err
		}
		setNoDelay(c)
		return s.WrapConn(c, addr, timeout)
	}
}

// WrapConn runs, under SSLQuorum, a TLS client handshake on c (dialled to
// addr) within timeout; otherwise it returns c. On failure c is closed.
func (s *Security) WrapConn(c net.Conn, addr string, timeout time.Duration) (net.Conn, error) {
	if s == nil || !s.SSLQuorum {
		return c, nil
	}
	tc, err := s.clientTLS(c, addr, timeout)
	if err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}

// clientTLS runs the client handshake on c, dialled to addr. The source's
// client configuration verifies the chain and, with
// ssl.quorum.hostnameVerification, the peer's name. Which names, as
// ZKTrustManager checks a quorum server: the address connected to first,
// then the host of the server line, then (quorum: reverse lookups
// allowed) the names the address resolves back to.
func (s *Security) clientTLS(c net.Conn, addr string, timeout time.Duration) (*tls.Conn, error) {
	base, err := s.TLS.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTLS, err)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	cfg := tlsconf.ForHost(base, host)
	if verify := base.VerifyConnection; verify != nil {
		remote := hostOf(c.RemoteAddr())
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			var first error
			for name := range peerNames(remote, host) {
				cs.ServerName = name
				err := verify(cs)
				if err == nil {
					return nil
				}
				if first == nil {
					first = err
				}
			}
			return first
		}
	}
	tc := tls.Client(c, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("%w: handshake with %s: %w", ErrTLS, addr, err)
	}
	return tc, nil
}

// peerNames lists, without repeats, the names a quorum server's
// certificate may match: its address, the host dialled, and lazily the
// names a reverse lookup of the address gives (only asked for when the
// first ones failed: the iteration stops at the first match).
func peerNames(remote, host string) iter.Seq[string] {
	return func(yield func(string) bool) {
		seen := map[string]bool{}
		try := func(n string) bool {
			n = strings.TrimSuffix(strings.Trim(n, "[]"), ".")
			if n == "" || seen[n] {
				return true
			}
			seen[n] = true
			return yield(n)
		}
		if !try(remote) || !try(host) {
			return
		}
		if net.ParseIP(remote) == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		names, _ := net.DefaultResolver.LookupAddr(ctx, remote)
		cancel()
		for _, n := range names {
			if !try(n) {
				return
			}
		}
	}
}

func hostOf(a net.Addr) string {
	if a == nil {
		return ""
	}
	if ta, ok := a.(*net.TCPAddr); ok {
		if ip4 := ta.IP.To4(); ip4 != nil {
			return ip4.String()
		}
		return ta.IP.String()
	}
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}

// serverTLS wraps an accepted connection in a lazy TLS server. The
// source's server configuration asks for the client certificate
// (ssl.quorum.clientAuth) and checks it against the peer's address
// (ZKTrustManager with hostname verification on the quorum).
func (s *Security) serverTLS(c net.Conn) net.Conn {
	cfg := &tls.Config{
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			base, err := s.TLS.ServerConfig()
			if err != nil {
				s.logger().Error("quorum TLS: cannot load the server configuration", "err", err)
				return nil, err
			}
			if base.GetConfigForClient != nil {
				return base.GetConfigForClient(hello)
			}
			return base, nil
		},
	}
	return tls.Server(c, cfg)
}

// secureListener wraps accepted connections; it never reads in Accept.
type secureListener struct {
	net.Listener
	sec *Security
}

func (l *secureListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	setNoDelay(c)
	if l.sec.PortUnification {
		return &unifiedConn{Conn: c, sec: l.sec}, nil
	}
	return l.sec.serverTLS(c), nil
}

// tlsRecordHandshake is the first byte of a TLS ClientHello record. No
// plaintext quorum stream starts with it: an election handshake starts
// with 0xff (version -65536) or a small sid's 0x00, a QuorumPacket with
// its small type's 0x00, a QuorumAuthPacket with 0x5f.
const tlsRecordHandshake = 0x16

// unifiedConn is UnifiedServerSocket's socket: on the first Read or Write
// it reads one byte and becomes a TLS server or stays plaintext. The
// caller's read deadline bounds that read.
type unifiedConn struct {
	net.Conn
	sec  *Security
	once sync.Once
	c    net.Conn // after detection
	err  error
}

func (u *unifiedConn) detect() {
	u.once.Do(func() {
		var b [1]byte
		if _, err := io.ReadFull(u.Conn, b[:]); err != nil {
			u.err = err
			return
		}
		pc := &prefixConn{Conn: u.Conn, prefix: b[:]}
		if b[0] == tlsRecordHandshake {
			if u.sec.TLS == nil {
				u.err = fmt.Errorf("%w: a TLS peer connected but no ssl.quorum stores are configured", ErrTLS)
				return
			}
			u.c = u.sec.serverTLS(pc)
			return
		}
		u.sec.logger().Debug("plaintext quorum connection on a unified port", "remote", u.Conn.RemoteAddr().String())
		u.c = pc
	})
}

func (u *unifiedConn) Read(b []byte) (int, error) {
	if u.detect(); u.err != nil {
		return 0, u.err
	}
	return u.c.Read(b)
}

func (u *unifiedConn) Write(b []byte) (int, error) {
	if u.detect(); u.err != nil {
		return 0, u.err
	}
	return u.c.Write(b)
}

// prefixConn is a connection whose first bytes were already read.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// serverHandshake completes an accepted connection's TLS handshake (after
// port unification's sniffing) within timeout; plaintext needs nothing.
func serverHandshake(c net.Conn, timeout time.Duration) error {
	if u, ok := c.(*unifiedConn); ok {
		_ = c.SetReadDeadline(time.Now().Add(timeout))
		u.detect()
		_ = c.SetReadDeadline(time.Time{})
		if u.err != nil {
			return u.err
		}
		c = u.c
	}
	tc, ok := c.(*tls.Conn)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return tc.HandshakeContext(ctx)
}

// The hints mismatchHint adds: one member with sslQuorum=true and another
// without is the usual cause of these failures, and neither side's raw
// error ("first record does not look like a TLS handshake", "EOF") says
// so.
const (
	hintPlaintextPeer = "the peer spoke plaintext to this TLS quorum port: set sslQuorum=true on every member " +
		"(during a rolling move to TLS, portUnification=true on the members already on TLS)"
	hintTLSPeer = "the peer closed the connection during the TLS handshake: it may not have sslQuorum=true " +
		"(or it does not trust our certificate)"
	hintMaybeTLSPeer = "the peer closed the connection: if it has sslQuorum=true, this member needs it too " +
		"(or portUnification=true on the peer while rolling TLS out)"
)

// withHint is args for a log line about err, with a "hint" attribute
// when err looks like a quorum TLS mismatch. tlsOn says whether this side
// dialled TLS.
func withHint(err error, tlsOn bool, args ...any) []any {
	args = append(args, "err", err)
	if h := mismatchHint(err, tlsOn); h != "" {
		args = append(args, "hint", h)
	}
	return args
}

func mismatchHint(err error, tlsOn bool) string {
	var rh tls.RecordHeaderError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &rh):
		return hintPlaintextPeer
	case !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET):
		return ""
	case tlsOn && errors.Is(err, ErrTLS):
		return hintTLSPeer
	case !tlsOn:
		return hintMaybeTLSPeer
	}
	return ""
}
