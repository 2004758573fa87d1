package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
)

// State is the client state shown in the prompt, named as Java's
// ZooKeeper.States.
type State int

// Client states.
const (
	StateConnecting State = iota
	StateConnected
	StateConnectedReadOnly
	StateClosed
	StateAuthFailed
)

func (s State) String() string {
	switch s {
	case StateConnecting:
		return "CONNECTING"
	case StateConnected:
		return "CONNECTED"
	case StateConnectedReadOnly:
		return "CONNECTEDREADONLY"
	case StateClosed:
		return "CLOSED"
	case StateAuthFailed:
		return "AUTH_FAILED"
	}
	return "NOT_CONNECTED"
}

// alive is States.isAlive: everything but CLOSED and AUTH_FAILED.
func (s State) alive() bool { return s != StateClosed && s != StateAuthFailed }

// errSessionDead is returned for a call on a closed or auth-failed session.
var errSessionDead = errors.New("cli: session closed")

// connectString is a parsed "host:port,host:port/chroot".
type connectString struct {
	hosts  []string
	chroot string // "" for none
}

// parseConnectString is ConnectStringParser: the chroot starts at the
// first '/', a lone "/" means none, and a host without a port gets 2181.
func parseConnectString(s string) (connectString, error) {
	var cs connectString
	hosts := s
	if i := strings.IndexByte(s, '/'); i >= 0 {
		hosts = s[:i]
		if chroot := s[i:]; len(chroot) > 1 {
			if err := validatePath(chroot); err != nil {
				return cs, err
			}
			cs.chroot = chroot
		}
	}
	for _, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(strings.Trim(h, "[]"), "2181")
		}
		cs.hosts = append(cs.hosts, h)
	}
	if len(cs.hosts) == 0 {
		return cs, errors.New("A HostProvider may not be empty!")
	}
	return cs, nil
}

type authInfo struct {
	scheme string
	auth   []byte
}

// watchSet is the client's record of its watches by client path, as
// Java's ZKWatchManager keeps it: what to re-register after a reconnect
// and which notifications to deliver.
type watchSet struct {
	data, exist, child, persistent, recursive map[string]bool
}

func newWatchSet() watchSet {
	return watchSet{data: map[string]bool{}, exist: map[string]bool{}, child: map[string]bool{},
		persistent: map[string]bool{}, recursive: map[string]bool{}}
}

// materialize consumes the watches an event triggers and reports whether
// any did (ZKWatchManager.materialize; every watch here belongs to the
// one default watcher, so "any" is all that matters).
func (w *watchSet) materialize(ev Event) bool {
	take := func(m map[string]bool) bool {
		ok := m[ev.Path]
		delete(m, ev.Path)
		return ok
	}
	recursive := func() bool {
		for p := ev.Path; ; p = parentPath(p) {
			if w.recursive[p] {
				return true
			}
			if p == "/" || p == "" {
				return false
			}
		}
	}
	hit := false
	switch ev.Type {
	case proto.EventNone:
		return true
	case proto.EventNodeDataChanged, proto.EventNodeCreated:
		hit = take(w.data)
		hit = take(w.exist) || hit
		hit = w.persistent[ev.Path] || recursive() || hit
	case proto.EventNodeChildrenChanged:
		hit = take(w.child)
		hit = w.persistent[ev.Path] || hit
	case proto.EventNodeDeleted:
		hit = take(w.data)
		hit = take(w.exist) || hit
		hit = take(w.child) || hit
		hit = w.persistent[ev.Path] || recursive() || hit
	default:
		hit = true
	}
	return hit
}

func (w *watchSet) empty() bool {
	return len(w.data)+len(w.exist)+len(w.child)+len(w.persistent)+len(w.recursive) == 0
}

func parentPath(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

func keys(m map[string]bool, prefix func(string) string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, prefix(k))
	}
	sort.Strings(out)
	return out
}

