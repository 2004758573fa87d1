package quorumnet

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// ListenLearnersSecure is ListenLearners with sec applied: the TLS
// handshake (or port unification's sniffing) and, with quorum SASL, the
// server side of the exchange (LearnerHandler's constructor) run before
// the connection is handed out by Accept. Each runs on its own goroutine
// bounded by authTimeout (Java: initLimit × tickTime), so a slow or silent
// learner never holds up the next one (Java authenticates on its accept
// thread).
func ListenLearnersSecure(addr string, listen ListenFunc, sec *Security, authTimeout time.Duration) (*LearnerListener, error) {
	l, err := ListenLearners(addr, sec.WrapListen(listen))
	if err != nil || (sec.auth() == nil && !sec.tlsOn()) {
		return l, err
	}
	a := &authAcceptor{
		ln:      l.ln,
		auth:    sec.auth(),
		timeout: authTimeout,
		log:     sec.logger(),
		ready:   make(chan *PeerConn),
		stop:    make(chan struct{}),
		pending: map[net.Conn]struct{}{},
	}
	l.auth = a
	a.wg.Add(1)
	go a.loop()
	return l, nil
}

// DialLeaderSecure is DialLeader with sec applied: a TLS handshake under
// sslQuorum, then, with quorum.auth.learnerRequireSasl, the learner side
// of quorum SASL (Learner.connectToLeader), both within timeout.
func DialLeaderSecure(addr string, dial DialFunc, timeout time.Duration, sec *Security) (*PeerConn, error) {
	if dial == nil {
		dial = net.DialTimeout
	}
	c, err := dial("tcp", addr, timeout)
	if err != nil {
		return nil, fmt.Errorf("quorumnet: connect to leader %s: %w", addr, err)
	}
	setNoDelay(c)
	if c, err = sec.WrapConn(c, addr, timeout); err != nil {
		return nil, fmt.Errorf("quorumnet: connect to leader %s: %w", addr, err)
	}
	br := bufio.NewReader(c)
	if err := sec.auth().authAsLearner(c, br, timeout, addr); err != nil {
		c.Close()
		return nil, err
	}
	return NewPeerConn(withBuffered(c, br)), nil
}

// withBuffered returns c with br's buffered bytes read first.
func withBuffered(c net.Conn, br *bufio.Reader) net.Conn {
	n := br.Buffered()
	if n == 0 {
		return c
	}
	b, _ := br.Peek(n)
	return &prefixConn{Conn: c, prefix: append([]byte(nil), b...)}
}

// authAcceptor accepts learners and authenticates each on its own
// goroutine. Its goroutines are joined by close.
type authAcceptor struct {
	ln      net.Listener
	auth    *Auth
	timeout time.Duration
	log     *slog.Logger
	ready   chan *PeerConn
	stop    chan struct{}
	wg      sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	acceptEr error // the accept loop's final error
	pending  map[net.Conn]struct{}
	once     sync.Once
}

func (a *authAcceptor) loop() {
	defer a.wg.Done()
	for {
		c, err := a.ln.Accept()
		if err != nil {
			a.mu.Lock()
			a.acceptEr = err
			a.mu.Unlock()
			a.once.Do(func() { close(a.stop) })
			return
		}
		a.mu.Lock()
		if a.closed {
			a.mu.Unlock()
			c.Close()
			return
		}
		a.pending[c] = struct{}{}
		a.wg.Add(1)
		a.mu.Unlock()
		go a.handshake(c)
	}
}

func (a *authAcceptor) handshake(c net.Conn) {
	defer a.wg.Done()
	// Forget c before handing it out, so close never closes a connection
	// the caller owns; from then on stop tells this goroutine to close it.
	done := func() {
		a.mu.Lock()
		delete(a.pending, c)
		a.mu.Unlock()
	}
	if err := serverHandshake(c, a.timeout); err != nil {
		done()
		a.log.Warn("quorum learner TLS handshake failed, closing connection", withHint(err, false, "remote", c.RemoteAddr().String())...)
		c.Close()
		return
	}
	br := bufio.NewReader(c)
	authed, err := a.auth.authAsServer(c, br, a.timeout)
	done()
	if err != nil {
		a.log.Error("server failed to authenticate quorum learner, closing connection", "remote", c.RemoteAddr().String(), "err", err)
		c.Close()
		return
	}
	if a.auth != nil && !authed {
		a.log.Warn("quorum learner not authenticated, kept as quorum.auth.serverRequireSasl=false", "remote", c.RemoteAddr().String())
	}
	p := NewPeerConn(withBuffered(c, br))
	select {
	case a.ready <- p:
	case <-a.stop:
		p.Close()
	}
}

func (a *authAcceptor) accept() (*PeerConn, error) {
	select {
	case p := <-a.ready:
		return p, nil
	case <-a.stop:
		return nil, ErrClosed
	}
}

func (a *authAcceptor) close() {
	a.mu.Lock()
	a.closed = true
	var in []net.Conn
	for c := range a.pending {
		in = append(in, c)
	}
	a.mu.Unlock()
	a.once.Do(func() { close(a.stop) })
	for _, c := range in {
		c.Close()
	}
	a.wg.Wait()
}
