package election

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkit-go/zkit/recipes"
)

// Latch takes part in a leader election on a path, node-compatible with
// Curator's LeaderLatch: each participant has an ephemeral-sequential
// protected node "latch-" holding its id; the first in line leads; each
// other participant watches only the node just ahead of it.
//
// Leadership and the connection:
//   - Suspended: with DropOnSuspend (default) leadership ends at once;
//     with KeepUntilLost it is kept.
//   - Reconnected, same session: our node is still in line; if it is
//     first, leadership comes back (DropOnSuspend) or simply continues.
//   - Lost: leadership ends at once. After the next Reconnected the latch
//     queues again with a new node (and deletes the old one if the server
//     has not yet).
//   - Our node deleted by someone else: leadership ends; the latch queues
//     again.
type Latch struct {
	c    *recipes.Client
	path string
	id   string
	cfg  config
	n    *notifier

	stop chan struct{} // closed by Close
	wake chan struct{} // capacity 1
	done chan struct{} // closed when run returns

	mu        sync.Mutex // guards the fields below
	started   bool
	closed    bool
	unlisten  func()
	leader    bool
	leaderCh  chan struct{} // closed while leader
	followCh  chan struct{} // closed while not leader
	suspended bool          // Suspended or Lost reported, no Reconnected since
	opCancel  context.CancelFunc
	node      *member // our node, for Close
	stale     []string
}

// member is our node in the election.
type member struct {
	path, name string
	sess       *recipes.Session
}

// NewLatch returns a latch for participant id on path. Call Start.
func NewLatch(c *recipes.Client, path, id string, opts ...Option) *Latch {
	l := &Latch{
		c: c, path: path, id: id, cfg: newConfig(opts),
		stop: make(chan struct{}), wake: make(chan struct{}, 1), done: make(chan struct{}),
		leaderCh: make(chan struct{}), followCh: make(chan struct{}),
	}
	close(l.followCh)
	return l
}

// Start joins the election. It returns at once; leadership is reported
// through Leader, IsLeader and listeners.
func (l *Latch) Start() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if l.started {
		return ErrStarted
	}
	if l.path == "" || l.path[0] != '/' || l.path == "/" {
		return fmt.Errorf("election: bad path %q", l.path)
	}
	l.started = true
	if l.n == nil { // Listen may have made it already
		l.n = newNotifier()
	}
	l.unlisten = l.c.Listen(l.onState)
	go l.run()
	return nil
}

// ID returns this participant's id.
func (l *Latch) ID() string { return l.id }

// IsLeader reports whether this latch leads now.
func (l *Latch) IsLeader() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.leader
}

// Leader returns a channel closed while this latch leads. While it does
// not, the channel is closed when it next becomes leader.
func (l *Latch) Leader() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.leaderCh
}

// NotLeader returns a channel closed while this latch does not lead.
// While it leads, the channel is closed when leadership ends: select on
// it to stop leader-only work.
func (l *Latch) NotLeader() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.followCh
}

// Await waits until this latch leads, ctx ends, or the latch is closed.
func (l *Latch) Await(ctx context.Context) error {
	select {
	case <-l.Leader():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-l.stop:
		return ErrClosed
	}
}

// Listen calls fn with true when this latch becomes leader and false when
// it stops being leader, in order, on one goroutine of the latch. fn must
// not block for long and must not call Close. Listeners added before Start
// see every change. The returned function removes fn.
func (l *Latch) Listen(fn func(leader bool)) (remove func()) {
	l.mu.Lock()
	if l.n == nil {
		l.n = newNotifier()
	}
	n := l.n
	l.mu.Unlock()
	return n.add(fn)
}

// Participants lists every participant, leader first.
func (l *Latch) Participants(ctx context.Context) ([]Participant, error) {
	return participants(ctx, l.c, l.path)
}

// LeaderID returns the id of the current leader (as the nodes say: a
// leader that has just been Suspended may already have stopped acting).
func (l *Latch) LeaderID(ctx context.Context) (string, error) {
	return leaderID(ctx, l.c, l.path)
}

// Close leaves the election with the latch's CloseMode (WithCloseMode):
// leadership ends (with NotifyLeader, the default, listeners hear false;
// with Silent they hear nothing), the latch's goroutines stop, and our
// node is deleted so that the next participant takes over at once. ctx
// bounds the delete; if it cannot be done, the node goes when the session
// ends. Close is idempotent.
func (l *Latch) Close(ctx context.Context) error {
	return l.CloseWithMode(ctx, l.cfg.closeMode)
}

// CloseWithMode is Close with mode instead of the latch's CloseMode
// (Curator's close(CloseMode)).
func (l *Latch) CloseWithMode(ctx context.Context, mode CloseMode) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	if mode == Silent && l.n != nil {
		l.n.silence() // before leadership is dropped below, as Curator
	}
	started := l.started
	if l.opCancel != nil {
		l.opCancel()
	}
	unlisten := l.unlisten
	l.mu.Unlock()
	close(l.stop)
	if !started {
		if l.n != nil {
			l.n.close()
		}
		return nil
	}
	unlisten()
	<-l.done
	l.mu.Lock()
	nd, stale := l.node, l.stale
	l.node, l.stale = nil, nil
	l.mu.Unlock()
	var err error
	if nd != nil {
		err = deleteNode(ctx, l.c, nd.path)
	}
	for _, p := range stale {
		_ = deleteNode(ctx, l.c, p)
	}
	l.n.close()
	return err
}