// session is a ZooKeeper client handle over client.Conn that does what
// Java's ZooKeeper class does for zkCli: it connects in the background,
// reconnects to the same session after a connection loss (re-sending
// auth and re-registering watches), applies the chroot, and reports
// session and watch events to onEvent in order from one goroutine.
//
// Lock order: mu only; never held across I/O or a call to onEvent.
type session struct {
	cs       connectString
	timeout  time.Duration
	readOnly bool
	onEvent  func(Event)
	tls      *tls.Config // set before start; nil: plaintext

	startOnce sync.Once
	stop      chan struct{}      // closed by close to end the run loop
	flushReq  chan chan struct{} // flush requests, served by the run loop
	done      chan struct{}      // closed when the run loop has exited

	// mu guards everything below.
	mu        sync.Mutex
	state     State
	conn      *client.Conn
	changed   chan struct{} // closed and replaced on every state change and failed dial
	sessionID int64
	passwd    []byte
	lastZxid  int64
	watches   watchSet
	auths     []authInfo
	closed    bool
}

func newSession(cs connectString, timeout time.Duration, readOnly bool, onEvent func(Event)) *session {
	return &session{
		cs: cs, timeout: timeout, readOnly: readOnly, onEvent: onEvent,
		stop: make(chan struct{}), done: make(chan struct{}), flushReq: make(chan chan struct{}),
		changed: make(chan struct{}), watches: newWatchSet(),
	}
}

// start begins connecting (once); after close it does nothing.
func (s *session) start() {
	s.startOnce.Do(func() {
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			close(s.done)
			return
		}
		go s.run()
	})
}

// State returns the current client state.
func (s *session) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// SessionID returns the session id (0 before the first connection).
func (s *session) SessionID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessionID
}

// setState changes the state and wakes waiters; mu must be held.
func (s *session) setStateLocked(st State) {
	s.state = st
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *session) stopped() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

func (s *session) run() {
	defer close(s.done)
	hosts := append([]string(nil), s.cs.hosts...)
	rand.Shuffle(len(hosts), func(i, j int) { hosts[i], hosts[j] = hosts[j], hosts[i] })
	for attempt := 0; ; attempt++ {
		if s.stopped() {
			return
		}
		if attempt >= len(hosts) {
			// Java waits up to a second between rounds of failed attempts.
			select {
			case <-s.stop:
				return
			case <-time.After(time.Duration(rand.Int64N(int64(time.Second)))):
			}
		}
		conn, err := s.dial(hosts[attempt%len(hosts)])
		if err != nil {
			if errors.Is(err, proto.ErrSessionExpired) {
				s.expire()
				return
			}
			if errors.Is(err, proto.ErrAuthFailed) {
				s.authFailed()
				return
			}
			s.mu.Lock()
			s.setStateLocked(s.state) // a failed dial fails the calls waiting for a connection
			s.mu.Unlock()
			continue
		}
		attempt = -1
		s.serve(conn)
		s.mu.Lock()
		s.lastZxid = conn.LastZxid()
		s.conn = nil
		closed := s.closed
		if !closed {
			s.setStateLocked(StateConnecting)
		}
		s.mu.Unlock()
		if closed || s.stopped() {
			return
		}
		s.onEvent(Event{Type: proto.EventNone, State: proto.StateDisconnected, NoPath: true})
	}
}

// dial connects to addr, resuming the session if there is one, and
// restores its auth and watches.
func (s *session) dial(addr string) (*client.Conn, error) {
	s.mu.Lock()
	opts := []client.Option{client.WithSessionTimeout(s.timeout), client.WithReadOnly(s.readOnly)}
	if s.tls != nil {
		opts = append(opts, client.WithTLS(s.tls))
	}
	if s.sessionID != 0 {
		opts = append(opts, client.WithSession(s.sessionID, s.passwd), client.WithLastZxid(s.lastZxid))
	}
	auths := append([]authInfo(nil), s.auths...)
	var sw proto.SetWatches2
	if !s.watches.empty() {
		sp := s.serverPath
		sw = proto.SetWatches2{RelativeZxid: s.lastZxid,
			DataWatches: keys(s.watches.data, sp), ExistWatches: keys(s.watches.exist, sp),
			ChildWatches: keys(s.watches.child, sp), PersistentWatches: keys(s.watches.persistent, sp),
			PersistentRecursiveWatches: keys(s.watches.recursive, sp)}
	}
	hasWatches := !s.watches.empty()
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), s.timeout/time.Duration(len(s.cs.hosts)))
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	conn, err := client.Dial(ctx, addr, opts...)
	if err != nil {
		return nil, err
	}
	for _, a := range auths {
		if err := conn.AddAuth(ctx, a.scheme, a.auth); err != nil {
			conn.Drop()
			return nil, err
		}
	}
	if hasWatches {
		if err := conn.SetWatches2(ctx, sw); err != nil {
			conn.Drop()
			return nil, err
		}
	}
	return conn, nil
}

