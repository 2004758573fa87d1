package lock_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/lock"
	"github.com/zkit-go/zkit/recipes"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
	zktesting "github.com/zkit-go/zkit/testing"
)

// kind is one lock type under the contract suite. make returns a new
// contender (its own value: contenders exclude each other) on client c.
type kind struct {
	name      string
	reentrant bool
	make      func(c *recipes.Client, path string) lock.Locker
	// queue is the directory under the lock path where waiters line up,
	// one node each, in arrival order.
	queue string
}

// semLocker adapts a one-lease Semaphore to Locker.
type semLocker struct {
	s *lock.Semaphore
	l *lock.Lease
}

func (s *semLocker) Lock(ctx context.Context) error {
	ls, err := s.s.Acquire(ctx, 1)
	if err != nil {
		return err
	}
	s.l = ls[0]
	return nil
}

func (s *semLocker) TryLock(ctx context.Context) (bool, error) {
	ls, ok, err := s.s.TryAcquire(ctx, 1)
	if ok {
		s.l = ls[0]
	}
	return ok, err
}

func (s *semLocker) Unlock(ctx context.Context) error {
	if s.l == nil {
		return lock.ErrNotLocked
	}
	err := s.l.Release(ctx)
	if err == nil {
		s.l = nil
	}
	return err
}

func (s *semLocker) Lost() <-chan struct{} { return s.l.Lost() }
func (s *semLocker) Token() int64          { return s.l.Token() }

var kinds = []kind{
	{"Mutex", true, func(c *recipes.Client, p string) lock.Locker { return lock.NewMutex(c, p) }, ""},
	{"RWMutexWriter", true, func(c *recipes.Client, p string) lock.Locker { return lock.NewRWMutex(c, p).Writer() }, ""},
	{"Semaphore1", false, func(c *recipes.Client, p string) lock.Locker { return &semLocker{s: lock.NewSemaphore(c, p, 1)} }, "/locks"},
	{"MultiLock", true, func(c *recipes.Client, p string) lock.Locker {
		return lock.NewMultiLock(lock.NewMutex(c, p+"/a"), lock.NewMutex(c, p+"/b"))
	}, "/a"},
}

// TestContract runs the same suite against every lock type.
func TestContract(t *testing.T) {
	env := rt.StartServer(t) // one server for the suite; each case has its own namespace
	cases := []struct {
		name string
		run  func(t *testing.T, env *rt.Env, k kind)
	}{
		{"MutualExclusion", testMutualExclusion},
		{"FIFO", testFIFO},
		{"Cancel", testCancel},
		{"TryLock", testTryLock},
		{"Reentrant", testReentrant},
		{"CreateReplyLost", testCreateReplyLost},
		{"CancelDuringLostCreate", testCancelDuringLostCreate},
		{"SessionExpiredWhileHolding", testSessionExpired},
		{"ServerStoppedMidWait", testServerStopped},
		{"EnsembleMemberStoppedMidWait", testEnsembleMemberStopped},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) { tc.run(t, env, k) })
			}
		})
	}
}

// suite gives a case its namespace, clients and the end-of-case check
// that no node is left behind.
type suite struct {
	t    *testing.T
	env  rt.Cluster
	ns   string
	obs  *recipes.Client // direct to the server, never faulted
	path string
}

func newSuite(t *testing.T, env rt.Cluster) *suite {
	s := &suite{t: t, env: env, ns: rt.Namespace("lock"), path: "/l"}
	s.obs = env.ObserverConnect(t, recipes.WithNamespace(s.ns))
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		// No node left behind: every ephemeral node under the namespace
		// is gone once the contenders are done.
		rt.Eventually(t, 20*time.Second, func() bool { return len(s.ephemerals()) == 0 },
			"ephemeral nodes left: %v", s.ephemerals())
	})
	return s
}

// client connects through the proxy.
func (s *suite) client(opts ...recipes.Option) *recipes.Client {
	return s.env.Connect(s.t, append([]recipes.Option{recipes.WithNamespace(s.ns)}, opts...)...)
}

// ephemerals lists every ephemeral node in the namespace.
func (s *suite) ephemerals() []string {
	var out []string
	var walk func(p string)
	walk = func(p string) {
		kids, _, err := s.obs.Children(context.Background(), p)
		if err != nil {
			return
		}
		for _, k := range kids {
			cp := recipes.JoinPath(p, k)
			if ok, st, err := s.obs.Exists(context.Background(), cp); err == nil && ok && st.EphemeralOwner != 0 {
				out = append(out, cp)
			}
			walk(cp)
		}
	}
	walk("/")
	return out
}

