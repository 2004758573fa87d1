package lock

import (
	"context"
	"errors"
	"reflect"
	"sync"
)

// MultiLock holds several locks as one: Lock takes all of them or none.
// Locks are taken in the order given and released in reverse; code that
// takes overlapping sets must give them in the same order (sort by path)
// or it can deadlock until a ctx ends, as with any set of locks.
//
// It is re-entrant as its parts are. Lost is closed when any part is lost;
// Token is the largest token of the parts, which grows from one holder to
// the next because a holder takes its next part only after holding the
// previous ones.
type MultiLock struct {
	locks []Locker
	turn  chan struct{} // capacity 1: held while Lock, TryLock or Unlock runs

	mu    sync.Mutex // guards count, lost, stop, done
	count int
	lost  chan struct{}
	stop  chan struct{}
	done  chan struct{}
}

// NewMultiLock combines locks (at least one).
func NewMultiLock(locks ...Locker) *MultiLock {
	return &MultiLock{locks: append([]Locker(nil), locks...), turn: make(chan struct{}, 1)}
}

func (m *MultiLock) enter(ctx context.Context) error {
	select {
	case m.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Lock takes every lock, or none: on failure the ones taken are released.
func (m *MultiLock) Lock(ctx context.Context) error {
	_, err := m.lock(ctx, false)
	return err
}

// TryLock takes every lock if each is free now.
func (m *MultiLock) TryLock(ctx context.Context) (bool, error) {
	return m.lock(ctx, true)
}

func (m *MultiLock) lock(ctx context.Context, try bool) (bool, error) {
	if len(m.locks) == 0 {
		return false, ErrBadArgument
	}
	if err := m.enter(ctx); err != nil {
		return false, err
	}
	defer func() { <-m.turn }()
	for i, l := range m.locks {
		var err error
		ok := true
		if try {
			ok, err = l.TryLock(ctx)
		} else {
			err = l.Lock(ctx)
		}
		if err != nil || !ok {
			m.release(context.WithoutCancel(ctx), m.locks[:i])
			return false, err
		}
	}
	m.mu.Lock()
	m.count++
	if m.count == 1 {
		m.lost, m.stop, m.done = make(chan struct{}), make(chan struct{}), make(chan struct{})
		go m.watch(m.lost, m.stop, m.done)
	}
	m.mu.Unlock()
	return true, nil
}

// watch closes lost when any part's Lost closes.
func (m *MultiLock) watch(lost, stop, done chan struct{}) {
	defer close(done)
	cases := []reflect.SelectCase{{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(stop)}}
	for _, l := range m.locks {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(l.Lost())})
	}
	if i, _, _ := reflect.Select(cases); i > 0 {
		close(lost)
	}
}

func (m *MultiLock) release(ctx context.Context, locks []Locker) error {
	var errs []error
	for i := len(locks) - 1; i >= 0; i-- {
		if err := locks[i].Unlock(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Unlock releases one level of every lock, in reverse order. Errors are
// joined; see Mutex.Unlock for what a failed part means.
func (m *MultiLock) Unlock(ctx context.Context) error {
	if err := m.enter(ctx); err != nil {
		return err
	}
	defer func() { <-m.turn }()
	m.mu.Lock()
	if m.count == 0 {
		m.mu.Unlock()
		return ErrNotLocked
	}
	m.count--
	var stop, done chan struct{}
	if m.count == 0 {
		stop, done = m.stop, m.done
	}
	m.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	return m.release(ctx, m.locks)
}

// Lost is closed when any part is lost while held; a closed channel when
// not held.
func (m *MultiLock) Lost() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.count == 0 {
		return closedChan
	}
	return m.lost
}

// Token is the largest Token of the parts (0 when not held).
func (m *MultiLock) Token() int64 {
	m.mu.Lock()
	held := m.count > 0
	m.mu.Unlock()
	if !held {
		return 0
	}
	var max int64
	for _, l := range m.locks {
		if t := l.Token(); t > max {
			max = t
		}
	}
	return max
}
