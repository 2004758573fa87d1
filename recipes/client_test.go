package recipes_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/recipes"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

func TestOperations(t *testing.T) {
	s := rt.StartServer(t)
	c := rt.Connect(t, s.Servers(), recipes.WithNamespace("ops/ns"))
	ctx := rt.Ctx(t, 30*time.Second)
	assert.Equal(t, recipes.Connected, c.State())

	p, err := c.Create(ctx, "/a", []byte("1"), zk.FlagPersistent, nil)
	require.NoError(t, err)
	assert.Equal(t, "/a", p)

	data, st, err := c.Get(ctx, "/a")
	require.NoError(t, err)
	assert.Equal(t, []byte("1"), data)
	assert.Equal(t, int32(0), st.Version)

	_, err = c.Set(ctx, "/a", []byte("2"), 5)
	assert.ErrorIs(t, err, zk.ErrBadVersion)
	st, err = c.Set(ctx, "/a", []byte("2"), 0)
	require.NoError(t, err)
	assert.Equal(t, int32(1), st.Version)

	_, _, err = c.Get(ctx, "/missing")
	assert.ErrorIs(t, err, zk.ErrNoNode)
	ok, st, err := c.Exists(ctx, "/missing")
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Nil(t, st)

	seq, err := c.Create(ctx, "/a/s-", nil, zk.FlagSequence, nil)
	require.NoError(t, err)
	assert.Regexp(t, `^/a/s-\d{10}$`, seq)
	kids, _, err := c.Children(ctx, "/a")
	require.NoError(t, err)
	assert.Len(t, kids, 1)

	// The namespace is a real chroot on the server.
	direct := rt.Connect(t, s.DirectServers())
	data, _, err = direct.Get(ctx, "/ops/ns/a")
	require.NoError(t, err)
	assert.Equal(t, []byte("2"), data)

	// Watches carry client paths.
	_, _, ch, err := c.GetW(ctx, "/a")
	require.NoError(t, err)
	_, err = direct.Set(ctx, "/ops/ns/a", []byte("3"), -1)
	require.NoError(t, err)
	select {
	case ev := <-ch:
		assert.Equal(t, zk.EventNodeDataChanged, ev.Type)
		assert.Equal(t, "/a", ev.Path)
	case <-ctx.Done():
		t.Fatal("no watch event")
	}

	// Multi: all or nothing, per-op errors, namespaced paths.
	res, err := c.Multi(ctx,
		&zk.CreateRequest{Path: "/m1", Data: []byte("x")},
		&zk.SetDataRequest{Path: "/a", Data: []byte("4"), Version: -1},
	)
	require.NoError(t, err)
	require.Len(t, res, 2)
	assert.Equal(t, "/m1", res[0].String)
	res, err = c.Multi(ctx,
		&zk.CreateRequest{Path: "/m2"},
		&zk.DeleteRequest{Path: "/nope", Version: -1},
	)
	assert.ErrorIs(t, err, zk.ErrNoNode)
	if assert.Len(t, res, 2) {
		assert.ErrorIs(t, res[1].Error, zk.ErrNoNode)
	}
	ok, _, err = c.Exists(ctx, "/m2")
	require.NoError(t, err)
	assert.False(t, ok, "failed multi must apply nothing")

	sp, err := c.Sync(ctx, "/a")
	require.NoError(t, err)
	assert.Equal(t, "/a", sp)

	acl, _, err := c.GetACL(ctx, "/a")
	require.NoError(t, err)
	assert.Equal(t, zk.WorldACL(zk.PermAll), acl)
	_, err = c.SetACL(ctx, "/a", zk.WorldACL(zk.PermRead|zk.PermWrite|zk.PermCreate|zk.PermDelete), -1)
	require.NoError(t, err)
	acl, _, err = c.GetACL(ctx, "/a")
	require.NoError(t, err)
	assert.Equal(t, int32(zk.PermRead|zk.PermWrite|zk.PermCreate|zk.PermDelete), acl[0].Perms)

	assert.ErrorIs(t, c.Delete(ctx, "/a", -1), zk.ErrNotEmpty)
	require.NoError(t, c.DeleteAll(ctx, "/a"))
	ok, _, err = c.Exists(ctx, "/a")
	require.NoError(t, err)
	assert.False(t, ok)
	require.NoError(t, c.DeleteAll(ctx, "/a"), "missing node is no error")

	_, _, err = c.Get(ctx, "relative")
	assert.ErrorIs(t, err, recipes.ErrBadPath)

	require.NoError(t, c.Close())
	_, _, err = c.Get(ctx, "/m1")
	assert.ErrorIs(t, err, recipes.ErrClosed)
}

