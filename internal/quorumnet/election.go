package quorumnet

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zkit-go/zkit/internal/election"
)

// Election network defaults, as QuorumCnxManager has them.
const (
	// DefaultConnectTimeout is zookeeper.cnxTimeout: the dial timeout and,
	// here, also the time an accepted connection has to send its handshake.
	DefaultConnectTimeout = 5 * time.Second
	// DefaultBindRetries is zookeeper.electionPortBindRetry.
	DefaultBindRetries = 3
	// DefaultBindRetryDelay is the pause between bind attempts.
	DefaultBindRetryDelay = time.Second
	// RecvCapacity is the receive queue length (RECV_CAPACITY); when the
	// consumer falls behind, the oldest message is dropped.
	RecvCapacity = 100
	// ObserverID is the sid an id-less observer sends (QuorumPeer.OBSERVER_ID);
	// an acceptor replaces it with a decreasing negative counter.
	ObserverID int64 = math.MaxInt64
)

// Errors.
var (
	// ErrClosed reports use of a closed ElectionNet, PeerConn or listener.
	ErrClosed = errors.New("quorumnet: closed")
	// ErrStarted reports a second Start.
	ErrStarted = errors.New("quorumnet: already started")
	// ErrBadAddress reports a handshake whose address is not host:port.
	ErrBadAddress = errors.New("quorumnet: badly formed handshake address")
)

// ElectionConfig configures an ElectionNet.
type ElectionConfig struct {
	// MyID is this server's sid.
	MyID int64
	// ListenAddr is the election address to bind ("host:port").
	ListenAddr string
	// AdvertiseAddr is the "host:port" sent in handshakes. Empty means
	// ListenAddr, with the bound port when ListenAddr's port is 0 and the
	// listener's host when ListenAddr has none.
	AdvertiseAddr string
	// Peers holds the election address of every other voter and observer.
	Peers map[int64]string
	// Listen and Dial are the network hooks (nil: net.Listen and
	// net.DialTimeout).
	Listen func(network, addr string) (net.Listener, error)
	Dial   func(network, addr string, timeout time.Duration) (net.Conn, error)
	// ConnectTimeout bounds a dial and an inbound handshake
	// (0: DefaultConnectTimeout).
	ConnectTimeout time.Duration
	// BindRetries is how many times Start tries to bind (0: DefaultBindRetries).
	BindRetries int
	// BindRetryDelay is the pause between bind attempts (0: DefaultBindRetryDelay).
	BindRetryDelay time.Duration
	// Logger receives connection events (nil: discarded).
	Logger *slog.Logger
	// Security is TLS and quorum SASL for the election port (nil: none).
	// TLS wraps Listen and Dial; SASL runs after the initiator's handshake.
	Security *Security
}

// Received is one election message and the sid it came from. Messages
// from an id-less observer carry a negative sid.
type Received struct {
	From int64
	Msg  []byte
}

// ElectionNet is QuorumCnxManager: it keeps at most one connection to each
// election peer and moves whole messages over them. It makes no protocol
// decisions. See the package documentation for the rules.
type ElectionNet struct {
	cfg  ElectionConfig
	log  *slog.Logger
	recv chan Received
	stop chan struct{} // closed by Close: wakes the accept loop's pauses
	wg   sync.WaitGroup

	closeOnce sync.Once

	// mu guards every field below and the fields of each peerState.
	mu        sync.Mutex
	ln        net.Listener
	advertise string
	started   bool
	closed    bool
	peers     map[int64]*peerState
	learned   map[int64]string    // addresses from handshakes of sids not in cfg.Peers
	observer  int64               // next sid for an id-less observer (-1, -2, ...)
	inbound   map[net.Conn]uint64 // accepted, handshake not yet handled → accept sequence
	acceptSeq uint64              // accepted connections so far
}

// peerState is the send side of one peer (queueSendMap, lastMessageSent
// and senderWorkerMap entries in Java). Guarded by ElectionNet.mu.
type peerState struct {
	queued     []byte // the one unsent message (SEND_CAPACITY = 1), or nil
	last       []byte // the last message handed to a connection
	conn       *econn // the live connection, or nil
	connecting bool   // a dial is in flight
	// inSeq is the accept sequence number of the newest inbound connection
	// installed: an older one whose handshake is handled later is stale
	// (Java handles handshakes one at a time in accept order).
	inSeq uint64
}

// econn is one established election connection with its two goroutines.
type econn struct {
	sid  int64
	c    net.Conn
	r    io.Reader     // c, or the reader that already consumed the handshake
	wake chan struct{} // cap 1: a message was queued
	done chan struct{} // closed by finish
	once sync.Once
}

