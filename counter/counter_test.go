package counter

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/recipes"
	"github.com/zkit-go/zkit/recipes/recipestest"
	zktesting "github.com/zkit-go/zkit/testing"
)

func TestMain(m *testing.M) { recipestest.Main(m) }

// lastSeen records what a SharedCount listener was told.
type lastSeen struct{ v atomic.Int64 }

func (l *lastSeen) listen(s *SharedCount) func() {
	l.v.Store(-1 << 40)
	return s.Listen(func(v VersionedValue) { l.v.Store(int64(v.Value)) })
}

func TestSharedCount(t *testing.T) {
	s := recipestest.StartServer(t)
	ctx := recipestest.Ctx(t, 30*time.Second)
	c1 := recipestest.Connect(t, s.DirectServers())
	c2 := recipestest.Connect(t, s.Servers())

	a := NewSharedCount(c1, "/counts/a", 7)
	require.ErrorIs(t, a.SetCount(ctx, 1), ErrNotStarted)
	require.NoError(t, a.Start(ctx))
	defer a.Close(context.Background())
	assert.Equal(t, int32(7), a.Count())
	b := NewSharedCount(c2, "/counts/a", 99) // the seed only applies to a new node
	require.NoError(t, b.Start(ctx))
	defer b.Close(context.Background())
	assert.Equal(t, int32(7), b.Count())

	var seen lastSeen
	defer seen.listen(b)()
	require.NoError(t, a.SetCount(ctx, 8))
	recipestest.Eventually(t, 10*time.Second, func() bool { return seen.v.Load() == 8 }, "listener saw %d", seen.v.Load())
	assert.Equal(t, int32(8), b.Count())

	// Compare-and-set: b's version is current, a stale one loses.
	stale := VersionedValue{Version: 0, Value: 7}
	ok, err := a.TrySetCount(ctx, stale, 100)
	require.NoError(t, err)
	assert.False(t, ok)
	ok, err = b.TrySetCount(ctx, b.Versioned(), 9)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, int32(9), b.Count())
	recipestest.Eventually(t, 10*time.Second, func() bool { return a.Count() == 9 }, "a saw %d", a.Count())

	// Curator's bytes.
	data, _, err := c1.Get(ctx, "/counts/a")
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 0, 0, 9}, data)

	// The watch survives b's session expiring, the connection going down
	// while the value changes, and the server restarting.
	recipestest.ExpireAndWait(t, s, c2)
	require.NoError(t, a.SetCount(ctx, 10))
	recipestest.Eventually(t, 10*time.Second, func() bool { return seen.v.Load() == 10 }, "after expiry: %d", seen.v.Load())

	s.Proxy.SetDown(true)
	require.NoError(t, a.SetCount(ctx, 11))
	s.Proxy.SetDown(false)
	recipestest.Eventually(t, 15*time.Second, func() bool { return seen.v.Load() == 11 }, "after outage: %d", seen.v.Load())

	s.Restart()
	require.NoError(t, a.SetCount(ctx, -12))
	recipestest.Eventually(t, 15*time.Second, func() bool { return b.Count() == -12 }, "after restart: %d", b.Count())

	_, err = c1.Set(ctx, "/counts/a", []byte("bad"), -1)
	require.NoError(t, err)
	ok, err = a.TrySetCount(ctx, VersionedValue{}, 1)
	assert.False(t, ok)
	require.ErrorIs(t, err, ErrBadData)
	require.NoError(t, a.Close(context.Background()))
	require.ErrorIs(t, a.SetCount(ctx, 1), ErrClosed)
}

func TestAtomicLongOps(t *testing.T) {
	s := recipestest.StartServer(t)
	ctx := recipestest.Ctx(t, 30*time.Second)
	c := recipestest.Connect(t, s.Servers())
	a := NewAtomicLong(c, "/atomic/ops")
	defer a.Close(context.Background())

	v, err := a.Get(ctx)
	require.NoError(t, err)
	assert.Zero(t, v)
	tests := []struct {
		name      string
		op        func() (AtomicValue, error)
		ok        bool
		pre, post int64
	}{
		{"increment creates", func() (AtomicValue, error) { return a.Increment(ctx) }, true, 0, 1},
		{"add", func() (AtomicValue, error) { return a.Add(ctx, 10) }, true, 1, 11},
		{"subtract", func() (AtomicValue, error) { return a.Subtract(ctx, 4) }, true, 11, 7},
		{"decrement", func() (AtomicValue, error) { return a.Decrement(ctx) }, true, 7, 6},
		{"cas miss", func() (AtomicValue, error) { return a.CompareAndSet(ctx, 5, 50) }, false, 6, 0},
		{"cas hit", func() (AtomicValue, error) { return a.CompareAndSet(ctx, 6, 60) }, true, 6, 60},
		{"try set", func() (AtomicValue, error) { return a.TrySet(ctx, -3) }, true, 60, -3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.op()
			require.NoError(t, err)
			assert.Equal(t, tt.ok, r.Succeeded)
			assert.Equal(t, tt.pre, r.PreValue)
			if tt.ok {
				assert.Equal(t, tt.post, r.PostValue)
			}
		})
	}
	require.NoError(t, a.ForceSet(ctx, 1<<40))
	data, _, err := c.Get(ctx, "/atomic/ops")
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 0, 1, 0, 0, 0, 0, 0}, data)
	made, err := a.Initialize(ctx, 5)
	require.NoError(t, err)
	assert.False(t, made)
	b := NewAtomicLong(c, "/atomic/new")
	made, err = b.Initialize(ctx, 5)
	require.NoError(t, err)
	assert.True(t, made)
	v, err = b.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(5), v)
}

