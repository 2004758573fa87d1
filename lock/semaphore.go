package lock

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/zkit-go/zkit/recipes"
)

// Semaphore hands out up to max leases on a path among all its users,
// node-compatible with Curator's InterProcessSemaphoreV2: a mutex under
// path/locks admits one acquirer at a time, which creates its lease nodes
// ("lease-" ephemeral-sequential, protected) under path/leases and waits
// until there are no more than max of them. Every user of a path must
// agree on max.
//
// Unlike Curator, an acquirer keeps the mutex for all n of its leases, so
// two acquirers each holding part of what they want cannot wait for each
// other forever. Acquirers are served in arrival order.
type Semaphore struct {
	c      *recipes.Client
	path   string
	leases string
	max    int
	data   []byte
	gate   string // path/locks
}

// Lease is one unit of a Semaphore.
type Lease struct {
	s    *Semaphore
	turn chan struct{} // capacity 1: held while Release runs

	mu       sync.Mutex // guards h and released
	h        *hold
	released bool
}

// NewSemaphore returns a semaphore with max leases on path.
func NewSemaphore(c *recipes.Client, path string, max int, opts ...Option) *Semaphore {
	cfg := newConfig(opts)
	return &Semaphore{
		c:      c,
		path:   path,
		leases: recipes.JoinPath(path, "leases"),
		max:    max,
		data:   cfg.data,
		gate:   recipes.JoinPath(path, "locks"),
	}
}

// Acquire waits until it holds n leases, or ctx ends; it never holds some
// of them on return with an error (leases made are deleted, as Mutex.Lock
// does with its node).
func (s *Semaphore) Acquire(ctx context.Context, n int) ([]*Lease, error) {
	ls, _, err := s.acquire(ctx, n, false)
	return ls, err
}

// TryAcquire takes n leases if they are free now and nobody is queued
// ahead; ok reports whether it did.
func (s *Semaphore) TryAcquire(ctx context.Context, n int) ([]*Lease, bool, error) {
	return s.acquire(ctx, n, true)
}

func (s *Semaphore) acquire(ctx context.Context, n int, try bool) ([]*Lease, bool, error) {
	if n <= 0 || n > s.max || s.max <= 0 {
		return nil, false, fmt.Errorf("%w: %d of %d leases", ErrBadArgument, n, s.max)
	}
	if err := validate(s.path); err != nil {
		return nil, false, err
	}
	// The gate is a fresh Mutex per call: concurrent Acquires on one
	// Semaphore value must exclude each other, not re-enter.
	gate := NewMutex(s.c, s.gate)
	if try {
		ok, err := gate.TryLock(ctx)
		if err != nil || !ok {
			return nil, false, err
		}
	} else if err := gate.Lock(ctx); err != nil {
		return nil, false, err
	}
	defer gate.Unlock(context.WithoutCancel(ctx))
	q := &queue{c: s.c, dir: s.leases, prefix: "lease-", data: s.data}
	var got []*node
	fail := func(err error) ([]*Lease, bool, error) {
		for _, nd := range got {
			q.remove(ctx, nd)
		}
		return nil, false, err
	}
	for len(got) < n {
		nd, err := q.enqueue(ctx)
		if err != nil {
			return fail(err)
		}
		got = append(got, nd)
		ok, err := s.waitRoom(ctx, got, try)
		if errors.Is(err, errNodeGone) {
			// Our session ended: every lease made so far is gone with it.
			for _, nd := range got {
				q.bestEffortDelete(ctx, nd.path)
			}
			got = got[:0]
			if ctx.Err() != nil {
				return fail(ctx.Err())
			}
			continue
		}
		if err != nil || !ok {
			return fail(err)
		}
	}
	out := make([]*Lease, len(got))
	for i, nd := range got {
		out[i] = &Lease{s: s, h: startHold(s.c, nd), turn: make(chan struct{}, 1)}
	}
	return out, true, nil
}

// waitRoom waits until the leases directory holds no more than max
// nodes, ours included. Only the acquirer holding the gate watches it.
func (s *Semaphore) waitRoom(ctx context.Context, ours []*node, try bool) (bool, error) {
	sess := ours[0].sess
	for {
		select {
		case <-sess.Done():
			return false, errNodeGone
		default:
		}
		kids, _, ch, err := s.c.ChildrenW(ctx, s.leases)
		if err != nil {
			return false, fmt.Errorf("lock: list %s: %w", s.leases, err)
		}
		for _, nd := range ours {
			if indexOf(kids, nd.name) < 0 {
				return false, errNodeGone
			}
		}
		if len(kids) <= s.max {
			return true, nil
		}
		if try {
			return false, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false, ctx.Err()
		case <-sess.Done():
			return false, errNodeGone
		}
	}
}

// Release gives leases back (deleting their nodes). Leases already
// released are skipped. Errors are joined; a lease whose delete failed
// stays held and may be released again.
func (s *Semaphore) Release(ctx context.Context, leases ...*Lease) error {
	var errs []error
	for _, l := range leases {
		if err := l.Release(ctx); err != nil && !errors.Is(err, ErrNotLocked) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Release gives this lease back.
func (l *Lease) Release(ctx context.Context) error {
	select {
	case l.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-l.turn }()
	l.mu.Lock()
	h, released := l.h, l.released
	l.mu.Unlock()
	if released {
		return ErrNotLocked
	}
	lost := h.stop()
	err := l.s.c.Delete(ctx, h.n.path, -1)
	if err != nil && !isNoNode(err) && !lost {
		nh := startHold(l.s.c, h.n)
		l.mu.Lock()
		l.h = nh
		l.mu.Unlock()
		return fmt.Errorf("lock: release %s: %w", h.n.path, err)
	}
	l.mu.Lock()
	l.released = true
	l.mu.Unlock()
	return nil
}

// Lost is closed when the lease, while held, is lost (its session ended
// or its node was deleted by someone else). Release does not close it.
func (l *Lease) Lost() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.lost
}

// Token is the czxid of the lease node. With max 1 it is a fencing token
// as Mutex.Token is; with more leases it only orders leases.
func (l *Lease) Token() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.n.token
}

// Path is the lease node's path.
func (l *Lease) Path() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.n.path
}