// NewElectionNet returns an unstarted election network.
func NewElectionNet(cfg ElectionConfig) *ElectionNet {
	cfg.Listen = cfg.Security.WrapListen(cfg.Listen)
	cfg.Dial = cfg.Security.WrapDial(cfg.Dial)
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.BindRetries <= 0 {
		cfg.BindRetries = DefaultBindRetries
	}
	if cfg.BindRetryDelay <= 0 {
		cfg.BindRetryDelay = DefaultBindRetryDelay
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ElectionNet{
		cfg:      cfg,
		log:      log.With("myid", cfg.MyID),
		recv:     make(chan Received, RecvCapacity),
		stop:     make(chan struct{}),
		peers:    map[int64]*peerState{},
		learned:  map[int64]string{},
		observer: -1,
		inbound:  map[net.Conn]uint64{},
	}
}

// Start binds the election port, trying BindRetries times, and starts
// accepting connections.
func (n *ElectionNet) Start() error {
	n.mu.Lock()
	switch {
	case n.closed:
		n.mu.Unlock()
		return ErrClosed
	case n.started:
		n.mu.Unlock()
		return ErrStarted
	}
	n.started = true
	n.mu.Unlock()

	var ln net.Listener
	var err error
	for i := 0; i < n.cfg.BindRetries; i++ {
		if i > 0 {
			select {
			case <-n.stop:
				return ErrClosed
			case <-time.After(n.cfg.BindRetryDelay):
			}
		}
		if ln, err = n.cfg.Listen("tcp", n.cfg.ListenAddr); err == nil {
			break
		}
		n.log.Error("cannot bind election port", "addr", n.cfg.ListenAddr, "attempt", i+1, "err", err)
	}
	if err != nil {
		return fmt.Errorf("quorumnet: bind election port %s: %w", n.cfg.ListenAddr, err)
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		ln.Close()
		return ErrClosed
	}
	n.ln = ln
	n.advertise = advertiseAddr(n.cfg.AdvertiseAddr, n.cfg.ListenAddr, ln.Addr())
	n.wg.Add(1)
	for sid, p := range n.peers {
		if p.queued != nil { // sent before Start
			n.connectLocked(sid)
		}
	}
	n.mu.Unlock()
	n.log.Info("election port listening", "addr", ln.Addr().String(), "advertise", n.advertise)
	go n.acceptLoop(ln)
	return nil
}

// advertiseAddr picks the handshake address (see ElectionConfig.AdvertiseAddr).
func advertiseAddr(adv, listen string, bound net.Addr) string {
	if adv != "" {
		return adv
	}
	host, port, err := net.SplitHostPort(listen)
	bhost, bport, berr := net.SplitHostPort(bound.String())
	if err != nil {
		if berr != nil {
			return bound.String()
		}
		return net.JoinHostPort(bhost, bport)
	}
	if host == "" && berr == nil {
		host = bhost
	}
	if (port == "0" || port == "") && berr == nil {
		port = bport
	}
	return net.JoinHostPort(host, port)
}

// Addr returns the bound election address (nil before Start).
func (n *ElectionNet) Addr() net.Addr {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ln == nil {
		return nil
	}
	return n.ln.Addr()
}

// Recv returns the channel of received messages. It is closed by Close.
func (n *ElectionNet) Recv() <-chan Received { return n.recv }

// Send queues msg for sid to and returns at once. A message still unsent
// replaces the one queued before it (only the newest vote matters). With
// no connection to the peer, one is opened. msg belongs to the net after
// the call; it must be 1..512 KiB (else it is dropped and logged). A
// message to MyID is delivered to Recv directly.
func (n *ElectionNet) Send(to int64, msg []byte) {
	if len(msg) < 1 || len(msg) > election.MaxFrame {
		n.log.Error("dropping election message of bad size", "to", to, "len", len(msg))
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	if to == n.cfg.MyID {
		n.deliver(Received{From: to, Msg: msg})
		return
	}
	p := n.peer(to)
	p.queued = msg
	if p.conn != nil {
		select {
		case p.conn.wake <- struct{}{}:
		default:
		}
		return
	}
	n.connectLocked(to)
}

// ConnectAll opens a connection to every peer ever sent to or heard from
// that has none (FastLeaderElection asks for this when notifications time
// out).
func (n *ElectionNet) ConnectAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for sid := range n.peers {
		n.connectLocked(sid)
	}
}

// Connected reports whether a connection to sid is established.
func (n *ElectionNet) Connected(sid int64) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	p := n.peers[sid]
	return p != nil && p.conn != nil
}