// serve publishes a new connection and delivers its events until it ends.
func (s *session) serve(conn *client.Conn) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		conn.Close()
		return
	}
	s.conn = conn
	s.sessionID, s.passwd = conn.SessionID(), conn.Passwd()
	st, evState := StateConnected, proto.StateSyncConnected
	if conn.ReadOnly() {
		st, evState = StateConnectedReadOnly, proto.StateConnectedReadOnly
	}
	s.setStateLocked(st)
	s.mu.Unlock()
	s.onEvent(Event{Type: proto.EventNone, State: evState, NoPath: true})
	events := conn.Events()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			s.deliver(ev)
		case done := <-s.flushReq:
			// Everything queued now arrived before the reply the shell
			// just got: deliver it before the shell goes on.
			for drained := false; !drained; {
				select {
				case ev, ok := <-events:
					if !ok {
						close(done)
						return
					}
					s.deliver(ev)
				default:
					drained = true
				}
			}
			close(done)
		}
	}
}

// deliver hands a notification to onEvent if a watch of ours wanted it.
func (s *session) deliver(ev client.Event) {
	if ev.Type == proto.EventNone {
		return // the connection's own end-of-connection event
	}
	e := Event{Type: ev.Type, State: ev.State, Path: s.clientPath(ev.Path)}
	s.mu.Lock()
	want := s.watches.materialize(e)
	s.mu.Unlock()
	if want {
		s.onEvent(e)
	}
}

// flush returns once every notification received so far has been
// delivered. ZooKeeper sends a watch's notification before the reply to
// the request that fired it, so after flush the events a command caused
// are printed: output order no longer depends on goroutine scheduling.
func (s *session) flush() {
	s.mu.Lock()
	conn := s.conn
	s.mu.Unlock()
	if conn == nil {
		return
	}
	done := make(chan struct{})
	select {
	case s.flushReq <- done:
		<-done
	case <-conn.Done():
	case <-s.stop:
	}
}

func (s *session) expire() {
	s.mu.Lock()
	s.watches = newWatchSet()
	s.setStateLocked(StateClosed)
	s.mu.Unlock()
	s.onEvent(Event{Type: proto.EventNone, State: proto.StateExpired, NoPath: true})
}

func (s *session) authFailed() {
	s.mu.Lock()
	s.setStateLocked(StateAuthFailed)
	s.mu.Unlock()
	s.onEvent(Event{Type: proto.EventNone, State: proto.StateAuthFailed, NoPath: true})
}

// close ends the session (closeSession if connected) and stops
// reconnecting; with event it reports state Closed as Java's close does.
func (s *session) close(event bool) { s.shut(event, false) }

// abandon stops the client without ending the session, which lives on
// at the server until it times out: what a Java client does when its
// process exits without close.
func (s *session) abandon() { s.shut(false, true) }

func (s *session) shut(event, drop bool) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	conn := s.conn
	wasAlive := s.state.alive()
	s.mu.Unlock()
	switch {
	case conn != nil && drop:
		conn.Drop()
	case conn != nil:
		_ = conn.Close()
	}
	close(s.stop)
	s.startOnce.Do(func() { close(s.done) }) // never started: no loop to wait for
	<-s.done
	s.mu.Lock()
	s.setStateLocked(StateClosed)
	s.mu.Unlock()
	if event && wasAlive {
		s.onEvent(Event{Type: proto.EventNone, State: proto.StateClosed, NoPath: true})
	}
}