func TestEnsurePathMakesContainers(t *testing.T) {
	s := rt.StartServer(t)
	c := rt.Connect(t, s.Servers(), recipes.WithNamespace("containers"))
	ctx := rt.Ctx(t, 30*time.Second)
	require.NoError(t, c.EnsurePath(ctx, "/ensure/a/b/c"))
	require.NoError(t, c.EnsurePath(ctx, "/ensure/a/b/c"), "idempotent")
	ok, _, err := c.Exists(ctx, "/ensure/a/b/c")
	require.NoError(t, err)
	require.True(t, ok)
	// They are containers: once a child has come and gone, the server
	// removes them (the test server checks every 500ms).
	_, err = c.Create(ctx, "/ensure/a/b/c/child", nil, zk.FlagPersistent, nil)
	require.NoError(t, err)
	require.NoError(t, c.Delete(ctx, "/ensure/a/b/c/child", -1))
	rt.Eventually(t, 20*time.Second, func() bool {
		ok, _, err := c.Exists(ctx, "/ensure/a/b/c")
		return err == nil && !ok
	}, "empty container /ensure/a/b/c not removed")

	p, err := c.CreateWithParents(ctx, "/ensure/x/y/z", []byte("d"), zk.FlagPersistent, nil)
	require.NoError(t, err)
	assert.Equal(t, "/ensure/x/y/z", p)
	require.NoError(t, c.DeleteAll(ctx, "/ensure"))
}

func TestAuthDigest(t *testing.T) {
	s := rt.StartServer(t)
	ctx := rt.Ctx(t, 30*time.Second)
	owner := rt.Connect(t, s.Servers(), recipes.WithAuth("digest", []byte("alice:secret")),
		recipes.WithDefaultACL(zk.AuthACL(zk.PermAll)), recipes.WithNamespace("auth"))
	_, err := owner.Create(ctx, "/private", []byte("x"), zk.FlagPersistent, nil)
	require.NoError(t, err)
	data, _, err := owner.Get(ctx, "/private")
	require.NoError(t, err)
	assert.Equal(t, []byte("x"), data)

	other := rt.Connect(t, s.Servers(), recipes.WithNamespace("auth"))
	_, _, err = other.Get(ctx, "/private")
	assert.ErrorIs(t, err, zk.ErrNoAuth)

	// Credentials survive a connection loss.
	states := recordStates(owner)
	s.Proxy.CutAll()
	states.waitFor(t, 20*time.Second, recipes.Suspended, recipes.Reconnected)
	_, _, err = owner.Get(ctx, "/private")
	require.NoError(t, err)
	require.NoError(t, owner.Delete(ctx, "/private", -1))
}

// A server that cannot be reached for a while, less than the session
// timeout: Suspended, then Reconnected with the same session.
func TestServerUnreachableSuspendedThenReconnected(t *testing.T) {
	s := rt.StartServer(t)
	c := rt.Connect(t, s.Servers(), recipes.WithSessionTimeout(rt.Scale(8*time.Second)))
	ctx := rt.Ctx(t, 30*time.Second)
	states := recordStates(c)
	sess := c.Session()
	_, err := c.Create(ctx, "/unreachable-eph", nil, zk.FlagEphemeral, nil)
	require.NoError(t, err)

	s.Proxy.SetDown(true)
	states.waitFor(t, 10*time.Second, recipes.Suspended)
	assert.Equal(t, recipes.Suspended, c.State())
	s.Proxy.SetDown(false)
	states.waitFor(t, 10*time.Second, recipes.Suspended, recipes.Reconnected)

	assert.Equal(t, sess, c.Session(), "same session after a short outage")
	select {
	case <-sess.Done():
		t.Fatal("session done after reconnect")
	default:
	}
	_, st, err := c.Exists(ctx, "/unreachable-eph")
	require.NoError(t, err)
	require.NotNil(t, st)
	assert.Equal(t, sess.ID, st.EphemeralOwner)
	require.NoError(t, c.Delete(ctx, "/unreachable-eph", -1))
}