func (s *suite) count() int { return len(s.ephemerals()) }

// fence is a resource guarded by fencing tokens: it remembers the highest
// token it has seen and refuses writes carrying a lower one.
type fence struct {
	mu      sync.Mutex // guards highest and value
	highest int64
	value   []string
}

var errStaleToken = errors.New("fence: stale token")

func (f *fence) write(token int64, v string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if token < f.highest {
		return fmt.Errorf("%w: %d < %d", errStaleToken, token, f.highest)
	}
	f.highest = token
	f.value = append(f.value, v)
	return nil
}

func testMutualExclusion(t *testing.T, env *rt.Env, k kind) {
	s := newSuite(t, env)
	const clients, rounds = 4, 8
	ctx := rt.Ctx(t, 60*time.Second)
	_, err := s.obs.Create(ctx, "/counter", []byte("0"), 0, nil)
	require.NoError(t, err)
	var inside atomic.Int32
	var violations atomic.Int32
	var lastToken atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients*2)
	for i := 0; i < clients; i++ {
		c := s.client()
		for g := 0; g < 2; g++ { // two contenders share each client
			l := k.make(c, s.path)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := 0; r < rounds; r++ {
					if err := l.Lock(ctx); err != nil {
						errs <- err
						return
					}
					if inside.Add(1) != 1 {
						violations.Add(1)
					}
					if tok := l.Token(); tok <= lastToken.Load() {
						violations.Add(1)
					} else {
						lastToken.Store(tok)
					}
					// Read-modify-write of a counter without a version
					// check: only exclusion keeps it exact.
					data, _, err := c.Get(ctx, "/counter")
					if err == nil {
						var n int
						fmt.Sscan(string(data), &n)
						_, err = c.Set(ctx, "/counter", []byte(fmt.Sprint(n+1)), -1)
					}
					inside.Add(-1)
					if err != nil {
						errs <- err
						return
					}
					if err := l.Unlock(ctx); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Zero(t, violations.Load(), "two holders at once, or a token that did not grow")
	data, _, err := s.obs.Get(ctx, "/counter")
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprint(clients*2*rounds), string(data))
}

func testFIFO(t *testing.T, env *rt.Env, k kind) {
	s := newSuite(t, env)
	ctx := rt.Ctx(t, 30*time.Second)
	c := s.client()
	holder := k.make(c, s.path)
	require.NoError(t, holder.Lock(ctx))
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	const waiters = 4
	queued := func() int {
		kids, _, err := s.obs.Children(ctx, s.path+k.queue)
		if err != nil {
			return 0
		}
		return len(kids)
	}
	for i := 0; i < waiters; i++ {
		before := queued()
		l := k.make(s.client(), s.path)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !assert.NoError(t, l.Lock(ctx)) {
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			assert.NoError(t, l.Unlock(ctx))
		}()
		// Queue the next one only once this one stands in line.
		rt.Eventually(t, 10*time.Second, func() bool { return queued() > before }, "waiter %d queued", i)
	}
	require.NoError(t, holder.Unlock(ctx))
	wg.Wait()
	assert.Equal(t, []int{0, 1, 2, 3}, order)
}

func testCancel(t *testing.T, env *rt.Env, k kind) {
	s := newSuite(t, env)
	ctx := rt.Ctx(t, 30*time.Second)
	holder := k.make(s.client(), s.path)
	require.NoError(t, holder.Lock(ctx))
	held := s.count()
	waiter := k.make(s.client(), s.path)
	wctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- waiter.Lock(wctx) }()
	rt.Eventually(t, 10*time.Second, func() bool { return s.count() > held }, "waiter queued")
	cancel()
	err := rt.Receive(t, 10*time.Second, errc, "cancelled Lock returns")
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, held, s.count(), "the cancelled waiter's node is gone when Lock returns")
	require.NoError(t, holder.Unlock(ctx))
	other := k.make(s.client(), s.path)
	require.NoError(t, other.Lock(ctx))
	require.NoError(t, other.Unlock(ctx))
	assert.ErrorIs(t, other.Unlock(ctx), lock.ErrNotLocked)
}

