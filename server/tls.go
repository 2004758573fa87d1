package server

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkit-go/zkit/internal/acl"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/tlsconf"
)

// Connection factories ZooKeeper names in serverCnxnFactory. zkit has one
// connection layer; either name is accepted, and TLS is served with
// either (Java needs Netty for TLS and refuses NIO with secureClientPort).
var knownCnxnFactories = map[string]bool{
	"org.apache.zookeeper.server.NIOServerCnxnFactory":   true,
	"org.apache.zookeeper.server.NettyServerCnxnFactory": true,
}

// x509ProviderClass is Java's x509 provider, as authProvider.N names it.
const x509ProviderClass = "org.apache.zookeeper.server.auth.X509AuthenticationProvider"

// tlsHandshakeTimeout bounds a TLS handshake on the client port, as
// Netty's SslHandler does (10 s by default); a slower client is dropped.
const tlsHandshakeTimeout = 10 * time.Second

// tlsRecordHandshake is the first byte of every TLS connection (a
// handshake record), which a unified port sniffs.
const tlsRecordHandshake = 0x16

// clientTLS is the client port's TLS setup, read from the configuration's
// properties by parseClientTLS.
type clientTLS struct {
	securePort int    // secureClientPort; 0 none
	secureHost string // secureClientPortAddress; "" every interface
	unified    bool   // client.portUnification: clientPort takes TLS too
	settings   tlsconf.Settings
	config     *tls.Config // nil when nothing serves TLS
	x509       acl.X509Config
	clientAuth bool // certificates are asked for, so they authenticate
	limit      int  // netty.server.outstandingHandshake.limit; <= 0 none

	mu         sync.Mutex // guards secureAddr
	secureAddr net.Addr
}

// parseClientTLS reads the TLS settings of the client port. Whatever is
// configured but cannot be honoured is an error naming the key or file:
// zkit never serves plaintext where TLS was asked for.
func parseClientTLS(c Config) (*clientTLS, error) {
	ct := &clientTLS{}
	if v, ok := c.Property("secureClientPort"); ok && v != "" {
		p, err := parsePort(v)
		if err != nil {
			return nil, &ConfigError{Key: "secureClientPort", Value: v, Err: err}
		}
		ct.securePort = p
	}
	if v, ok := c.Property("secureClientPortAddress"); ok && v != "" {
		if ct.securePort == 0 {
			return nil, errors.New("server: config: secureClientPortAddress is set but secureClientPort is not set")
		}
		ct.secureHost = v
		if v == "0.0.0.0" {
			ct.secureHost = ""
		}
	}
	if v, ok := c.Property("zookeeper.client.portUnification"); ok {
		ct.unified = strings.EqualFold(v, "true")
	}
	if v, ok := c.Property("zookeeper.serverCnxnFactory"); ok && v != "" && !knownCnxnFactories[v] {
		return nil, &ConfigError{Key: "serverCnxnFactory", Value: v,
			Err: errors.New("unknown connection factory (want org.apache.zookeeper.server.NIOServerCnxnFactory or NettyServerCnxnFactory)")}
	}
	settings, settingsErr := tlsconf.FromProperties(c.Property, tlsconf.ClientPrefix)
	settings.Logger = c.Logger
	ct.settings = settings
	ct.x509.SuperUser, _ = c.Property("zookeeper.X509AuthenticationProvider.superUser")
	for k, v := range c.Properties {
		name := strings.TrimPrefix(k, "zookeeper.")
		if strings.HasPrefix(name, "authProvider.") && strings.TrimSpace(v) == x509ProviderClass {
			ct.x509.Enabled = true
		}
	}
	if v, ok := c.Property("zookeeper.netty.server.outstandingHandshake.limit"); ok {
		var err error
		if ct.limit, err = strconv.Atoi(v); err != nil {
			return nil, &ConfigError{Key: "netty.server.outstandingHandshake.limit", Value: v, Err: errors.New("want an integer")}
		}
	}
	if ct.securePort == 0 && !ct.unified {
		// As Java, the ssl.* settings are read only for a TLS port.
		if settings.Configured() || settingsErr != nil {
			c.Logger.Warn("ssl.* settings present but neither secureClientPort nor client.portUnification is set: the client port serves plaintext only",
				"settings", strings.Join(settings.Present, ","), "err", settingsErr)
		}
		return ct, nil
	}
	if settingsErr != nil {
		return nil, fmt.Errorf("server: config: %w", settingsErr)
	}
	// QuorumPeerConfig.configureSSLAuth: a TLS client port registers the
	// x509 provider; another scheme needs its own provider class, which
	// zkit cannot load.
	if settings.AuthProvider != "x509" {
		return nil, fmt.Errorf("server: config: ssl.authProvider=%q: only the x509 provider is available in zkit", settings.AuthProvider)
	}
	if f, _ := c.Property("zookeeper.serverCnxnFactory"); f != "org.apache.zookeeper.server.NettyServerCnxnFactory" {
		c.Logger.Info("serving TLS on the client port; Java ZooKeeper would need serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory for this configuration",
			"serverCnxnFactory", f)
	}
	if v, ok := c.Property("zookeeper.authProvider.x509"); ok && strings.TrimSpace(v) != x509ProviderClass {
		// configureSSLAuth keeps an authProvider.x509 already set: Java
		// would authenticate certificates with that class.
		return nil, &ConfigError{Key: "authProvider.x509", Value: v,
			Err: errors.New("a custom x509 authentication provider cannot be loaded by zkit")}
	}
	ct.x509.Enabled = true
	ct.clientAuth = settings.ClientAuth != tlsconf.ClientAuthNone
	var err error
	if ct.config, err = settings.ServerConfig(); err != nil {
		return nil, fmt.Errorf("server: config: secure client port: %w", err)
	}
	return ct, nil
}