// Close stops listening, closes every connection and waits for every
// goroutine, then closes the Recv channel. A dial in flight is waited for
// (at most ConnectTimeout for the dial, and as much again for each of the
// TLS handshake and the quorum SASL exchange). Close is idempotent.
func (n *ElectionNet) Close() error {
	n.closeOnce.Do(func() {
		n.mu.Lock()
		n.closed = true
		ln := n.ln
		var conns []*econn
		for _, p := range n.peers {
			if p.conn != nil {
				conns = append(conns, p.conn)
			}
		}
		var in []net.Conn
		for c := range n.inbound {
			in = append(in, c)
		}
		n.mu.Unlock()
		close(n.stop)
		if ln != nil {
			ln.Close()
		}
		for _, ec := range conns {
			n.finish(ec, "close")
		}
		for _, c := range in {
			c.Close()
		}
		n.wg.Wait()
		close(n.recv)
	})
	return nil
}

// peer returns sid's state, creating it. Needs n.mu.
func (n *ElectionNet) peer(sid int64) *peerState {
	p := n.peers[sid]
	if p == nil {
		p = &peerState{}
		n.peers[sid] = p
	}
	return p
}

// addrOf returns sid's election address: the configured one, else one a
// handshake told us. Needs n.mu.
func (n *ElectionNet) addrOf(sid int64) string {
	if a, ok := n.cfg.Peers[sid]; ok {
		return a
	}
	return n.learned[sid]
}

// deliver queues m for Recv, dropping the oldest message when the queue is
// full (CircularBlockingQueue). It never blocks.
func (n *ElectionNet) deliver(m Received) {
	for {
		select {
		case n.recv <- m:
			return
		default:
		}
		select {
		case old := <-n.recv:
			n.log.Debug("receive queue full, dropped oldest message", "from", old.From)
		default:
		}
	}
}

// connectLocked starts a dial to sid unless connected, dialling, or
// closed. Needs n.mu.
func (n *ElectionNet) connectLocked(sid int64) {
	if n.closed || !n.started {
		return
	}
	p := n.peer(sid)
	if p.conn != nil || p.connecting {
		return
	}
	addr := n.addrOf(sid)
	if addr == "" {
		n.log.Warn("no election address for server", "sid", sid)
		return
	}
	p.connecting = true
	n.wg.Add(1)
	go n.initiate(sid, addr)
}

// initiate dials sid and sends the handshake. The connection is kept only
// when our sid is the larger; otherwise the handshake tells the peer to
// connect back, and we close.
func (n *ElectionNet) initiate(sid int64, addr string) {
	defer n.wg.Done()
	keep := false
	defer func() {
		if !keep {
			n.mu.Lock()
			n.peer(sid).connecting = false
			n.mu.Unlock()
		}
	}()
	c, err := n.cfg.Dial("tcp", addr, n.cfg.ConnectTimeout)
	if err != nil {
		if errors.Is(err, ErrTLS) {
			// Reached the peer but not through TLS: a configuration
			// problem, not a member that is down.
			n.log.Warn("cannot open election connection", withHint(err, true, "sid", sid, "addr", addr)...)
		} else {
			n.log.Debug("cannot open election connection", "sid", sid, "addr", addr, "err", err)
		}
		return
	}
	setNoDelay(c)
	n.mu.Lock()
	// Only a larger sid's connection survives. If the peer (larger) has
	// meanwhile connected to us, our handshake would only make it drop
	// that connection and dial again, so say nothing.
	skip := n.closed || (sid > n.cfg.MyID && n.peer(sid).conn != nil)
	adv := n.advertise
	n.mu.Unlock()
	if skip {
		c.Close()
		return
	}
	hs := election.AppendHandshake(nil, election.Handshake{Version: election.ProtocolV1, SID: n.cfg.MyID, Addrs: []string{adv}})
	_ = c.SetWriteDeadline(time.Now().Add(n.cfg.ConnectTimeout))
	if _, err := c.Write(hs); err != nil {
		n.log.Debug("cannot send election handshake", "sid", sid, "err", err)
		c.Close()
		return
	}
	_ = c.SetWriteDeadline(time.Time{})
	// Quorum SASL comes after the handshake and before the sid rule, as
	// QuorumCnxManager.startConnection does it.
	br := bufio.NewReader(c)
	if err := n.cfg.Security.auth().authAsLearner(c, br, n.cfg.ConnectTimeout, addr); err != nil {
		n.log.Warn("cannot authenticate to election peer (quorum SASL); dropping the connection",
			withHint(err, n.cfg.Security != nil && n.cfg.Security.SSLQuorum, "sid", sid)...)
		c.Close()
		return
	}
	if sid > n.cfg.MyID {
		n.log.Debug("smaller sid, dropping own connection for the peer to connect back", "sid", sid)
		c.Close()
		return
	}
	keep = true
	n.install(sid, c, br, 0)
}

