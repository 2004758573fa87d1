package lock

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/zkit-go/zkit/recipes"
)

// Errors returned by this package.
var (
	// ErrNotLocked is returned by Unlock (and Release) on something not held.
	ErrNotLocked = errors.New("lock: not locked")
	// ErrLost is returned by a re-entrant Lock on a lock whose session was
	// lost while it was held (Lost is closed). Unlock it first.
	ErrLost = errors.New("lock: lock was lost")
	// ErrBadArgument is returned for an invalid count or path.
	ErrBadArgument = errors.New("lock: invalid argument")
)

// Locker is what every lock of this package does, so code (and the tests'
// contract suite) can treat them alike and MultiLock can combine them.
type Locker interface {
	// Lock waits until the lock is held or ctx ends.
	Lock(ctx context.Context) error
	// TryLock takes the lock only if it is free now.
	TryLock(ctx context.Context) (bool, error)
	// Unlock releases one level of a held lock.
	Unlock(ctx context.Context) error
	// Lost is closed when the lock, while held, is lost.
	Lost() <-chan struct{}
	// Token is the fencing token of the current hold (0 when not held).
	Token() int64
}

// Option configures a lock.
type Option func(*config)

type config struct {
	data []byte
}

// WithData stores data in our contender nodes (Curator stores the
// client's address by default; zkit stores nothing unless asked). The
// election package stores participant ids this way.
func WithData(data []byte) Option {
	return func(c *config) { c.data = append([]byte(nil), data...) }
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Mutex is a distributed, re-entrant mutual-exclusion lock on a path,
// node-compatible with Curator's InterProcessMutex. See the package
// documentation for the node layout and connection-state behaviour.
//
// Re-entrancy is per Mutex value: a value that holds the lock may Lock it
// again, and must Unlock as many times. Goroutines (or processes) that
// must exclude each other each use their own Mutex value, even on the same
// Client. Calls on one value are serialised.
type Mutex struct {
	q    queue
	turn chan struct{} // capacity 1: held while a Lock, TryLock or Unlock runs

	mu    sync.Mutex // guards count and h
	count int
	h     *hold
}

// NewMutex returns a mutex on path (the lock directory; its missing
// parents are created as container nodes on first use).
func NewMutex(c *recipes.Client, path string, opts ...Option) *Mutex {
	cfg := newConfig(opts)
	return newMutex(queue{c: c, dir: path, prefix: "lock-", data: cfg.data, rule: exclusive})
}

func newMutex(q queue) *Mutex {
	return &Mutex{q: q, turn: make(chan struct{}, 1)}
}

// Path returns the lock directory.
func (m *Mutex) Path() string { return m.q.dir }

func (m *Mutex) enter(ctx context.Context) error {
	select {
	case m.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *Mutex) leave() { <-m.turn }

// Lock waits until this value holds the lock, or ctx ends. If it fails for
// any reason, including ctx ending and a connection loss while creating
// our node, our node is removed before Lock returns (the removal may take
// up to about a session timeout longer than ctx while the server is
// unreachable; when the session ends the server removes it). If the
// session is lost while waiting, Lock queues again at the back.
func (m *Mutex) Lock(ctx context.Context) error {
	_, err := m.lock(ctx, false)
	return err
}

// TryLock takes the lock if it can be had without waiting for another
// holder, and reports whether it did. When it did not, our node is
// removed. ctx bounds the requests.
func (m *Mutex) TryLock(ctx context.Context) (bool, error) {
	return m.lock(ctx, true)
}

func (m *Mutex) lock(ctx context.Context, try bool) (bool, error) {
	if err := validate(m.q.dir); err != nil {
		return false, err
	}
	if err := m.enter(ctx); err != nil {
		return false, err
	}
	defer m.leave()
	m.mu.Lock()
	if m.count > 0 {
		if m.h.isLost() {
			m.mu.Unlock()
			return false, ErrLost
		}
		m.count++
		m.mu.Unlock()
		return true, nil
	}
	m.mu.Unlock()
	n, err := m.q.acquire(ctx, try)
	if err != nil || n == nil {
		return false, err
	}
	h := startHold(m.q.c, n)
	m.mu.Lock()
	m.count, m.h = 1, h
	m.mu.Unlock()
	return true, nil
}

// Unlock releases one level of the lock; the last one deletes our node.
// If the delete fails (ctx ended while the server was unreachable) Unlock
// returns the error and the lock stays held: call Unlock again, or close
// the Client (the session ends and the server deletes the node). Unlock of
// a lost lock deletes the node if it is still there and returns nil.
func (m *Mutex) Unlock(ctx context.Context) error {
	if err := m.enter(ctx); err != nil {
		return err
	}
	defer m.leave()
	m.mu.Lock()
	if m.count == 0 {
		m.mu.Unlock()
		return ErrNotLocked
	}
	if m.count > 1 {
		m.count--
		m.mu.Unlock()
		return nil
	}
	h := m.h
	m.mu.Unlock()
	lost := h.stop()
	err := m.q.c.Delete(ctx, h.n.path, -1)
	if err != nil && !isNoNode(err) && !lost {
		// Still ours: keep watching it.
		nh := startHold(m.q.c, h.n)
		m.mu.Lock()
		m.h = nh
		m.mu.Unlock()
		return fmt.Errorf("lock: unlock %s: %w", h.n.path, err)
	}
	m.mu.Lock()
	m.count, m.h = 0, nil
	m.mu.Unlock()
	return nil
}

// Lost returns a channel closed when the lock, while held, is lost: the
// session that owns our node ended (Lost was reported, or the Client was
// closed) or our node was deleted by someone else. Unlock does not close
// it. When the lock is not held, Lost returns a closed channel.
func (m *Mutex) Lost() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.h == nil {
		return closedChan
	}
	return m.h.lost
}

// Token returns the fencing token of the current hold: the creation zxid
// (czxid) of our lock node, which grows from one holder to the next
// because holders are served in creation order. Pass it to the resource
// the lock protects and have it refuse any token lower than the highest it
// has seen. 0 when not held.
func (m *Mutex) Token() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.h == nil {
		return 0
	}
	return m.h.n.token
}

// Held reports whether this value holds the lock (it may have been lost
// since; see Lost).
func (m *Mutex) Held() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.count > 0
}

// NodePath returns the path of our lock node while held, "" otherwise.
func (m *Mutex) NodePath() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.h == nil {
		return ""
	}
	return m.h.n.path
}

func (m *Mutex) heldSeq() (int64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.h == nil {
		return 0, false
	}
	return m.h.n.seq, true
}

var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

func validate(p string) error {
	if p == "" || p[0] != '/' || p == "/" {
		return fmt.Errorf("%w: lock path %q", ErrBadArgument, p)
	}
	return nil
}