// serverPath prepends the chroot (prependChroot).
func (s *session) serverPath(p string) string {
	if s.cs.chroot == "" {
		return p
	}
	if p == "/" {
		return s.cs.chroot
	}
	return s.cs.chroot + p
}

// clientPath strips the chroot from a path the server sent.
func (s *session) clientPath(p string) string {
	c := s.cs.chroot
	switch {
	case c == "":
		return p
	case p == c:
		return "/"
	case len(p) > len(c):
		return p[len(c):]
	}
	return p
}

// do runs f on the live connection, waiting for one while connecting. A
// connection lost before or during the call is proto.ErrConnectionLoss,
// as is a dial attempt that fails while f waits.
func (s *session) do(ctx context.Context, f func(*client.Conn) error) error {
	s.start()
	waited := false
	for {
		s.mu.Lock()
		st, conn, ch := s.state, s.conn, s.changed
		s.mu.Unlock()
		if !st.alive() {
			return errSessionDead
		}
		if conn != nil {
			err := f(conn)
			if errors.Is(err, client.ErrClosed) {
				return proto.ErrConnectionLoss
			}
			return err
		}
		if waited {
			return proto.ErrConnectionLoss
		}
		select {
		case <-ch:
			waited = true
			s.mu.Lock()
			if s.conn != nil || !s.state.alive() {
				waited = false
			}
			s.mu.Unlock()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// trackWatch records a watch the server accepted.
func (s *session) trackWatch(kind string, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[string]map[string]bool{"data": s.watches.data, "exist": s.watches.exist,
		"child": s.watches.child, "persistent": s.watches.persistent, "recursive": s.watches.recursive}[kind]
	m[path] = true
}

// addAuth remembers an identity for reconnects and sends it now if
// connected (Java's addAuthInfo: queued, fire and forget).
func (s *session) addAuth(ctx context.Context, scheme string, auth []byte) {
	s.mu.Lock()
	s.auths = append(s.auths, authInfo{scheme, append([]byte(nil), auth...)})
	conn := s.conn
	s.mu.Unlock()
	if conn == nil {
		return
	}
	if err := conn.AddAuth(ctx, scheme, auth); errors.Is(err, proto.ErrAuthFailed) {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.authFailed()
	}
}

// removeWatches removes watches of typ on path at the server (or only
// locally with local when there is no connection) and returns the event
// types of the client watches removed, as Java reports them.
func (s *session) removeWatches(ctx context.Context, path string, typ proto.WatcherType, local bool) ([]proto.EventType, error) {
	err := s.do(ctx, func(c *client.Conn) error { return c.RemoveWatches(ctx, s.serverPath(path), typ) })
	if err != nil && !(local && errors.Is(err, proto.ErrConnectionLoss)) {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := &s.watches
	var types []proto.EventType
	rm := func(ms ...map[string]bool) bool {
		hit := false
		for _, m := range ms {
			if m[path] {
				hit = true
				delete(m, path)
			}
		}
		return hit
	}
	switch typ {
	case proto.WatcherChildren:
		if rm(w.child) {
			types = append(types, proto.EventChildWatchRemoved)
		}
	case proto.WatcherData:
		if rm(w.data, w.exist) {
			types = append(types, proto.EventDataWatchRemoved)
		}
	default:
		if rm(w.child) {
			types = append(types, proto.EventChildWatchRemoved)
		}
		if rm(w.data, w.exist) {
			types = append(types, proto.EventDataWatchRemoved)
		}
		if rm(w.persistent, w.recursive) {
			types = append(types, proto.EventPersistentWatchRemoved)
		}
	}
	if err != nil && len(types) == 0 {
		return nil, proto.ErrNoWatcher
	}
	return types, nil
}

func (s *session) String() string {
	return fmt.Sprintf("session 0x%s", strconv.FormatInt(s.SessionID(), 16))
}