// listenClients opens the client listeners: plaintext on clientPort (also
// taking TLS with client.portUnification) and TLS on secureClientPort. A
// configuration with a secure port and no clientPort gets no plaintext
// listener. Without TLS it is the plain listener alone.
func (s *Server) listenClients() (net.Listener, error) {
	ct := s.clientTLS
	plainAddr := net.JoinHostPort(s.cfg.ClientPortAddress, strconv.Itoa(s.cfg.ClientPort))
	if ct.config == nil {
		return s.clientListener()
	}
	cl := &clientListener{
		tls:        ct.config,
		detect:     ct.settings.HandshakeDetectionTimeout,
		handshake:  tlsHandshakeTimeout,
		limit:      ct.limit,
		clientAuth: ct.clientAuth,
		superUser:  ct.x509.SuperUser,
		log:        s.cfg.Logger,
		conns:      make(chan net.Conn),
		stop:       make(chan struct{}),
		pending:    make(map[net.Conn]struct{}),
	}
	if s.cfg.servesClients() {
		ln, err := s.cfg.Listen("tcp", plainAddr)
		if err != nil {
			return nil, fmt.Errorf("server: listen on %s: %w", plainAddr, err)
		}
		cl.plain = ln
	}
	if ct.securePort != 0 {
		addr := net.JoinHostPort(ct.secureHost, strconv.Itoa(ct.securePort))
		ln, err := s.cfg.Listen("tcp", addr)
		if err != nil {
			if cl.plain != nil {
				cl.plain.Close()
			}
			return nil, fmt.Errorf("server: listen on secureClientPort %s: %w", addr, err)
		}
		cl.secure = ln
		ct.mu.Lock()
		ct.secureAddr = ln.Addr()
		ct.mu.Unlock()
	}
	if cl.plain != nil {
		cl.start(cl.plain, ct.unified)
	}
	if cl.secure != nil {
		cl.start(cl.secure, false)
	}
	// Say what each client port accepts: "serving" names one address.
	plainShown, secureShown := "none", "none"
	if cl.plain != nil {
		plainShown = cl.plain.Addr().String()
		if ct.unified {
			plainShown += " (plaintext and TLS: client.portUnification)"
		}
	}
	if cl.secure != nil {
		secureShown = cl.secure.Addr().String()
	}
	s.cfg.Logger.Info("client TLS on", "clientPort", plainShown, "secureClientPort", secureShown,
		"clientAuth", string(ct.settings.ClientAuth))
	return cl, nil
}

// SecureAddr returns the address of the TLS client listener
// (secureClientPort), or nil when there is none or before Start.
func (s *Server) SecureAddr() net.Addr {
	if s.clientTLS == nil {
		return nil
	}
	s.clientTLS.mu.Lock()
	defer s.clientTLS.mu.Unlock()
	return s.clientTLS.secureAddr
}

// clientListener merges the plaintext and TLS client listeners into the
// one listener the engine (or the quorum peer) accepts from. Every TLS
// handshake runs on its own goroutine under a deadline, so a slow or
// silent client never holds up accepting others; only connections whose
// handshake succeeded come out of Accept, carrying their x509 ids.
//
// It owns its goroutines: Close stops the accept loops, closes the
// connections still in their handshake and waits for all of them.
type clientListener struct {
	plain, secure net.Listener
	tls           *tls.Config
	detect        time.Duration // unified port: wait for the first byte
	handshake     time.Duration
	limit         int
	clientAuth    bool
	superUser     string
	log           *slog.Logger

	conns     chan net.Conn // handshaken connections for Accept
	stop      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	mu          sync.Mutex // guards pending
	pending     map[net.Conn]struct{}
	outstanding atomic.Int32
}