// Increments from three clients while connections are cut, a session
// expires and the server restarts: no increment is lost or counted twice.
func TestAtomicLongContendedUnderFaults(t *testing.T) {
	s := recipestest.StartServer(t)
	var clients []*recipes.Client
	for range 3 {
		clients = append(clients, s.Connect(t))
	}
	contendedIncrements(t, clients, []func(){
		s.Proxy.CutAll,
		func() { recipestest.ExpireAndWait(t, s, clients[0]) },
		s.Restart,
		s.Proxy.CutAll,
	})
}

// On a three-member ensemble, the member all three incrementing clients
// are on stops (the leader, or a follower): no increment is lost or
// counted twice.
func TestAtomicLongEnsembleMemberStopped(t *testing.T) {
	recipestest.EachMemberFailure(t, func(t *testing.T, ens *recipestest.Ensemble, victim *zktesting.Member) {
		var clients []*recipes.Client
		for range 3 {
			clients = append(clients, ens.ConnectOn(t, victim))
		}
		contendedIncrements(t, clients, []func(){victim.Stop})
	})
}

// contendedIncrements increments one AtomicLong 15 times from each client
// and runs the faults one by one, evenly spread over the run. Every
// increment either succeeds with a value no other one got or is
// uncertain (ErrUncertain); the final value lies between the successes
// and the successes plus the uncertain ones.
func contendedIncrements(t *testing.T, clients []*recipes.Client, faults []func()) {
	ctx := recipestest.Ctx(t, 60*time.Second)
	const each = 15
	workers := len(clients)
	var (
		mu        sync.Mutex
		posts     = map[int64]bool{}
		uncertain int
		progress  atomic.Int64
		wg        sync.WaitGroup
	)
	for _, c := range clients {
		a := NewAtomicLong(c, "/atomic/hot", WithOptimisticRetry(
			recipes.ExponentialRetry(5*time.Millisecond, 100*time.Millisecond, 0, 0)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				r, err := a.Increment(ctx)
				mu.Lock()
				switch {
				case errors.Is(err, ErrUncertain):
					uncertain++
				case assert.NoError(t, err) && assert.True(t, r.Succeeded):
					assert.False(t, posts[r.PostValue], "two increments produced %d", r.PostValue)
					posts[r.PostValue] = true
				}
				mu.Unlock()
				progress.Add(1)
			}
		}()
	}
	for i, f := range faults {
		step := int64((i + 1) * workers * each / (len(faults) + 1))
		recipestest.Eventually(t, 30*time.Second, func() bool { return progress.Load() >= step }, "progress %v", recipestest.Lazy(func() string { return strconv.FormatInt(progress.Load(), 10) }))
		f()
	}
	wg.Wait()
	v, err := NewAtomicLong(clients[1], "/atomic/hot").Get(ctx)
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d increments succeeded, %d uncertain, value %d", len(posts), uncertain, v)
	assert.GreaterOrEqual(t, v, int64(len(posts)))
	assert.LessOrEqual(t, v, int64(len(posts)+uncertain))
	assert.Equal(t, workers*each, len(posts)+uncertain)
}

// memLock is a Locker for one process, counting its uses.
type memLock struct {
	ch    chan struct{}
	taken atomic.Int32
}

func (l *memLock) Lock(ctx context.Context) error {
	select {
	case l.ch <- struct{}{}:
		l.taken.Add(1)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *memLock) Unlock(context.Context) error {
	<-l.ch
	return nil
}

// With no optimistic retries, racing writers fall back to the lock and
// every increment succeeds.
func TestAtomicLongPromotedToLock(t *testing.T) {
	s := recipestest.StartServer(t)
	ctx := recipestest.Ctx(t, 30*time.Second)
	l := &memLock{ch: make(chan struct{}, 1)}
	const workers, each = 4, 10
	var wg sync.WaitGroup
	var locked atomic.Int32
	for range workers {
		c := recipestest.Connect(t, s.DirectServers())
		a := NewAtomicLong(c, "/atomic/locked", WithOptimisticRetry(recipes.NoRetry()), WithLock(l, nil))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				r, err := a.Increment(ctx)
				if assert.NoError(t, err) {
					assert.True(t, r.Succeeded)
					if r.LockAttempts > 0 {
						locked.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	c := recipestest.Connect(t, s.DirectServers())
	v, err := NewAtomicLong(c, "/atomic/locked").Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(workers*each), v)
	assert.Equal(t, locked.Load(), l.taken.Load())

	// A lock that cannot be had: the optimistic attempt lost, the
	// operation ends with the lock's error and did not apply.
	_, _, err = c.Get(ctx, "/atomic/locked")
	require.NoError(t, err)
	l.ch <- struct{}{} // hold it
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	a := NewAtomicLong(c, "/atomic/locked", WithOptimisticRetry(recipes.NoRetry()), WithLock(l, nil))
	_, err = c.Set(ctx, "/atomic/locked", encode64(1), -1)
	require.NoError(t, err)
	_ = zk.ErrBadVersion
	r, err := a.CompareAndSet(short, 1, 2) // wins without contention: no lock needed
	require.NoError(t, err)
	assert.True(t, r.Succeeded)
	assert.Zero(t, r.LockAttempts)
}
