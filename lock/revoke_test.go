package lock_test

import (
	"context"
	"errors"
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

// revokeAndTakeOver: b waits for the lock a holds, asks a to release, and
// gets it once a does.
func revokeAndTakeOver(t *testing.T, ctx context.Context, ca, cb *recipes.Client, a, b *lock.Mutex) {
	t.Helper()
	got := make(chan error, 1)
	go func() { got <- b.Lock(ctx) }()
	holder, err := lock.HolderNode(ctx, cb, b.Path())
	require.NoError(t, err)
	require.Equal(t, a.NodePath(), holder)
	require.NoError(t, lock.Revoke(ctx, cb, holder))
	rt.Receive(t, 10*time.Second, a.Revoked(), "holder hears the revocation request")
	select {
	case err := <-got:
		t.Fatalf("waiter got the lock before the holder released: %v", err)
	default:
	}
	require.NoError(t, a.Unlock(ctx))
	require.NoError(t, rt.Receive(t, 20*time.Second, got, "waiter gets the lock"))
	assert.Nil(t, a.Revoked(), "no hold, no channel")
	select {
	case <-b.Revoked():
		t.Fatal("a new hold starts unrevoked")
	default:
	}
	require.NoError(t, b.Unlock(ctx))
}

func TestRevoke(t *testing.T) {
	env := rt.StartServer(t)
	ns := recipes.WithNamespace(rt.Namespace("revoke"))
	ca, cb := env.Connect(t, ns), env.Connect(t, ns)
	ctx := rt.Ctx(t, 30*time.Second)

	a, b := lock.NewMutex(ca, "/l"), lock.NewMutex(cb, "/l")
	require.NoError(t, a.Lock(ctx))
	revokeAndTakeOver(t, ctx, ca, cb, a, b)

	// The write side of a read-write lock listens too.
	wa, wb := lock.NewRWMutex(ca, "/rw").Writer(), lock.NewRWMutex(cb, "/rw").Writer()
	require.NoError(t, wa.Lock(ctx))
	require.NoError(t, lock.Revoke(ctx, cb, wa.NodePath()))
	rt.Receive(t, 10*time.Second, wa.Revoked(), "writer hears the request")
	require.NoError(t, wa.Unlock(ctx))
	_ = wb

	// Revoking a node that is gone is no error; nobody holds: "".
	require.NoError(t, lock.Revoke(ctx, cb, "/l/none"))
	h, err := lock.HolderNode(ctx, cb, "/l")
	require.NoError(t, err)
	assert.Empty(t, h)
}

// Revocation still reaches the holder after the server restarts and after
// an ensemble member under both clients stops.
func TestRevokeServerRestart(t *testing.T) {
	env := rt.StartServer(t)
	ns := recipes.WithNamespace(rt.Namespace("revoke"))
	timeout := recipes.WithSessionTimeout(rt.Scale(8 * time.Second))
	ca, cb := env.Connect(t, ns, timeout), env.Connect(t, ns, timeout)
	ctx := rt.Ctx(t, 60*time.Second)
	a, b := lock.NewMutex(ca, "/l"), lock.NewMutex(cb, "/l")
	require.NoError(t, a.Lock(ctx))
	env.Stop()
	env.Restart()
	rt.WaitServed(t, ca, cb)
	revokeAndTakeOver(t, ctx, ca, cb, a, b)
}

func TestRevokeEnsembleMemberStopped(t *testing.T) {
	rt.EachMemberFailure(t, func(t *testing.T, ens *rt.Ensemble, victim *zktesting.Member) {
		opts := []recipes.Option{recipes.WithNamespace(rt.Namespace("revoke")), recipes.WithSessionTimeout(rt.Scale(8 * time.Second))}
		ca, cb := ens.ConnectOn(t, victim, opts...), ens.ConnectOn(t, victim, opts...)
		ctx := rt.Ctx(t, 60*time.Second)
		a, b := lock.NewMutex(ca, "/l"), lock.NewMutex(cb, "/l")
		require.NoError(t, a.Lock(ctx))
		victim.Stop()
		rt.WaitServed(t, ca, cb)
		revokeAndTakeOver(t, ctx, ca, cb, a, b)
	})
}

func TestTxn(t *testing.T) {
	env := rt.StartServer(t)
	ns := recipes.WithNamespace(rt.Namespace("txn"))
	ca, obs := env.Connect(t, ns), env.ObserverConnect(t, ns)
	ctx := rt.Ctx(t, 30*time.Second)
	a := lock.NewMutex(ca, "/l")

	_, err := a.Txn(ctx, &zk.CreateRequest{Path: "/x"})
	require.ErrorIs(t, err, lock.ErrNotLocked)

	require.NoError(t, a.Lock(ctx))
	res, err := a.Txn(ctx, &zk.CreateRequest{Path: "/x", Data: []byte("1")}, &zk.SetDataRequest{Path: "/x", Data: []byte("2"), Version: 0})
	require.NoError(t, err)
	require.Len(t, res, 2, "the guard's response is not returned")
	assert.Equal(t, "/x", res[0].String)
	data, _, err := obs.Get(ctx, "/x")
	require.NoError(t, err)
	assert.Equal(t, "2", string(data))

	// A failing op of ours is not a lost lock.
	_, err = a.Txn(ctx, &zk.CreateRequest{Path: "/x"})
	require.ErrorIs(t, err, zk.ErrNodeExists)
	assert.NotErrorIs(t, err, lock.ErrLost)
	_, err = a.Txn(ctx, &zk.SetDataRequest{Path: "/missing", Version: -1})
	require.ErrorIs(t, err, zk.ErrNoNode)
	assert.NotErrorIs(t, err, lock.ErrLost)

	// Someone deletes our node: the guarded write changes nothing, even
	// before Lost is closed.
	op, err := a.GuardOp()
	require.NoError(t, err)
	require.NoError(t, obs.Delete(ctx, op.Path, -1))
	_, err = a.Txn(ctx, &zk.CreateRequest{Path: "/y"})
	require.ErrorIs(t, err, lock.ErrLost)
	ok, _, err := obs.Exists(ctx, "/y")
	require.NoError(t, err)
	assert.False(t, ok, "guarded write made after the lock was lost")
	require.NoError(t, a.Unlock(ctx))
}

// The holder's session expires: its guarded writes fail, the new holder's
// succeed.
func TestTxnSessionExpired(t *testing.T) {
	env := rt.StartServer(t)
	ns := recipes.WithNamespace(rt.Namespace("txn"))
	ca, cb, obs := env.Connect(t, ns), env.Connect(t, ns), env.ObserverConnect(t, ns)
	ctx := rt.Ctx(t, 30*time.Second)
	a, b := lock.NewMutex(ca, "/l"), lock.NewMutex(cb, "/l")
	require.NoError(t, a.Lock(ctx))
	got := make(chan error, 1)
	go func() { got <- b.Lock(ctx) }()
	env.ExpireSession(ca.Session().ID)
	require.NoError(t, rt.Receive(t, 20*time.Second, got, "b takes over"))
	_, err := a.Txn(ctx, &zk.CreateRequest{Path: "/from-a"})
	require.ErrorIs(t, err, lock.ErrLost)
	_, err = b.Txn(ctx, &zk.CreateRequest{Path: "/from-b"})
	require.NoError(t, err)
	for p, want := range map[string]bool{"/from-a": false, "/from-b": true} {
		ok, _, err := obs.Exists(ctx, p)
		require.NoError(t, err)
		assert.Equal(t, want, ok, p)
	}
	require.NoError(t, a.Unlock(ctx))
	require.NoError(t, b.Unlock(ctx))
}

func TestTxnEnsembleMemberStopped(t *testing.T) {
	rt.EachMemberFailure(t, func(t *testing.T, ens *rt.Ensemble, victim *zktesting.Member) {
		ns := recipes.WithNamespace(rt.Namespace("txn"))
		ca := ens.ConnectOn(t, victim, ns, recipes.WithSessionTimeout(rt.Scale(8*time.Second)))
		obs := ens.ObserverConnect(t, ns)
		ctx := rt.Ctx(t, 60*time.Second)
		a := lock.NewMutex(ca, "/l")
		require.NoError(t, a.Lock(ctx))
		victim.Stop()
		rt.WaitServed(t, ca)
		_, err := a.Txn(ctx, &zk.CreateRequest{Path: "/after"})
		require.NoError(t, err, "the lock is still held after the failover")
		_, err = obs.Sync(ctx, "/after") // the observer's member may lag
		require.NoError(t, err)
		ok, _, err := obs.Exists(ctx, "/after")
		require.NoError(t, err)
		assert.True(t, ok)
		require.NoError(t, a.Unlock(ctx))
	})
}

func TestSyncLocker(t *testing.T) {
	env := rt.StartServer(t)
	ns := recipes.WithNamespace(rt.Namespace("synclocker"))
	var errs []error
	var errMu sync.Mutex
	onErr := lock.WithErrorFunc(func(err error) {
		errMu.Lock()
		errs = append(errs, err)
		errMu.Unlock()
	})
	// Two clients, one SyncLocker each, each shared by three goroutines:
	// exclusion holds within a process and across processes.
	var inside, violations, total atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		l := lock.SyncLockerOf(lock.NewMutex(env.Connect(t, ns), "/l"), onErr)
		var _ sync.Locker = l
		for g := 0; g < 3; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := 0; r < 5; r++ {
					l.Lock()
					if inside.Add(1) != 1 {
						violations.Add(1)
					}
					total.Add(1)
					inside.Add(-1)
					l.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	assert.Zero(t, violations.Load())
	assert.Equal(t, int32(30), total.Load())

	l := lock.NewSyncLocker(env.Connect(t, ns), "/l")
	l.Lock()
	assert.NotZero(t, l.Mutex().Token())
	l.Unlock()
	l2 := lock.SyncLockerOf(lock.NewMutex(env.Connect(t, ns), "/l"), onErr)
	l2.Unlock() // not locked: reported, not fatal
	errMu.Lock()
	defer errMu.Unlock()
	require.NotEmpty(t, errs)
	assert.True(t, errors.Is(errs[len(errs)-1], lock.ErrNotLocked))
}