func (l *clientListener) start(ln net.Listener, unified bool) {
	secure := ln == l.secure
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		l.acceptLoop(ln, secure, unified)
	}()
}

func (l *clientListener) acceptLoop(ln net.Listener, secure, unified bool) {
	for {
		nc, err := ln.Accept()
		if err != nil {
			select {
			case <-l.stop:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			l.log.Warn("client accept failed", "err", err)
			select {
			case <-time.After(50 * time.Millisecond):
			case <-l.stop:
				return
			}
			continue
		}
		if !secure && !unified {
			l.deliver(nc)
			continue
		}
		if l.limit > 0 && int(l.outstanding.Load()) >= l.limit {
			l.log.Warn("too many TLS handshakes in progress; connection dropped",
				"remote", nc.RemoteAddr().String(), "limit", l.limit)
			nc.Close()
			continue
		}
		l.mu.Lock()
		select {
		case <-l.stop:
			l.mu.Unlock()
			nc.Close()
			return
		default:
		}
		l.pending[nc] = struct{}{}
		l.outstanding.Add(1)
		l.wg.Add(1)
		l.mu.Unlock()
		go func() {
			defer l.wg.Done()
			c := l.secureConn(nc, unified)
			l.mu.Lock()
			delete(l.pending, nc)
			l.mu.Unlock()
			l.outstanding.Add(-1)
			if c != nil {
				l.deliver(c)
			}
		}()
	}
}

// secureConn runs the server side of TLS on nc; on a unified port a
// first byte other than a TLS handshake record makes it a plaintext
// connection instead. It returns nil (nc closed) when the handshake fails
// or takes longer than the deadline.
func (l *clientListener) secureConn(nc net.Conn, unified bool) net.Conn {
	conn := nc
	if unified {
		nc.SetReadDeadline(time.Now().Add(l.detect))
		br := bufio.NewReaderSize(nc, 1)
		first, err := br.Peek(1)
		if err != nil {
			nc.Close()
			return nil
		}
		nc.SetReadDeadline(time.Time{})
		conn = &sniffedConn{Conn: nc, r: br}
		if first[0] != tlsRecordHandshake {
			return conn
		}
	}
	nc.SetDeadline(time.Now().Add(l.handshake))
	tc := tls.Server(conn, l.tls)
	if err := tc.Handshake(); err != nil {
		l.log.Warn("unsuccessful TLS handshake", "remote", nc.RemoteAddr().String(), "err", err)
		nc.Close()
		return nil
	}
	nc.SetDeadline(time.Time{})
	// NettyServerCnxnFactory.CertificateVerifier: when a certificate was
	// asked for and given, the x509 provider authenticates it (the TLS
	// layer has already verified it against the same trust store).
	state := tc.ConnectionState()
	if !l.clientAuth || len(state.PeerCertificates) == 0 {
		return tc
	}
	id := tlsconf.X509ID(state.PeerCertificates[0])
	ids := acl.X509IDs(id, l.superUser)
	l.log.Info("authenticated client certificate", "scheme", acl.SchemeX509, "id", id)
	return &authConn{Conn: tc, ids: ids}
}

// deliver hands c to Accept, or closes it once the listener is closed.
func (l *clientListener) deliver(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.stop:
		c.Close()
	}
}

// Accept returns the next connection ready to serve.
func (l *clientListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.stop:
		return nil, net.ErrClosed
	}
}

// Close stops accepting, aborts handshakes in progress and waits for the
// listener's goroutines.
func (l *clientListener) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		close(l.stop)
		for c := range l.pending {
			c.Close()
		}
		l.mu.Unlock()
		for _, ln := range []net.Listener{l.plain, l.secure} {
			if ln != nil {
				ln.Close()
			}
		}
		l.wg.Wait()
	})
	return nil
}

// Addr is the plaintext listener's address, or the TLS one's without it.
func (l *clientListener) Addr() net.Addr {
	if l.plain != nil {
		return l.plain.Addr()
	}
	return l.secure.Addr()
}

// sniffedConn is a connection whose first byte was peeked.
type sniffedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *sniffedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// authConn is a TLS connection with the ids its certificate authenticated;
// the engine adds them to the connection's auth info.
type authConn struct {
	*tls.Conn
	ids []proto.ID
}

// AuthIDs returns the ids the client certificate authenticated.
func (c *authConn) AuthIDs() []proto.ID { return c.ids }