func testTryLock(t *testing.T, env *rt.Env, k kind) {
	s := newSuite(t, env)
	ctx := rt.Ctx(t, 30*time.Second)
	a, b := k.make(s.client(), s.path), k.make(s.client(), s.path)
	ok, err := a.TryLock(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	held := s.count()
	ok, err = b.TryLock(ctx)
	require.NoError(t, err)
	assert.False(t, ok, "TryLock of a held lock")
	assert.Equal(t, held, s.count(), "a failed TryLock leaves no node")
	require.NoError(t, a.Unlock(ctx))
	ok, err = b.TryLock(ctx)
	require.NoError(t, err)
	assert.True(t, ok)
	require.NoError(t, b.Unlock(ctx))
}

func testReentrant(t *testing.T, env *rt.Env, k kind) {
	if !k.reentrant {
		t.Skipf("%s is not re-entrant", k.name)
	}
	s := newSuite(t, env)
	ctx := rt.Ctx(t, 30*time.Second)
	a, b := k.make(s.client(), s.path), k.make(s.client(), s.path)
	require.NoError(t, a.Lock(ctx))
	tok := a.Token()
	require.NoError(t, a.Lock(ctx))
	assert.Equal(t, tok, a.Token(), "re-entering keeps the hold")
	require.NoError(t, a.Unlock(ctx))
	ok, err := b.TryLock(ctx)
	require.NoError(t, err)
	assert.False(t, ok, "still held after one of two Unlocks")
	require.NoError(t, a.Unlock(ctx))
	ok, err = b.TryLock(ctx)
	require.NoError(t, err)
	assert.True(t, ok)
	require.NoError(t, b.Unlock(ctx))
}

const opCreate = 1

// The reply to our create is lost: the client finds its own protected node
// and holds the lock with exactly one node.
func testCreateReplyLost(t *testing.T, env *rt.Env, k kind) {
	s := newSuite(t, env)
	ctx := rt.Ctx(t, 30*time.Second)
	c := s.client()
	l := k.make(c, s.path)
	// Make the parents first, so the dropped create is a contender node.
	require.NoError(t, c.EnsurePath(ctx, s.path+"/a"))
	require.NoError(t, c.EnsurePath(ctx, s.path+"/locks"))
	env.Proxy.DropNextReply(opCreate)
	require.NoError(t, l.Lock(ctx))
	other := k.make(s.client(), s.path)
	ok, err := other.TryLock(ctx)
	require.NoError(t, err)
	assert.False(t, ok)
	nodes := s.ephemerals()
	require.NoError(t, l.Unlock(ctx))
	assert.NotEmpty(t, nodes)
	for _, n := range nodes {
		assert.Equal(t, 1, strings.Count(strings.Join(nodes, " "), n), "no duplicate contender")
	}
}

// ctx ends while the connection is down and the create's outcome unknown:
// Lock returns, and the node the create made is removed once the server is
// reachable again.
func testCancelDuringLostCreate(t *testing.T, env *rt.Env, k kind) {
	s := newSuite(t, env)
	ctx := rt.Ctx(t, 30*time.Second)
	c := s.client()
	require.NoError(t, c.EnsurePath(ctx, s.path+"/a"))
	require.NoError(t, c.EnsurePath(ctx, s.path+"/locks"))
	l := k.make(c, s.path)
	env.Proxy.DropNextReplyThenDown(opCreate)
	defer env.Proxy.SetDown(false)
	lctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- l.Lock(lctx) }()
	rt.Eventually(t, 10*time.Second, env.Proxy.Down, "create reply dropped")
	rt.Eventually(t, 10*time.Second, func() bool { return s.count() > 0 }, "create applied")
	cancel()
	require.ErrorIs(t, rt.Receive(t, 10*time.Second, errc, "Lock returns"), context.Canceled)
	env.Proxy.SetDown(false)
	// newSuite's cleanup checks that the node goes; also check someone
	// else can take the lock within a session timeout.
	other := k.make(s.client(), s.path)
	require.NoError(t, other.Lock(ctx))
	require.NoError(t, other.Unlock(ctx))
}