// The server expires the session: Suspended, Lost, and a new session
// reported as Reconnected.
func TestSessionExpiredLostThenNewSession(t *testing.T) {
	s := rt.StartServer(t)
	c := rt.Connect(t, s.Servers(), recipes.WithSessionTimeout(rt.Scale(8*time.Second)))
	ctx := rt.Ctx(t, 30*time.Second)
	states := recordStates(c)
	old := c.Session()
	assert.Equal(t, uint64(1), old.Epoch)
	_, err := c.Create(ctx, "/expire-eph", nil, zk.FlagEphemeral, nil)
	require.NoError(t, err)

	s.ExpireSession(old.ID)
	states.waitFor(t, 20*time.Second, recipes.Lost, recipes.Reconnected)
	assert.Equal(t, []recipes.State{recipes.Suspended, recipes.Lost, recipes.Reconnected}, states.get())
	select {
	case <-old.Done():
	default:
		t.Fatal("old session not done")
	}
	now := c.Session()
	assert.NotEqual(t, old.ID, now.ID)
	assert.Equal(t, uint64(2), now.Epoch)

	ok, _, err := c.Exists(ctx, "/expire-eph")
	require.NoError(t, err)
	assert.False(t, ok, "ephemeral node of the expired session is gone")
	_, err = c.Create(ctx, "/expire-eph", nil, zk.FlagEphemeral, nil)
	require.NoError(t, err)
	_, st, err := c.Exists(ctx, "/expire-eph")
	require.NoError(t, err)
	assert.Equal(t, now.ID, st.EphemeralOwner)
}

// Suspended for longer than the session timeout: the client reports Lost
// by itself, abandons the session and builds a new one once it can.
func TestSuspendedTooLongIsLost(t *testing.T) {
	s := rt.StartServer(t)
	timeout := rt.Scale(2 * time.Second)
	c := rt.Connect(t, s.Servers(), recipes.WithSessionTimeout(timeout))
	states := recordStates(c)
	old := c.Session()

	s.Proxy.SetDown(true)
	states.waitFor(t, 10*time.Second, recipes.Suspended, recipes.Lost)
	select {
	case <-old.Done():
	default:
		t.Fatal("session not done after Lost")
	}
	s.Proxy.SetDown(false)
	states.waitFor(t, 20*time.Second, recipes.Lost, recipes.Reconnected)
	// On a loaded machine the new connection may flap once more after
	// Reconnected; the sequence must start as Curator's does.
	got := states.get()
	require.GreaterOrEqual(t, len(got), 3)
	assert.Equal(t, []recipes.State{recipes.Suspended, recipes.Lost, recipes.Reconnected}, got[:3])
	assert.NotEqual(t, old.ID, c.Session().ID)
	assert.Equal(t, uint64(2), c.Session().Epoch)
	_, _, err := c.Exists(rt.Ctx(t, 20*time.Second), "/")
	require.NoError(t, err)
}

// A server restart within the session timeout keeps the session.
func TestServerRestartReconnects(t *testing.T) {
	s := rt.StartServer(t)
	c := rt.Connect(t, s.Servers(), recipes.WithSessionTimeout(rt.Scale(30*time.Second)))
	ctx := rt.Ctx(t, 60*time.Second)
	states := recordStates(c)
	sess := c.Session()
	_, err := c.Create(ctx, "/restart", []byte("kept"), zk.FlagPersistent, nil)
	require.NoError(t, err)

	s.Stop()
	states.waitFor(t, 20*time.Second, recipes.Suspended)
	s.Restart()
	states.waitFor(t, 30*time.Second, recipes.Suspended, recipes.Reconnected)
	assert.Equal(t, sess.ID, c.Session().ID)
	data, _, err := c.Get(ctx, "/restart")
	require.NoError(t, err)
	assert.Equal(t, []byte("kept"), data)
}

