package node_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/node"
	"github.com/zkit-go/zkit/recipes"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
	zktesting "github.com/zkit-go/zkit/testing"
)

// start makes a started Persistent node, closed at the end of the test.
func start(t *testing.T, c *recipes.Client, path string, flags int32, data string, opts ...node.Option) *node.Persistent {
	t.Helper()
	n, err := node.NewPersistent(c, path, flags, []byte(data), opts...)
	require.NoError(t, err)
	require.NoError(t, n.Start())
	t.Cleanup(func() { n.Close(context.Background()) })
	require.NoError(t, n.WaitReady(rt.Ctx(t, 20*time.Second)))
	return n
}

// holds reports whether path exists with data and, for ephemeral nodes,
// is owned by c's current session.
func holds(obs, c *recipes.Client, path, data string, ephemeral bool) func() bool {
	return func() bool {
		got, st, err := obs.Get(context.Background(), path)
		if err != nil || string(got) != data {
			return false
		}
		return !ephemeral || st.EphemeralOwner == c.Session().ID
	}
}

func TestPersistentBasics(t *testing.T) {
	env := rt.StartServer(t)
	ns := recipes.WithNamespace(rt.Namespace("node"))
	c, obs := env.Connect(t, ns), env.ObserverConnect(t, ns)
	ctx := rt.Ctx(t, 30*time.Second)

	n := start(t, c, "/a/b/eph", zk.FlagEphemeral, "one")
	assert.Equal(t, "/a/b/eph", n.Path())
	require.True(t, holds(obs, c, "/a/b/eph", "one", true)())

	// Deleted by someone: it comes back.
	require.NoError(t, obs.Delete(ctx, "/a/b/eph", -1))
	rt.Eventually(t, 10*time.Second, holds(obs, c, "/a/b/eph", "one", true), "re-created after a delete")

	// New data is written now and used on the next re-create.
	require.NoError(t, n.SetData(ctx, []byte("two")))
	rt.Eventually(t, 10*time.Second, holds(obs, c, "/a/b/eph", "two", true), "data set")
	require.NoError(t, obs.Delete(ctx, "/a/b/eph", -1))
	rt.Eventually(t, 10*time.Second, holds(obs, c, "/a/b/eph", "two", true), "re-created with the new data")

	// Close deletes it and stops re-creating.
	require.NoError(t, n.Close(ctx))
	ok, _, err := obs.Exists(ctx, "/a/b/eph")
	require.NoError(t, err)
	assert.False(t, ok)
	assert.ErrorIs(t, n.SetData(ctx, nil), node.ErrClosed)
	assert.NoError(t, n.Close(ctx), "Close is idempotent")
}

func TestPersistentAdoptsExisting(t *testing.T) {
	env := rt.StartServer(t)
	ns := recipes.WithNamespace(rt.Namespace("node"))
	c, obs := env.Connect(t, ns), env.ObserverConnect(t, ns)
	ctx := rt.Ctx(t, 30*time.Second)
	_, err := obs.CreateWithParents(ctx, "/p/x", []byte("old"), zk.FlagPersistent, nil)
	require.NoError(t, err)
	start(t, c, "/p/x", zk.FlagPersistent, "new")
	rt.Eventually(t, 10*time.Second, holds(obs, c, "/p/x", "new", false), "existing node adopted with our data")
}

func TestPersistentBadArguments(t *testing.T) {
	for _, tc := range []struct {
		path  string
		flags int32
		opts  []node.Option
	}{
		{"", zk.FlagEphemeral, nil},
		{"x", zk.FlagEphemeral, nil},
		{"/", zk.FlagEphemeral, nil},
		{"/x/", zk.FlagEphemeral, nil},
		{"/x", zk.FlagContainer, nil},
		{"/x", zk.FlagTTL, nil},
		{"/x", zk.FlagEphemeral, []node.Option{node.WithTTL(time.Second)}},
		{"/x", zk.FlagTTL, []node.Option{node.WithTTL(time.Second), node.WithProtection()}},
	} {
		_, err := node.NewPersistent(nil, tc.path, tc.flags, nil, tc.opts...)
		assert.ErrorIs(t, err, node.ErrBadArgument, "%q flags %d", tc.path, tc.flags)
	}
}

// A protected ephemeral-sequential node keeps its name across a session
// expiry: it is re-created under it by the new session.
func TestPersistentSequentialSessionExpired(t *testing.T) {
	env := rt.StartServer(t)
	ns := recipes.WithNamespace(rt.Namespace("node"))
	c, obs := env.Connect(t, ns), env.ObserverConnect(t, ns)
	n := start(t, c, "/seq/member-", zk.FlagEphemeralSequential, "d", node.WithProtection())
	p := n.Path()
	_, name := recipes.SplitPath(p)
	require.True(t, recipes.IsProtected(name), "protected name %q", name)
	require.True(t, strings.HasSuffix(name, "0000000000"), "sequential name %q", name)

	rt.ExpireAndWait(t, env, c)
	rt.Eventually(t, 20*time.Second, holds(obs, c, p, "d", true), "re-created under %s by the new session", p)
	assert.Equal(t, p, n.Path())
	kids, _, err := obs.Children(context.Background(), "/seq")
	require.NoError(t, err)
	assert.Len(t, kids, 1, "no second node")
}