func testSessionExpired(t *testing.T, env *rt.Env, k kind) {
	s := newSuite(t, env)
	ctx := rt.Ctx(t, 30*time.Second)
	ca := s.client()
	a := k.make(ca, s.path)
	require.NoError(t, a.Lock(ctx))
	var f fence
	tokA := a.Token()
	require.NoError(t, f.write(tokA, "a1"))

	b := k.make(s.client(), s.path)
	got := make(chan error, 1)
	go func() { got <- b.Lock(ctx) }()

	env.ExpireSession(ca.Session().ID)
	rt.Receive(t, 20*time.Second, a.Lost(), "Lost closed after the session expired")
	require.NoError(t, rt.Receive(t, 20*time.Second, got, "another client gets the lock"))
	tokB := b.Token()
	assert.Greater(t, tokB, tokA, "tokens grow from holder to holder")
	require.NoError(t, f.write(tokB, "b1"))
	assert.ErrorIs(t, f.write(tokA, "a2"), errStaleToken, "the old holder is fenced off")
	assert.Equal(t, []string{"a1", "b1"}, f.value)

	if m, ok := a.(interface{ Lock(context.Context) error }); ok && k.reentrant {
		assert.ErrorIs(t, m.Lock(ctx), lock.ErrLost, "re-entering a lost lock")
	}
	require.NoError(t, a.Unlock(ctx), "unlocking a lost lock")
	require.NoError(t, b.Unlock(ctx))
}

// The server stops while one client holds and another waits, and comes
// back within the session timeout: the holder keeps the lock, the waiter
// gets it after the holder releases.
func testServerStopped(t *testing.T, env *rt.Env, k kind) {
	s := newSuite(t, env)
	ctx := rt.Ctx(t, 60*time.Second)
	timeout := rt.Scale(8 * time.Second)
	a := k.make(s.client(recipes.WithSessionTimeout(timeout)), s.path)
	require.NoError(t, a.Lock(ctx))
	held := s.count()
	b := k.make(s.client(recipes.WithSessionTimeout(timeout)), s.path)
	got := make(chan error, 1)
	go func() { got <- b.Lock(ctx) }()
	rt.Eventually(t, 10*time.Second, func() bool { return s.count() > held }, "waiter queued")

	env.Stop()
	env.Restart()

	select {
	case err := <-got:
		t.Fatalf("waiter got the lock while it was held: %v", err)
	default:
	}
	select {
	case <-a.Lost():
		t.Fatal("lock lost over a short server restart")
	default:
	}
	require.NoError(t, a.Unlock(ctx))
	require.NoError(t, rt.Receive(t, 20*time.Second, got, "waiter gets the lock"))
	require.NoError(t, b.Unlock(ctx))
}

// A member of a three-member ensemble stops while one client holds the
// lock and another waits, both on that member: the leader, or a follower.
// Both sessions move to another member; the holder keeps the lock, the
// waiter gets it only after the holder releases, and tokens still grow.
func testEnsembleMemberStopped(t *testing.T, _ *rt.Env, k kind) {
	rt.EachMemberFailure(t, func(t *testing.T, ens *rt.Ensemble, victim *zktesting.Member) {
		s := newSuite(t, ens)
		ctx := rt.Ctx(t, 60*time.Second)
		opts := []recipes.Option{recipes.WithNamespace(s.ns), recipes.WithSessionTimeout(rt.Scale(8 * time.Second))}
		ca, cb := ens.ConnectOn(t, victim, opts...), ens.ConnectOn(t, victim, opts...)
		a, b := k.make(ca, s.path), k.make(cb, s.path)
		require.NoError(t, a.Lock(ctx))
		tokA := a.Token()
		held := s.count()
		got := make(chan error, 1)
		go func() { got <- b.Lock(ctx) }()
		rt.Eventually(t, 10*time.Second, func() bool { return s.count() > held }, "waiter queued")

		victim.Stop()
		rt.WaitServed(t, ca, cb)
		select {
		case err := <-got:
			t.Fatalf("waiter got the lock while it was held: %v", err)
		case <-a.Lost():
			t.Fatal("lock lost when a member stopped")
		default:
		}
		require.NoError(t, a.Unlock(ctx))
		require.NoError(t, rt.Receive(t, 20*time.Second, got, "waiter gets the lock"))
		assert.Greater(t, b.Token(), tokA, "tokens grow across the failover")
		require.NoError(t, b.Unlock(ctx))
	})
}

// keep zk imported for opcodes documentation in tests that grow.
var _ = zk.FlagEphemeral