func TestRetryHonoursContext(t *testing.T) {
	s := rt.StartServer(t)
	c := rt.Connect(t, s.Servers(), recipes.WithSessionTimeout(rt.Scale(20*time.Second)),
		recipes.WithRetry(recipes.ExponentialRetry(10*time.Millisecond, 100*time.Millisecond, 1000, 0)))
	s.Proxy.SetDown(true)
	defer s.Proxy.SetDown(false)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := c.Get(ctx, "/")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), rt.Scale(3*time.Second), "ctx must cut the retries short")

	// Cancelling works the same way.
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel2)
	_, err = c.Create(ctx2, "/never", nil, zk.FlagPersistent, nil)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestRetryGivesUp(t *testing.T) {
	s := rt.StartServer(t)
	c := rt.Connect(t, s.Servers(), recipes.WithSessionTimeout(rt.Scale(20*time.Second)),
		recipes.WithRetry(recipes.ExponentialRetry(time.Millisecond, 5*time.Millisecond, 2, 0)))
	s.Proxy.SetDown(true)
	defer s.Proxy.SetDown(false)
	_, _, err := c.Get(rt.Ctx(t, 30*time.Second), "/")
	assert.ErrorIs(t, err, recipes.ErrRetriesExhausted)
	assert.True(t, errors.Is(err, zk.ErrConnectionClosed) || errors.Is(err, zk.ErrNoServer),
		"the last cause is kept: %v", err)
}

// A create whose reply is lost is retried; NodeExists then is ambiguous for
// a persistent node and recognised as ours for an ephemeral one.
func TestRetriedCreateAfterLostReply(t *testing.T) {
	s := rt.StartServer(t)
	c := rt.Connect(t, s.Servers(), recipes.WithNamespace("lostreply"))
	ctx := rt.Ctx(t, 30*time.Second)
	require.NoError(t, c.EnsurePath(ctx, "/"))

	s.Proxy.DropNextReply(1) // opCreate
	_, err := c.Create(ctx, "/p", nil, zk.FlagPersistent, nil)
	assert.ErrorIs(t, err, recipes.ErrAmbiguous)
	assert.ErrorIs(t, err, zk.ErrNodeExists)
	ok, _, err := c.Exists(ctx, "/p")
	require.NoError(t, err)
	assert.True(t, ok)

	s.Proxy.DropNextReply(1)
	p, err := c.Create(ctx, "/e", nil, zk.FlagEphemeral, nil)
	require.NoError(t, err)
	assert.Equal(t, "/e", p)

	s.Proxy.DropNextReply(2) // opDelete
	err = c.Delete(ctx, "/p", -1)
	assert.ErrorIs(t, err, recipes.ErrAmbiguous)
	assert.ErrorIs(t, err, zk.ErrNoNode)
	require.NoError(t, c.DeleteAll(ctx, "/"))
}

func TestListenerRemove(t *testing.T) {
	s := rt.StartServer(t)
	c := rt.Connect(t, s.Servers())
	kept := recordStates(c)
	var removed stateLog
	remove := c.Listen(func(st recipes.State) {
		removed.mu.Lock()
		removed.states = append(removed.states, st)
		removed.mu.Unlock()
	})
	remove()
	s.Proxy.CutAll()
	kept.waitFor(t, 20*time.Second, recipes.Suspended, recipes.Reconnected)
	assert.Empty(t, removed.get())
}

func TestConnectHonoursContext(t *testing.T) {
	p := rt.StartProxy(t, "127.0.0.1:1") // nothing listens there
	p.SetDown(true)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := recipes.Connect(ctx, []string{p.Addr()})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}
