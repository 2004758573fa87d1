package recipes

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
)

// Errors returned by this package. Errors from the server pass through as
// go-zookeeper/zk's values (zk.ErrNoNode, zk.ErrNodeExists, ...), wrapped
// at most, so errors.Is works on both.
var (
	// ErrClosed is returned by operations on a closed Client, cache or Watcher.
	ErrClosed = errors.New("recipes: closed")
	// ErrRetriesExhausted wraps the last error when the retry policy gives up.
	ErrRetriesExhausted = errors.New("recipes: retries exhausted")
	// ErrAmbiguous wraps the final error of a write whose earlier attempt was
	// cut off by a connection loss: that attempt may have been applied, so
	// for example zk.ErrNodeExists from a retried Create may be our own node
	// and zk.ErrNoNode from a retried Delete may mean our delete succeeded.
	ErrAmbiguous = errors.New("recipes: an earlier attempt may have been applied")
	// ErrUnimplemented is the server's Unimplemented error code (-6), which
	// go-zookeeper/zk reports only as "unknown error: -6".
	ErrUnimplemented = errors.New("recipes: operation not implemented by the server")
	// ErrOperationTimeout is the server's OperationTimeout code (-7), which
	// go-zookeeper/zk reports only as "unknown error: -7".
	ErrOperationTimeout = errors.New("recipes: operation timed out on the server")
	// ErrBadPath is returned for a path that is not absolute or is malformed.
	ErrBadPath = errors.New("recipes: invalid path")
	// ErrBadOption is returned by Connect for an invalid option.
	ErrBadOption = errors.New("recipes: invalid option")
)

// Option configures Connect.
type Option func(*options)

type authInfo struct {
	scheme string
	auth   []byte
}

type options struct {
	sessionTimeout time.Duration
	retry          RetryPolicy
	namespace      string
	auth           []authInfo
	logger         *slog.Logger
	dialer         zk.Dialer
	acl            []zk.ACL
	tls            *tls.Config // WithTLS; wraps dialer in validate
}

// WithSessionTimeout sets the session timeout asked of the server (default
// 10s). The server clamps it to [2, 20] ticks. The client also reports Lost
// when it has been Suspended for this long.
func WithSessionTimeout(d time.Duration) Option {
	return func(o *options) { o.sessionTimeout = d }
}

// WithRetry sets the policy used to retry operations that fail with a
// connection loss (default DefaultRetry()).
func WithRetry(p RetryPolicy) Option {
	return func(o *options) { o.retry = p }
}

// WithNamespace makes every path relative to /ns (a chroot). The namespace
// node, and its parents, are created as persistent nodes on first use.
func WithNamespace(ns string) Option {
	return func(o *options) { o.namespace = ns }
}

// WithAuth adds credentials sent after every new connection, e.g.
// WithAuth("digest", []byte("user:password")). It may be given more than once.
func WithAuth(scheme string, auth []byte) Option {
	return func(o *options) {
		o.auth = append(o.auth, authInfo{scheme, append([]byte(nil), auth...)})
	}
}

// WithLogger sets the logger (default: discard). go-zookeeper/zk's own
// messages are logged at debug level.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithDialer sets how TCP connections to servers are made.
func WithDialer(d zk.Dialer) Option {
	return func(o *options) { o.dialer = d }
}

// WithDefaultACL sets the ACL used by creates that pass a nil ACL (default
// zk.WorldACL(zk.PermAll)).
func WithDefaultACL(acl []zk.ACL) Option {
	return func(o *options) { o.acl = append([]zk.ACL(nil), acl...) }
}

