package barrier

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/google/uuid"
	"github.com/zkit-go/zkit/recipes"
)

// Errors returned by this package.
var (
	// ErrClosed is returned by calls on a closed barrier and by calls
	// blocked when Close was called.
	ErrClosed = errors.New("barrier: closed")
	// ErrBadCount is returned by NewDoubleBarrier for a member count < 1.
	ErrBadCount = errors.New("barrier: member count must be at least 1")
	// ErrNotEntered is returned by Leave before a successful Enter.
	ErrNotEntered = errors.New("barrier: not entered")
)

// life is what both barriers share: Close wakes blocked calls and waits
// for them.
type life struct {
	closing chan struct{}

	mu     sync.Mutex // guards closed and ops
	closed bool
	ops    sync.WaitGroup
}

func newLife() life { return life{closing: make(chan struct{})} }

func (l *life) begin() (func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	l.ops.Add(1)
	return l.ops.Done, nil
}

// Close makes blocked and later calls return ErrClosed and waits for the
// calls in progress, or for ctx to end (then it returns ctx's error; the
// calls still end by themselves).
func (l *life) Close(ctx context.Context) error {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.closing)
	}
	l.mu.Unlock()
	done := make(chan struct{})
	go func() {
		l.ops.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("barrier: close: %w", ctx.Err())
	}
}

// wait blocks until ch fires, the session ends, ctx ends or Close.
func (l *life) wait(ctx context.Context, ch <-chan zk.Event, sess *recipes.Session) error {
	select {
	case <-ch:
		return nil
	case <-sess.Done():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-l.closing:
		return ErrClosed
	}
}

// Barrier blocks processes until it is removed (Curator's
// DistributedBarrier): Set raises it, Wait blocks while it is raised,
// Remove lowers it. The barrier is a persistent node, so it does not
// depend on any session: a process that sets it and crashes leaves it set.
//
// Suspended: Wait keeps waiting; its watch is re-registered on the same
// session by go-zookeeper/zk. Lost: Wait reads the node again on the new
// session and keeps waiting if it is still there.
type Barrier struct {
	life
	c    *recipes.Client
	path string
}

// NewBarrier returns a barrier at path. It does no I/O.
func NewBarrier(c *recipes.Client, path string) *Barrier {
	return &Barrier{life: newLife(), c: c, path: path}
}

// Set raises the barrier (creating path and its parents); raising a raised
// barrier is not an error.
func (b *Barrier) Set(ctx context.Context) error {
	end, err := b.begin()
	if err != nil {
		return err
	}
	defer end()
	_, err = b.c.CreateWithParents(ctx, b.path, nil, zk.FlagPersistent, nil)
	if err != nil && !errors.Is(err, zk.ErrNodeExists) {
		return fmt.Errorf("barrier: set: %w", err)
	}
	return nil
}

// Remove lowers the barrier; lowering a lowered barrier is not an error.
func (b *Barrier) Remove(ctx context.Context) error {
	end, err := b.begin()
	if err != nil {
		return err
	}
	defer end()
	if err := b.c.Delete(ctx, b.path, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("barrier: remove: %w", err)
	}
	return nil
}

// Wait blocks while the barrier is raised; it returns nil once it is not.
func (b *Barrier) Wait(ctx context.Context) error {
	end, err := b.begin()
	if err != nil {
		return err
	}
	defer end()
	for {
		sess := b.c.Session()
		ok, _, ch, err := b.c.ExistsW(ctx, b.path)
		if err != nil {
			return fmt.Errorf("barrier: wait: %w", err)
		}
		if !ok {
			return nil
		}
		if err := b.wait(ctx, ch, sess); err != nil {
			return err
		}
	}
}

// cleanupTimeout bounds removing our node after a failed Enter.
const cleanupTimeout = 10 * time.Second

// readyName is the node a DoubleBarrier creates when enough members have
// arrived, as in Curator.
const readyName = "ready"

// DoubleBarrier lets n members start a computation together and finish it
// together (Curator's DistributedDoubleBarrier; the same nodes). Each
// member is an ephemeral node <path>/<uuid>; when n are present one of them
// creates the persistent node <path>/ready and everyone enters. Leaving
// follows Curator's protocol: the lowest member waits for the highest to
// go, every other member deletes its node and waits for the lowest to go,
// so Leave returns once all members have left; the last ones delete ready.
//
// A member that crashes loses its node when its session expires. Before
// ready exists that makes the count smaller, so the others keep waiting
// for n live members; after everyone entered, a crashed member counts as
// having left.
//
// Suspended: Enter and Leave keep waiting (the node is probably still
// there). Lost: the member's node is gone. A member still in Enter creates
// it again on the new session; a member in Leave counts as having left.
// Use one DoubleBarrier per member and round.
type DoubleBarrier struct {
	life
	c    *recipes.Client
	path string
	n    int
	name string // our node's name

	mu      sync.Mutex // guards entered
	entered bool
}

// NewDoubleBarrier returns a member of a barrier of n members at path.
func NewDoubleBarrier(c *recipes.Client, path string, n int) (*DoubleBarrier, error) {
	if n < 1 {
		return nil, ErrBadCount
	}
	return &DoubleBarrier{life: newLife(), c: c, path: path, n: n, name: uuid.NewString()}, nil
}