// install makes c the connection to sid, replacing (and finishing) any
// older one, and starts its send and receive goroutines. seq is the accept
// sequence number of an inbound connection, 0 for one we initiated.
func (n *ElectionNet) install(sid int64, c net.Conn, r io.Reader, seq uint64) {
	initiated := seq == 0
	ec := &econn{sid: sid, c: c, r: r, wake: make(chan struct{}, 1), done: make(chan struct{})}
	n.mu.Lock()
	p := n.peer(sid)
	if initiated {
		p.connecting = false
	}
	if n.closed || (!initiated && seq < p.inSeq) {
		n.mu.Unlock()
		n.log.Debug("dropping stale election connection", "sid", sid, "remote", c.RemoteAddr().String())
		c.Close()
		return
	}
	if !initiated {
		p.inSeq = seq
	}
	old := p.conn
	p.conn = ec
	n.wg.Add(2)
	n.mu.Unlock()
	if old != nil {
		n.finish(old, "replaced")
	}
	n.log.Info("election connection established", "sid", sid, "remote", c.RemoteAddr().String(), "initiated", initiated)
	go n.sendLoop(ec)
	go n.recvLoop(ec)
}

// finish closes ec and forgets it if it is still sid's connection.
func (n *ElectionNet) finish(ec *econn, why string) {
	ec.once.Do(func() {
		n.log.Debug("closing election connection", "sid", ec.sid, "remote", ec.c.RemoteAddr().String(), "why", why)
		close(ec.done)
		ec.c.Close()
		n.mu.Lock()
		if p := n.peers[ec.sid]; p != nil && p.conn == ec {
			p.conn = nil
		}
		n.mu.Unlock()
	})
}

// sendLoop is SendWorker: it resends the last message when nothing is
// queued (the peer may have missed it when the previous connection broke),
// then writes each queued message.
func (n *ElectionNet) sendLoop(ec *econn) {
	defer n.wg.Done()
	defer n.finish(ec, "send loop ended")
	var buf []byte
	write := func(msg []byte) bool {
		var err error
		if buf, err = election.AppendFrame(buf[:0], msg); err != nil {
			return true // Send checked the size; nothing to write
		}
		if _, err := ec.c.Write(buf); err != nil {
			n.log.Debug("election send failed", "sid", ec.sid, "err", err)
			return false
		}
		return true
	}
	n.mu.Lock()
	p := n.peer(ec.sid)
	var first []byte
	if p.queued == nil {
		first = p.last
	}
	n.mu.Unlock()
	if first != nil && !write(first) {
		return
	}
	for {
		n.mu.Lock()
		if p.conn != ec {
			n.mu.Unlock()
			return
		}
		msg := p.queued
		p.queued = nil
		if msg != nil {
			p.last = msg
		}
		n.mu.Unlock()
		if msg == nil {
			select {
			case <-ec.wake:
				continue
			case <-ec.done:
				return
			}
		}
		if !write(msg) {
			return
		}
	}
}

// recvLoop is RecvWorker: it reads frames until the connection breaks. No
// read timeout: an idle election connection is normal.
func (n *ElectionNet) recvLoop(ec *econn) {
	defer n.wg.Done()
	defer n.finish(ec, "receive loop ended")
	r := ec.r
	if _, ok := r.(*bufio.Reader); !ok {
		r = bufio.NewReader(r)
	}
	for {
		msg, err := election.ReadFrame(r)
		if err != nil {
			select {
			case <-ec.done:
			default:
				n.log.Info("election connection to a peer broken (it stopped or the network failed); reconnecting when the next election needs it", "sid", ec.sid, "err", err)
			}
			return
		}
		n.deliver(Received{From: ec.sid, Msg: msg})
	}
}