func deleteNode(ctx context.Context, c *recipes.Client, p string) error {
	err := c.Delete(ctx, p, -1)
	if err == nil || errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	return fmt.Errorf("election: delete %s: %w", p, err)
}

// onState is the client's state listener: leadership is dropped right
// here, without waiting for the run goroutine, and run is woken.
func (l *Latch) onState(s recipes.State) {
	l.mu.Lock()
	switch s {
	case recipes.Suspended:
		l.suspended = true
		if l.cfg.policy == DropOnSuspend {
			l.setLeaderLocked(false)
		}
	case recipes.Lost:
		l.suspended = true
		l.setLeaderLocked(false)
	case recipes.Connected, recipes.Reconnected:
		l.suspended = false
	}
	if l.opCancel != nil {
		l.opCancel()
	}
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// setLeaderLocked changes leadership and queues the listeners' call.
// Caller holds mu.
func (l *Latch) setLeaderLocked(v bool) {
	if l.leader == v {
		return
	}
	l.leader = v
	if v {
		close(l.leaderCh)
		l.followCh = make(chan struct{})
	} else {
		close(l.followCh)
		l.leaderCh = make(chan struct{})
	}
	l.n.post(v)
}

func (l *Latch) setLeader(v bool) {
	l.mu.Lock()
	l.setLeaderLocked(v)
	l.mu.Unlock()
}

// becomeLeader takes leadership unless the client was Suspended (or Lost)
// since run looked, or our session is over.
func (l *Latch) becomeLeader(m *member) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.suspended || l.closed || isDone(m.sess.Done()) {
		return false
	}
	l.setLeaderLocked(true)
	return true
}

func isDone(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// opContext is a context for one step of run, cancelled by Close and by
// every state change.
func (l *Latch) opContext() (context.Context, context.CancelFunc, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, nil, false
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.opCancel = cancel
	return ctx, cancel, true
}

// run is the latch's loop: it queues, finds its place, watches one node,
// and reacts to state changes.
func (l *Latch) run() {
	defer close(l.done)
	defer l.setLeader(false)
	backoff := 50 * time.Millisecond
	for {
		ctx, cancel, ok := l.opContext()
		if !ok {
			return
		}
		wait, err := l.step(ctx)
		if err != nil && ctx.Err() == nil {
			wait = time.After(backoff)
			if backoff < 2*time.Second {
				backoff *= 2
			}
		} else if err == nil {
			backoff = 50 * time.Millisecond
		}
		if wait != nil {
			select {
			case <-wait:
			case <-l.wake:
			case <-l.stop:
			case <-l.sessDone():
			}
		}
		cancel()
	}
}

func (l *Latch) sessDone() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.node == nil {
		return nil
	}
	return l.node.sess.Done()
}

// step does one round and returns what to wait for before the next
// (nil: go on at once).
func (l *Latch) step(ctx context.Context) (<-chan time.Time, error) {
	l.mu.Lock()
	m, stale, suspended := l.node, l.stale, l.suspended
	l.mu.Unlock()
	if m != nil && isDone(m.sess.Done()) {
		l.mu.Lock()
		l.setLeaderLocked(false)
		l.node = nil
		l.stale = append(l.stale, m.path)
		l.mu.Unlock()
		return nil, nil
	}
	if suspended || !l.c.State().IsConnected() {
		return make(chan time.Time), nil // until a state change
	}
	for _, p := range stale {
		if err := deleteNode(ctx, l.c, p); err != nil {
			return nil, err
		}
		l.mu.Lock()
		l.stale = l.stale[1:]
		l.mu.Unlock()
	}
	if m == nil {
		nm, err := l.join(ctx)
		if err != nil {
			return nil, err
		}
		l.mu.Lock()
		l.node = nm
		l.mu.Unlock()
		m = nm
	}
	kids, _, err := l.c.Children(ctx, l.path)
	if err != nil {
		return nil, err
	}
	sorted := sortContenders(kids)
	i := -1
	for j, k := range sorted {
		if k == m.name {
			i = j
		}
	}
	var watch string
	switch {
	case i < 0:
		// Deleted under us, or our session ended: queue again.
		l.mu.Lock()
		l.setLeaderLocked(false)
		l.node = nil
		l.mu.Unlock()
		return nil, nil
	case i == 0:
		if !l.becomeLeader(m) {
			return nil, nil
		}
		watch = m.path // to learn if our node is deleted
	default:
		l.setLeader(false)
		watch = recipes.JoinPath(l.path, sorted[i-1])
	}
	ok, _, ch, err := l.c.ExistsW(ctx, watch)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, nil
	}
	out := make(chan time.Time, 1)
	go func() {
		select {
		case <-ch:
			out <- time.Time{}
		case <-ctx.Done():
		}
	}()
	return out, nil
}

// join creates our node and checks it belongs to the current session.
func (l *Latch) join(ctx context.Context) (*member, error) {
	for {
		p, err := l.c.CreateProtected(ctx, recipes.JoinPath(l.path, "latch-"), []byte(l.id), zk.FlagEphemeralSequential, nil)
		if err != nil {
			return nil, fmt.Errorf("election: join %s: %w", l.path, err)
		}
		ok, st, err := l.c.Exists(ctx, p)
		if err != nil {
			l.mu.Lock()
			l.stale = append(l.stale, p)
			l.mu.Unlock()
			return nil, err
		}
		sess := l.c.Session()
		if ok && st.EphemeralOwner == sess.ID {
			_, name := recipes.SplitPath(p)
			return &member{path: p, name: name, sess: sess}, nil
		}
		if ok {
			_ = deleteNode(ctx, l.c, p)
		}
	}
}
