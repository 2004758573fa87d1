package counter

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/go-zookeeper/zk"
	"github.com/zkit-go/zkit/recipes"
)

// Locker is a distributed lock an AtomicLong can be promoted to when
// optimistic attempts keep losing races (Curator's PromotedToLock). Any
// lock whose holders exclude each other across all clients of the counter
// will do, such as zkit's lock package; Lock blocks until held or ctx
// ends.
type Locker interface {
	Lock(ctx context.Context) error
	Unlock(ctx context.Context) error
}

// AtomicValue is the outcome of an AtomicLong operation (Curator's
// AtomicValue). When Succeeded is false the operation was not applied and
// PreValue is the value last read.
type AtomicValue struct {
	Succeeded bool
	PreValue  int64
	PostValue int64
	// Attempts counts the optimistic writes tried, LockAttempts those
	// tried while holding the lock.
	Attempts, LockAttempts int
}

// AtomicOption configures an AtomicLong.
type AtomicOption func(*AtomicLong)

// WithOptimisticRetry sets how often and how fast an operation retries
// after losing a race (default: up to 10 retries from 10ms to 500ms).
func WithOptimisticRetry(p recipes.RetryPolicy) AtomicOption {
	return func(a *AtomicLong) { a.retry = p }
}

// WithLock promotes the counter to l once the optimistic retries are
// used up: the operation is then tried again while holding l, retrying
// with retry (nil: up to 50 retries from 5ms to 200ms). Writers that do
// not hold the lock can still win races meanwhile, hence the retries.
func WithLock(l Locker, retry recipes.RetryPolicy) AtomicOption {
	return func(a *AtomicLong) {
		a.lock, a.lockRetry = l, retry
		if retry == nil {
			a.lockRetry = recipes.ExponentialRetry(5*time.Millisecond, 200*time.Millisecond, 50, 0)
		}
	}
}

// AtomicLong is an int64 in a node, changed by optimistic compare-and-set
// on the node version with retries, and optionally under a lock when
// those fail (Curator's DistributedAtomicLong; the same data: 8 bytes,
// big-endian two's complement; a missing node reads as 0).
//
// It holds no watches or ephemeral nodes, so Suspended and Lost only
// delay operations (the recipes client waits and retries); a reply lost
// with the connection is handled as described at ErrUncertain.
type AtomicLong struct {
	c     *recipes.Client
	path  string
	retry recipes.RetryPolicy
	lock  Locker

	lockRetry recipes.RetryPolicy
}

// NewAtomicLong returns a counter at path. It does no I/O.
func NewAtomicLong(c *recipes.Client, path string, opts ...AtomicOption) *AtomicLong {
	a := &AtomicLong{c: c, path: path,
		retry: recipes.ExponentialRetry(10*time.Millisecond, 500*time.Millisecond, 10, 0)}
	for _, o := range opts {
		o(a)
	}
	return a
}

// Close releases nothing (the counter holds no resources) and exists for
// symmetry with the other recipes.
func (a *AtomicLong) Close(ctx context.Context) error { return nil }

// Get reads the value (0 if the node does not exist).
func (a *AtomicLong) Get(ctx context.Context) (int64, error) {
	v, _, err := a.read(ctx)
	return v, err
}

// Initialize creates the node with v if it does not exist; it reports
// whether it did.
func (a *AtomicLong) Initialize(ctx context.Context, v int64) (bool, error) {
	_, err := a.c.CreateWithParents(ctx, a.path, encode64(v), zk.FlagPersistent, nil)
	if errors.Is(err, zk.ErrNodeExists) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("counter: %w", err)
	}
	return true, nil
}

// Increment adds 1. Decrement subtracts 1. Add adds delta. Subtract
// subtracts delta. Each retries until it succeeds or the policy (and
// the lock, if any) give up; then Succeeded is false.
func (a *AtomicLong) Increment(ctx context.Context) (AtomicValue, error) { return a.Add(ctx, 1) }

// Decrement subtracts 1; see Increment.
func (a *AtomicLong) Decrement(ctx context.Context) (AtomicValue, error) { return a.Add(ctx, -1) }

// Subtract subtracts delta; see Increment.
func (a *AtomicLong) Subtract(ctx context.Context, delta int64) (AtomicValue, error) {
	return a.Add(ctx, -delta)
}

// Add adds delta; see Increment.
func (a *AtomicLong) Add(ctx context.Context, delta int64) (AtomicValue, error) {
	return a.modify(ctx, func(old int64) (int64, bool) { return old + delta, true })
}

