package lock

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/zkit-go/zkit/recipes"
)

// SyncLocker is a sync.Locker over a Mutex, for code that takes one (etcd's
// concurrency.NewLocker). sync.Locker's methods cannot fail or be
// cancelled, so:
//
//   - Lock blocks until the lock is held. Failed attempts (connection
//     loss, retries exhausted) are retried with backoff, without end; each
//     failure goes to the error function (see WithErrorFunc) and the
//     client's log. etcd's Locker panics on an error instead; zkit never
//     panics. Lock on a closed Client therefore never returns: a Locker
//     must not claim a lock it does not hold.
//   - Unlock releases, retrying until the node is deleted or its session
//     has ended (the server then deletes it). Unlock of an unlocked
//     SyncLocker reports ErrNotLocked to the error function and does
//     nothing else (sync.Mutex would crash the program).
//
// A SyncLocker is also a local mutex: goroutines sharing one value exclude
// each other as with sync.Mutex (the Mutex alone is re-entrant per value).
// Lost tells whether the lock was lost while held; nothing else can.
type SyncLocker struct {
	m       *Mutex
	local   chan struct{} // capacity 1: held from Lock to Unlock
	onError func(error)
}

// SyncLockerOption configures a SyncLocker.
type SyncLockerOption func(*SyncLocker)

// WithErrorFunc makes the SyncLocker call fn with every error it cannot
// return (failed attempts of Lock and Unlock). fn runs on the goroutine
// calling Lock or Unlock and must not call them.
func WithErrorFunc(fn func(error)) SyncLockerOption {
	return func(s *SyncLocker) { s.onError = fn }
}

var _ sync.Locker = (*SyncLocker)(nil)

// NewSyncLocker returns a sync.Locker for the lock at path, over a Mutex
// of its own (lock opts apply to it).
func NewSyncLocker(c *recipes.Client, path string, opts ...Option) *SyncLocker {
	return SyncLockerOf(NewMutex(c, path, opts...))
}

// SyncLockerOf returns a sync.Locker over m. Do not use m directly while
// the SyncLocker is in use.
func SyncLockerOf(m *Mutex, opts ...SyncLockerOption) *SyncLocker {
	s := &SyncLocker{m: m, local: make(chan struct{}, 1), onError: func(error) {}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Mutex returns the Mutex underneath (for Token, Lost, Revoked, Txn).
func (s *SyncLocker) Mutex() *Mutex { return s.m }

// Lost is closed when the lock, while held, is lost (see Mutex.Lost).
func (s *SyncLocker) Lost() <-chan struct{} { return s.m.Lost() }

// Lock takes the lock, waiting as long as it takes.
func (s *SyncLocker) Lock() {
	s.local <- struct{}{}
	b := 50 * time.Millisecond
	for {
		err := s.m.Lock(context.Background())
		if err == nil {
			return
		}
		s.report(err)
		time.Sleep(b) // a backoff between failed attempts; nothing to select on
		b = min(2*b, 5*time.Second)
	}
}

// Unlock releases the lock.
func (s *SyncLocker) Unlock() {
	select {
	case <-s.local:
	default:
		s.report(ErrNotLocked)
		return
	}
	b := 50 * time.Millisecond
	for {
		ctx, cancel := context.WithTimeout(context.Background(), s.m.q.c.SessionTimeout())
		err := s.m.Unlock(ctx)
		cancel()
		if err == nil || errors.Is(err, ErrNotLocked) {
			return
		}
		s.report(err)
		if errors.Is(err, recipes.ErrClosed) {
			return // the session is over, and our node with it
		}
		time.Sleep(b)
		b = min(2*b, 5*time.Second)
	}
}

func (s *SyncLocker) report(err error) {
	s.m.q.c.Logger().Warn("lock: sync locker", "path", s.m.Path(), "err", err)
	s.onError(err)
}