// acceptLoop accepts election connections. Accept errors other than Close
// are retried after a pause, up to BindRetries in a row (Java re-creates
// its server socket as many times, then gives up on elections).
func (n *ElectionNet) acceptLoop(ln net.Listener) {
	defer n.wg.Done()
	failures := 0
	for {
		c, err := ln.Accept()
		if err != nil {
			select {
			case <-n.stop:
				return
			default:
			}
			failures++
			n.log.Error("election accept failed", "err", err, "failures", failures)
			if failures >= n.cfg.BindRetries {
				n.log.Error("leaving the election listener; this server can no longer take part in elections")
				return
			}
			select {
			case <-n.stop:
				return
			case <-time.After(n.cfg.BindRetryDelay):
			}
			continue
		}
		failures = 0
		n.mu.Lock()
		if n.closed {
			n.mu.Unlock()
			c.Close()
			return
		}
		n.acceptSeq++
		n.inbound[c] = n.acceptSeq
		n.wg.Add(1)
		n.mu.Unlock()
		go n.handleInbound(c)
	}
}

// handleInbound reads an inbound handshake and applies the rule: a
// connection from a smaller sid is closed and we connect back; one from a
// larger sid is kept.
func (n *ElectionNet) handleInbound(c net.Conn) {
	defer n.wg.Done()
	kept := false
	defer func() {
		n.mu.Lock()
		delete(n.inbound, c)
		n.mu.Unlock()
		if !kept {
			c.Close()
		}
	}()
	setNoDelay(c)
	_ = c.SetReadDeadline(time.Now().Add(n.cfg.ConnectTimeout))
	br := bufio.NewReader(c)
	h, err := election.ReadHandshake(br)
	if err == nil {
		err = checkHandshakeAddrs(h)
	}
	if err != nil {
		n.log.Warn("bad election handshake", withHint(err, false, "remote", c.RemoteAddr().String())...)
		return
	}
	// Quorum SASL, before the sid rule (QuorumCnxManager.handleConnection).
	if authed, err := n.cfg.Security.auth().authAsServer(c, br, n.cfg.ConnectTimeout); err != nil {
		n.log.Warn("election connection refused", "sid", h.SID, "err", err)
		return
	} else if n.cfg.Security.auth() != nil && !authed {
		n.log.Warn("election connection not authenticated, kept as quorum.auth.serverRequireSasl=false", "sid", h.SID)
	}
	_ = c.SetReadDeadline(time.Time{})
	sid := h.SID
	n.mu.Lock()
	seq := n.inbound[c]
	if sid == ObserverID {
		sid = n.observer
		n.observer--
		n.log.Info("id-less observer given an arbitrary sid", "sid", sid)
	}
	if _, known := n.cfg.Peers[sid]; !known {
		if a := firstNonWildcard(h.Addrs); a != "" {
			n.learned[sid] = a
		}
	}
	switch {
	case sid < n.cfg.MyID:
		// Our connection must win. The peer may know that our old
		// connection is dead before we do, so drop it and dial afresh.
		var old *econn
		if p := n.peers[sid]; p != nil {
			old = p.conn
		}
		n.mu.Unlock()
		if old != nil {
			n.finish(old, "smaller sid connected")
		}
		n.log.Debug("connection from smaller sid, connecting back", "sid", sid)
		c.Close()
		n.mu.Lock()
		n.connectLocked(sid)
		n.mu.Unlock()
	case sid == n.cfg.MyID:
		n.mu.Unlock()
		n.log.Warn("election connection from a server with our own id: configuration error?", "remote", c.RemoteAddr().String())
	default:
		n.mu.Unlock()
		kept = true
		n.install(sid, c, br, seq)
	}
}

// checkHandshakeAddrs rejects a handshake whose addresses are not
// host:port with a numeric port (InitialMessage.parse).
func checkHandshakeAddrs(h election.Handshake) error {
	for _, a := range h.Addrs {
		_, port, err := net.SplitHostPort(a)
		if err != nil {
			return fmt.Errorf("%w: %q", ErrBadAddress, a)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			return fmt.Errorf("%w: %q", ErrBadAddress, a)
		}
	}
	return nil
}

// firstNonWildcard returns the first address whose host is not a wildcard
// (Java ignores wildcard addresses in a handshake).
func firstNonWildcard(addrs []string) string {
	for _, a := range addrs {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			continue
		}
		if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil && ip.IsUnspecified() {
			continue
		}
		if host == "" {
			continue
		}
		return a
	}
	return ""
}

func setNoDelay(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
}

// AddPeer records sid's election address, for a server a reconfig added
// after the net started (it is dialled like a configured peer from then on).
func (n *ElectionNet) AddPeer(sid int64, addr string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.cfg.Peers[sid]; ok || sid == n.cfg.MyID {
		return
	}
	if n.learned == nil {
		n.learned = make(map[int64]string)
	}
	n.learned[sid] = addr
}