// The server restarts (sessions survive) and, separately, the client is
// cut off for longer than its session timeout (it abandons the session):
// both times the node is there afterwards, owned by the live session.
func TestPersistentServerRestartAndLongOutage(t *testing.T) {
	env := rt.StartServer(t)
	ns := recipes.WithNamespace(rt.Namespace("node"))
	timeout := rt.Scale(2 * time.Second)
	c := env.Connect(t, ns, recipes.WithSessionTimeout(timeout))
	obs := env.ObserverConnect(t, ns)
	start(t, c, "/r", zk.FlagEphemeral, "v")

	env.Stop()
	env.Restart()
	rt.WaitServed(t, c, obs)
	rt.Eventually(t, 20*time.Second, holds(obs, c, "/r", "v", true), "node after a restart")

	old := c.Session()
	env.Proxy.SetDown(true)
	rt.Eventually(t, 30*time.Second, func() bool { return c.Session().Epoch > old.Epoch || c.State() == recipes.Lost },
		"client gives the session up")
	env.Proxy.SetDown(false)
	rt.Eventually(t, 30*time.Second, func() bool { return c.Session().Epoch > old.Epoch && c.State().IsConnected() },
		"new session")
	rt.Eventually(t, 30*time.Second, holds(obs, c, "/r", "v", true), "node owned by the new session")
}

// A member of a three-member ensemble stops under the client (the leader,
// or a follower): the node stays, and is re-created when the session is
// then expired.
func TestPersistentEnsembleMemberStopped(t *testing.T) {
	rt.EachMemberFailure(t, func(t *testing.T, ens *rt.Ensemble, victim *zktesting.Member) {
		ns := recipes.WithNamespace(rt.Namespace("node"))
		c := ens.ConnectOn(t, victim, ns, recipes.WithSessionTimeout(rt.Scale(8*time.Second)))
		obs := ens.ObserverConnect(t, ns)
		n := start(t, c, "/m/eph", zk.FlagEphemeral, "a")
		victim.Stop()
		rt.WaitServed(t, c)
		require.NoError(t, n.SetData(rt.Ctx(t, 20*time.Second), []byte("b")))
		rt.Eventually(t, 20*time.Second, holds(obs, c, "/m/eph", "b", true), "node kept across the failover")
		rt.ExpireAndWait(t, ens, c)
		rt.Eventually(t, 20*time.Second, holds(obs, c, "/m/eph", "b", true), "re-created after expiry")
	})
}

func TestTTLNode(t *testing.T) {
	env := rt.StartServer(t)
	ns := recipes.WithNamespace(rt.Namespace("node"))
	c, obs := env.Connect(t, ns), env.ObserverConnect(t, ns)
	ctx := rt.Ctx(t, 60*time.Second)
	// Longer than the outage of a session expiry, which the node rides out.
	ttl := rt.Scale(2 * time.Second)
	n, err := node.NewTTL(c, "/presence/w1", ttl, []byte("w1"))
	require.NoError(t, err)
	require.NoError(t, n.Start())
	require.NoError(t, n.WaitReady(ctx))

	// The touch child appears, and both outlive several TTLs and a
	// session expiry while the owner runs.
	rt.Eventually(t, 10*time.Second, func() bool {
		ok, _, _ := obs.Exists(ctx, "/presence/w1/"+node.TouchName)
		return ok
	}, "touch child")
	rt.ExpireAndWait(t, env, c)
	deadline := time.Now().Add(2 * ttl)
	for time.Now().Before(deadline) {
		ok, st, err := obs.Exists(ctx, "/presence/w1")
		require.NoError(t, err)
		require.True(t, ok, "TTL node gone while its owner runs")
		assert.Zero(t, st.EphemeralOwner)
		time.Sleep(ttl / 4) // sampling, not synchronisation
	}
	data, _, err := obs.Get(ctx, "/presence/w1")
	require.NoError(t, err)
	assert.True(t, bytes.Equal([]byte("w1"), data))

	// Once the owner stops, the server removes both by their TTL.
	require.NoError(t, n.Close(ctx))
	rt.Eventually(t, 30*time.Second, func() bool {
		ok, _, err := obs.Exists(ctx, "/presence/w1")
		return err == nil && !ok
	}, "TTL node removed after its owner stopped")
}