func (o *options) validate() error {
	if o.sessionTimeout <= 0 {
		return fmt.Errorf("%w: session timeout %v", ErrBadOption, o.sessionTimeout)
	}
	if o.retry == nil {
		return fmt.Errorf("%w: nil retry policy", ErrBadOption)
	}
	if o.namespace != "" {
		if err := validatePath("/" + o.namespace); err != nil || strings.HasSuffix(o.namespace, "/") {
			return fmt.Errorf("%w: namespace %q", ErrBadOption, o.namespace)
		}
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.dialer == nil {
		o.dialer = net.DialTimeout
	}
	if o.tls != nil {
		o.dialer = tlsDialer(o.dialer, o.tls)
	}
	if len(o.acl) == 0 {
		o.acl = zk.WorldACL(zk.PermAll)
	}
	return nil
}

// Client is a ZooKeeper client with Curator's connection states, retries,
// a namespace and helpers. It is safe for concurrent use. One Client keeps
// one session at a time and replaces it by itself when it is lost.
type Client struct {
	opts    options
	log     *slog.Logger
	servers []string
	ns      string // "/app" for namespace "app", "" for none

	closing   chan struct{}   // closed by Close
	bg        context.Context // cancelled by Close; for background work
	cancelBG  context.CancelFunc
	closeOnce sync.Once
	wg        sync.WaitGroup // every goroutine the client starts; Add under mu
	states    *notifier[State]
	router    router
	in        inbox
	// containers: 0 unknown, 1 server has container nodes, 2 it does not.
	containers atomic.Int32

	// mu guards the fields below. It is never held across I/O, a channel
	// send or a callback.
	mu      sync.Mutex
	rec     *connRecord
	sess    *Session
	state   State
	stateCh chan struct{} // closed and replaced at every state change
	closed  bool
	nsReady bool

	loop loopState // owned by the run goroutine
}

// loopState is the state machine's memory; only the run goroutine (and
// Connect, before run starts) touches it.
type loopState struct {
	state         State
	everConnected bool
	sessID        int64
	epoch         uint64
	timer         *time.Timer
	timerC        <-chan time.Time
}

// connRecord is one go-zookeeper/zk connection. go-zk reconnects and even
// starts new sessions by itself; the client replaces the whole record only
// when it abandons a session (Suspended for longer than the session timeout).
type connRecord struct {
	gen      uint64
	conn     *zk.Conn
	tracker  *connTracker
	ready    chan struct{} // closed by run once the first session is usable
	replaced chan struct{} // closed by run when a newer record takes over
	drained  chan struct{} // closed when go-zk has finished with the connection

	// owned by the run goroutine
	readyDone   bool
	authStarted bool
	authErr     error // written before ready is closed
}

// Connect dials servers and returns once a session is established (and
// authenticated, with WithAuth), or ctx ends.
func Connect(ctx context.Context, servers []string, opts ...Option) (*Client, error) {
	if len(servers) == 0 {
		return nil, fmt.Errorf("%w: no servers", ErrBadOption)
	}
	o := options{sessionTimeout: 10 * time.Second, retry: DefaultRetry()}
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	c := &Client{
		opts:    o,
		log:     o.logger,
		servers: append([]string(nil), servers...),
		closing: make(chan struct{}),
		states:  newNotifier[State](),
		stateCh: make(chan struct{}),
		in:      inbox{wake: make(chan struct{}, 1)},
	}
	c.bg, c.cancelBG = context.WithCancel(context.Background())
	c.router.subs = make(map[string]map[*Watcher]struct{})
	if o.namespace != "" {
		c.ns = "/" + o.namespace
	}
	c.sess = &Session{done: make(chan struct{})}
	rec, err := c.newRecord(1)
	if err != nil {
		return nil, err
	}
	c.rec = rec
	c.goTracked(c.run)
	c.goTracked(func() { c.states.run(c.closing, nil) })
	c.startDrain(rec)

	select {
	case <-rec.ready:
		if rec.authErr != nil {
			c.Close()
			return nil, fmt.Errorf("recipes: connect: %w", rec.authErr)
		}
		return c, nil
	case <-ctx.Done():
		c.Close()
		return nil, fmt.Errorf("recipes: connect: %w", ctx.Err())
	}
}

// newRecord starts a go-zk connection. zk.Connect does not block on the
// network; it starts go-zk's goroutines, which startDrain then owns.
func (c *Client) newRecord(gen uint64) (*connRecord, error) {
	rec := &connRecord{
		gen:      gen,
		tracker:  &connTracker{base: c.opts.dialer, conns: make(map[net.Conn]struct{})},
		ready:    make(chan struct{}),
		replaced: make(chan struct{}),
		drained:  make(chan struct{}),
	}
	conn, events, err := zk.Connect(c.servers, c.opts.sessionTimeout,
		zk.WithDialer(rec.tracker.dial),
		zk.WithLogger(zkLogger{c.log}),
		zk.WithLogInfo(false),
		zk.WithEventCallback(func(ev zk.Event) { c.onEvent(gen, ev) }),
	)
	if err != nil {
		return nil, fmt.Errorf("recipes: connect: %w", err)
	}
	rec.conn = conn
	go func() {
		// go-zk closes events when its loop has exited; the callback gets
		// every event, so these copies are discarded.
		for range events {
		}
		close(rec.drained)
	}()
	return rec, nil
}

// startDrain makes the client own rec's shutdown: Close waits for it.
func (c *Client) startDrain(rec *connRecord) {
	if !c.goTracked(func() { <-rec.drained }) {
		rec.shutdown()
		<-rec.drained
	}
}

// shutdown closes the go-zk connection and then any socket it still holds
// (go-zk may sit in a read with a long deadline while handshaking).
func (r *connRecord) shutdown() {
	r.conn.Close()
	r.tracker.closeAll()
}

// goTracked runs f on a goroutine that Close waits for. It returns false,
// without running f, once the client is closed.
func (c *Client) goTracked(f func()) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	c.wg.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.wg.Done()
		f()
	}()
	return true
}