func (d *DoubleBarrier) ourPath() string   { return recipes.JoinPath(d.path, d.name) }
func (d *DoubleBarrier) readyPath() string { return recipes.JoinPath(d.path, readyName) }

// Enter joins the barrier and blocks until n members have joined. If it
// fails (ctx ended, Close) it removes this member's node again.
func (d *DoubleBarrier) Enter(ctx context.Context) error {
	end, err := d.begin()
	if err != nil {
		return err
	}
	defer end()
	if err := d.enter(ctx); err != nil {
		d.cleanup()
		return err
	}
	d.mu.Lock()
	d.entered = true
	d.mu.Unlock()
	return nil
}

func (d *DoubleBarrier) enter(ctx context.Context) error {
	for {
		sess := d.c.Session()
		ready, _, ch, err := d.c.ExistsW(ctx, d.readyPath())
		if err != nil {
			return fmt.Errorf("barrier: enter: %w", err)
		}
		if err := d.ensureNode(ctx); err != nil {
			return err
		}
		if ready {
			return nil
		}
		names, _, err := d.c.Children(ctx, d.path)
		if err != nil {
			return fmt.Errorf("barrier: enter: %w", err)
		}
		if len(members(names)) >= d.n {
			_, err := d.c.Create(ctx, d.readyPath(), nil, zk.FlagPersistent, nil)
			if err != nil && !errors.Is(err, zk.ErrNodeExists) {
				return fmt.Errorf("barrier: enter: %w", err)
			}
			return nil
		}
		if err := d.wait(ctx, ch, sess); err != nil {
			return err
		}
	}
}

// ensureNode makes sure our ephemeral node exists and belongs to the
// current session (one left by an abandoned session is replaced).
func (d *DoubleBarrier) ensureNode(ctx context.Context) error {
	for {
		_, err := d.c.CreateWithParents(ctx, d.ourPath(), nil, zk.FlagEphemeral, nil)
		if err == nil {
			return nil
		}
		if !errors.Is(err, zk.ErrNodeExists) {
			return fmt.Errorf("barrier: enter: %w", err)
		}
		ok, st, err := d.c.Exists(ctx, d.ourPath())
		if err != nil {
			return fmt.Errorf("barrier: enter: %w", err)
		}
		if !ok {
			continue
		}
		if st.EphemeralOwner == d.c.Session().ID {
			return nil
		}
		if err := d.c.Delete(ctx, d.ourPath(), st.Version); err != nil && !errors.Is(err, zk.ErrNoNode) {
			return fmt.Errorf("barrier: enter: %w", err)
		}
	}
}

// cleanup removes our node after a failed Enter. While disconnected it
// does not wait: the node then goes when the session ends (if the same
// session comes back, it stays and counts as a member; close the client
// to be sure).
func (d *DoubleBarrier) cleanup() {
	if !d.c.State().IsConnected() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	_ = d.c.Delete(ctx, d.ourPath(), -1)
}

// Leave blocks until every member has left (or crashed).
func (d *DoubleBarrier) Leave(ctx context.Context) error {
	end, err := d.begin()
	if err != nil {
		return err
	}
	defer end()
	d.mu.Lock()
	entered := d.entered
	d.mu.Unlock()
	if !entered {
		return ErrNotEntered
	}
	for {
		sess := d.c.Session()
		names, _, err := d.c.Children(ctx, d.path)
		if err != nil && !errors.Is(err, zk.ErrNoNode) {
			return fmt.Errorf("barrier: leave: %w", err)
		}
		names = members(names)
		if len(names) == 0 {
			break
		}
		sort.Strings(names)
		ours := sort.SearchStrings(names, d.name)
		present := ours < len(names) && names[ours] == d.name
		var watch string
		switch {
		case present && len(names) == 1:
			if err := d.deleteOurs(ctx); err != nil {
				return err
			}
			continue
		case present && ours == 0:
			watch = names[len(names)-1] // the lowest waits for the highest
		default:
			if present {
				if err := d.deleteOurs(ctx); err != nil {
					return err
				}
			}
			watch = names[0] // the others wait for the lowest
		}
		ok, _, ch, err := d.c.ExistsW(ctx, recipes.JoinPath(d.path, watch))
		if err != nil {
			return fmt.Errorf("barrier: leave: %w", err)
		}
		if !ok {
			continue
		}
		if err := d.wait(ctx, ch, sess); err != nil {
			return err
		}
	}
	if err := d.c.Delete(ctx, d.readyPath(), -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("barrier: leave: %w", err)
	}
	d.mu.Lock()
	d.entered = false
	d.mu.Unlock()
	return nil
}

func (d *DoubleBarrier) deleteOurs(ctx context.Context) error {
	if err := d.c.Delete(ctx, d.ourPath(), -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("barrier: leave: %w", err)
	}
	return nil
}

// members drops the ready node from a child list.
func members(names []string) []string {
	out := names[:0:0]
	for _, n := range names {
		if n != readyName {
			out = append(out, n)
		}
	}
	return out
}