// TrySet sets v, retrying like Add.
func (a *AtomicLong) TrySet(ctx context.Context, v int64) (AtomicValue, error) {
	return a.modify(ctx, func(int64) (int64, bool) { return v, true })
}

// CompareAndSet sets v if the value is expected; it does not retry when
// the value differs (Succeeded false, PreValue the value found).
func (a *AtomicLong) CompareAndSet(ctx context.Context, expected, v int64) (AtomicValue, error) {
	return a.modify(ctx, func(old int64) (int64, bool) { return v, old == expected })
}

// ForceSet writes v unconditionally.
func (a *AtomicLong) ForceSet(ctx context.Context, v int64) error {
	_, err := a.c.Set(ctx, a.path, encode64(v), -1)
	if errors.Is(err, zk.ErrNoNode) {
		_, err = a.c.CreateWithParents(ctx, a.path, encode64(v), zk.FlagPersistent, nil)
		if errors.Is(err, zk.ErrNodeExists) {
			_, err = a.c.Set(ctx, a.path, encode64(v), -1)
		}
	}
	if err != nil {
		return fmt.Errorf("counter: %w", err)
	}
	return nil
}

// read returns the value and the node version (-1: no node).
func (a *AtomicLong) read(ctx context.Context) (int64, int32, error) {
	data, st, err := a.c.Get(ctx, a.path)
	if errors.Is(err, zk.ErrNoNode) {
		return 0, -1, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("counter: %w", err)
	}
	v, err := decode64(data)
	return v, st.Version, err
}

// modify runs optimistic attempts, then, with a lock, locked attempts.
func (a *AtomicLong) modify(ctx context.Context, f func(int64) (int64, bool)) (AtomicValue, error) {
	var res AtomicValue
	done, err := a.attempts(ctx, f, a.retry, &res, &res.Attempts)
	if done || err != nil || a.lock == nil {
		return res, err
	}
	if err := a.lock.Lock(ctx); err != nil {
		return res, fmt.Errorf("counter: lock: %w", err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = a.lock.Unlock(uctx)
	}()
	_, err = a.attempts(ctx, f, a.lockRetry, &res, &res.LockAttempts)
	return res, err
}

// attempts tries f until it is applied, refused by f, or the retry
// policy stops. done reports that no further attempt is needed.
func (a *AtomicLong) attempts(ctx context.Context, f func(int64) (int64, bool), policy recipes.RetryPolicy, res *AtomicValue, count *int) (bool, error) {
	var b backoff.BackOff
	for {
		old, version, err := a.read(ctx)
		if err != nil {
			return true, err
		}
		res.PreValue = old
		v, ok := f(old)
		if !ok {
			return true, nil
		}
		*count++
		won, err := a.write(ctx, version, v)
		if err != nil {
			return true, err
		}
		if won {
			res.Succeeded, res.PostValue = true, v
			return true, nil
		}
		if b == nil {
			b = policy.NewBackOff()
		}
		wait := b.NextBackOff()
		if wait == backoff.Stop {
			return false, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return true, ctx.Err()
		case <-t.C:
		}
	}
}

// write sets v if the node is at version (creates it if version is -1).
// It reports false when another client got there first.
func (a *AtomicLong) write(ctx context.Context, version int32, v int64) (bool, error) {
	var err error
	if version < 0 {
		_, err = a.c.CreateWithParents(ctx, a.path, encode64(v), zk.FlagPersistent, nil)
	} else {
		_, err = a.c.Set(ctx, a.path, encode64(v), version)
	}
	if err == nil {
		return true, nil
	}
	lost := errors.Is(err, zk.ErrBadVersion) || errors.Is(err, zk.ErrNodeExists) || errors.Is(err, zk.ErrNoNode)
	if !lost {
		return false, fmt.Errorf("counter: %w", err)
	}
	if !errors.Is(err, recipes.ErrAmbiguous) {
		return false, nil
	}
	// A lost reply, then a changed node: the write may be the change, or
	// another client's write may be, and later writes hide which. Retrying
	// could apply the change twice, so say so instead.
	return false, fmt.Errorf("%w: %w", ErrUncertain, err)
}

func encode64(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

func decode64(b []byte) (int64, error) {
	if len(b) == 0 {
		return 0, nil // a node created without data, as Curator reads it
	}
	if len(b) != 8 {
		return 0, fmt.Errorf("%w: %d bytes", ErrBadData, len(b))
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}