// Close ends the session (its ephemeral nodes go away), stops every
// goroutine of the client and waits for them. Listeners are not called
// after Close returns; a listener must not call Close itself. Close is
// idempotent.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		rec := c.rec
		sess := c.sess
		c.mu.Unlock()
		close(c.closing)
		c.cancelBG()
		rec.shutdown()
		c.wg.Wait()
		sess.close()
		c.log.Debug("client closed")
	})
	return nil
}

func (s *Session) close() {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
}

// State returns the last reported connection state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Session returns the current session. After Lost it is the lost session
// (Done closed) until the new one is established.
func (c *Client) Session() *Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// Listen registers fn to be called with every state change, in order, on
// one goroutine shared by all listeners of this client. fn must not block
// for long and must not call Close. The returned function removes fn.
func (c *Client) Listen(fn func(State)) (remove func()) {
	return c.states.add(fn)
}

// Namespace returns the namespace given to WithNamespace.
func (c *Client) Namespace() string { return c.opts.namespace }

// SessionTimeout returns the session timeout the client asked for.
func (c *Client) SessionTimeout() time.Duration { return c.opts.sessionTimeout }

// stateChange returns the current state and a channel closed at the next
// change.
func (c *Client) stateChange() (State, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state, c.stateCh
}

func (c *Client) isClosed() bool {
	select {
	case <-c.closing:
		return true
	default:
		return false
	}
}

// onEvent is go-zk's event callback; it runs on go-zk's goroutines and must
// not block.
func (c *Client) onEvent(gen uint64, ev zk.Event) {
	if ev.Type == zk.EventSession {
		c.in.push(input{gen: gen, ev: ev})
		return
	}
	if ev.Path != "" {
		c.router.route(ev.Path)
	}
}

// input is what the run goroutine consumes: session events from go-zk, and
// the end of an authentication started for a new connection.
type input struct {
	gen     uint64
	ev      zk.Event
	auth    bool
	authErr error
}

type inbox struct {
	mu    sync.Mutex // guards items
	items []input
	wake  chan struct{} // capacity 1
}

func (b *inbox) push(in input) {
	b.mu.Lock()
	b.items = append(b.items, in)
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *inbox) take() []input {
	b.mu.Lock()
	defer b.mu.Unlock()
	items := b.items
	b.items = nil
	return items
}

// run is the state machine: the only writer of the connection state.
func (c *Client) run() {
	for {
		select {
		case <-c.closing:
			c.stopTimer()
			return
		case <-c.loop.timerC:
			c.loop.timer, c.loop.timerC = nil, nil
			c.abandonSession()
		case <-c.in.wake:
			for _, in := range c.in.take() {
				c.handle(in)
			}
		}
	}
}

func (c *Client) current() *connRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rec
}

func (c *Client) handle(in input) {
	rec := c.current()
	if in.gen != rec.gen {
		return // a replaced connection's late news
	}
	if in.auth {
		c.sessionUsable(rec, in.authErr)
		return
	}
	switch in.ev.State {
	case zk.StateHasSession:
		sid := rec.conn.SessionID()
		if c.loop.epoch > 0 && sid == c.loop.sessID {
			if c.loop.state == Suspended {
				c.stopTimer()
				c.report(Reconnected)
			}
			return
		}
		// A new session: the first one, one go-zk started after the
		// server expired ours, or the first of a replacement connection.
		if c.loop.epoch > 0 && c.loop.state != Lost {
			c.lose("server started a new session")
		}
		c.stopTimer()
		c.loop.sessID = sid
		c.loop.epoch++
		c.mu.Lock()
		c.sess = &Session{ID: sid, Epoch: c.loop.epoch, done: make(chan struct{})}
		c.mu.Unlock()
		if !rec.readyDone && len(c.opts.auth) > 0 {
			if !rec.authStarted {
				rec.authStarted = true
				c.goTracked(func() { c.authenticate(rec) })
			}
			return // reported when authentication ends
		}
		c.sessionUsable(rec, nil)
	case zk.StateDisconnected:
		if c.loop.state.IsConnected() {
			c.report(Suspended)
			c.startTimer()
		}
	case zk.StateExpired:
		if c.loop.epoch > 0 && c.loop.state != Lost {
			c.stopTimer()
			c.lose("server expired the session")
		}
	}
}

// sessionUsable reports a session that requests may now use.
func (c *Client) sessionUsable(rec *connRecord, authErr error) {
	if !rec.readyDone {
		rec.readyDone = true
		rec.authErr = authErr
		close(rec.ready)
	}
	if authErr != nil {
		c.log.Error("authentication failed", "err", authErr)
	}
	if !c.loop.everConnected {
		c.loop.everConnected = true
		c.report(Connected)
	} else {
		c.report(Reconnected)
	}
	if rec.conn.State() != zk.StateHasSession {
		// The connection dropped while we were authenticating; go-zk's
		// Disconnected event came before we reported, so report it now.
		c.report(Suspended)
		c.startTimer()
	}
}

// authenticate sends the WithAuth credentials on a new connection. go-zk
// remembers them and sends them again after every reconnect.
func (c *Client) authenticate(rec *connRecord) {
	var err error
	for _, a := range c.opts.auth {
		for {
			err = rec.conn.AddAuth(a.scheme, a.auth)
			if err == nil || !isRetryable(err) {
				break
			}
			select {
			case <-rec.replaced:
				return
			case <-c.closing:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
		if err != nil {
			break
		}
	}
	c.in.push(input{gen: rec.gen, auth: true, authErr: err})
}

func (c *Client) startTimer() {
	c.stopTimer()
	c.loop.timer = time.NewTimer(c.opts.sessionTimeout)
	c.loop.timerC = c.loop.timer.C
}

func (c *Client) stopTimer() {
	if c.loop.timer != nil {
		c.loop.timer.Stop()
		c.loop.timer, c.loop.timerC = nil, nil
	}
}

// lose reports Lost and ends the current session.
func (c *Client) lose(why string) {
	c.mu.Lock()
	sess := c.sess
	c.mu.Unlock()
	sess.close()
	c.log.Warn("session lost", "session", hexID(sess.ID), "why", why)
	c.report(Lost)
}

// abandonSession runs when the client has been Suspended for a whole
// session timeout. As Curator does, it reports Lost and stops using the old
// session: it closes the go-zk connection and dials a new one, whose
// session is reported as Reconnected.
func (c *Client) abandonSession() {
	if c.loop.state != Suspended {
		return
	}
	c.lose("suspended for longer than the session timeout")
	old := c.current()
	nr, err := c.newRecord(old.gen + 1)
	if err != nil {
		c.log.Error("cannot replace connection", "err", err)
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		nr.shutdown()
		<-nr.drained
		return
	}
	c.rec = nr
	c.mu.Unlock()
	close(old.replaced)
	c.startDrain(nr)
	if !c.goTracked(old.shutdown) {
		old.shutdown()
	}
}

// report publishes a state change: State, stateChange waiters, listeners.
func (c *Client) report(s State) {
	c.loop.state = s
	c.mu.Lock()
	c.state = s
	ch := c.stateCh
	c.stateCh = make(chan struct{})
	c.mu.Unlock()
	close(ch)
	c.log.Info("connection state", "state", s.String(), "session", hexID(c.loop.sessID), "epoch", c.loop.epoch)
	c.states.post(s)
}

func hexID(id int64) string { return fmt.Sprintf("0x%x", id) }

// zkLogger sends go-zk's log lines to slog at debug level.
type zkLogger struct{ l *slog.Logger }

func (z zkLogger) Printf(format string, args ...any) {
	z.l.Debug("zk: " + fmt.Sprintf(format, args...))
}

// connTracker remembers the sockets of one go-zk connection so they can be
// closed when the connection is abandoned.
type connTracker struct {
	base   zk.Dialer
	mu     sync.Mutex // guards conns and closed
	conns  map[net.Conn]struct{}
	closed bool
}

func (t *connTracker) dial(network, addr string, timeout time.Duration) (net.Conn, error) {
	nc, err := t.base(network, addr, timeout)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		nc.Close()
		return nil, ErrClosed
	}
	t.conns[nc] = struct{}{}
	t.mu.Unlock()
	return &trackedConn{Conn: nc, t: t}, nil
}

func (t *connTracker) closeAll() {
	t.mu.Lock()
	t.closed = true
	conns := make([]net.Conn, 0, len(t.conns))
	for nc := range t.conns {
		conns = append(conns, nc)
	}
	t.conns = map[net.Conn]struct{}{}
	t.mu.Unlock()
	for _, nc := range conns {
		nc.Close()
	}
}

type trackedConn struct {
	net.Conn
	t *connTracker
}

func (tc *trackedConn) Close() error {
	tc.t.mu.Lock()
	delete(tc.t.conns, tc.Conn)
	tc.t.mu.Unlock()
	return tc.Conn.Close()
}
