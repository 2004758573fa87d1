package group_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/group"
	"github.com/zkit-go/zkit/recipes"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
	zktesting "github.com/zkit-go/zkit/testing"
)

func join(t *testing.T, c *recipes.Client, id, data string) *group.Member {
	t.Helper()
	m, err := group.NewMember(rt.Ctx(t, 20*time.Second), c, "/g", id, []byte(data))
	require.NoError(t, err)
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

func members(m *group.Member) map[string]string {
	out := map[string]string{}
	for id, d := range m.Members() {
		out[id] = string(d)
	}
	return out
}

func sees(m *group.Member, want map[string]string) func() bool {
	return func() bool { return maps.Equal(members(m), want) }
}

func TestMembership(t *testing.T) {
	env := rt.StartServer(t)
	ns := recipes.WithNamespace(rt.Namespace("group"))
	ca, cb := env.Connect(t, ns), env.Connect(t, ns)
	ctx := rt.Ctx(t, 30*time.Second)

	a := join(t, ca, "a", "1")
	assert.Equal(t, map[string]string{"a": "1"}, members(a), "ready on return: a sees itself")
	b := join(t, cb, "b", "2")
	assert.Equal(t, map[string]string{"a": "1", "b": "2"}, members(b), "b sees both on return")
	rt.Eventually(t, 10*time.Second, sees(a, map[string]string{"a": "1", "b": "2"}), "a sees b")

	require.NoError(t, b.SetData(ctx, []byte("3")))
	rt.Eventually(t, 10*time.Second, sees(a, map[string]string{"a": "1", "b": "3"}), "a sees b's new data")

	// b's session expires: b comes back by itself.
	removed := make(chan string, 4)
	defer a.Listen(func(ev recipes.CacheEvent) {
		if ev.Type == recipes.NodeRemoved {
			_, id := recipes.SplitPath(ev.Node.Path)
			removed <- id
		}
	})()
	rt.ExpireAndWait(t, env, cb)
	assert.Equal(t, "b", rt.Receive(t, 20*time.Second, removed, "b's old node removed"))
	rt.Eventually(t, 20*time.Second, sees(a, map[string]string{"a": "1", "b": "3"}), "b back after its session expired")

	// Close leaves the group.
	require.NoError(t, b.Close(ctx))
	rt.Eventually(t, 10*time.Second, sees(a, map[string]string{"a": "1"}), "b gone after Close")
	assert.ErrorIs(t, b.SetData(ctx, nil), group.ErrClosed)

	_, err := group.NewMember(ctx, ca, "/g", "x/y", nil)
	assert.ErrorIs(t, err, group.ErrBadArgument)
}

// The server restarts under the group: membership is unchanged.
func TestMembershipServerRestart(t *testing.T) {
	env := rt.StartServer(t)
	ns := recipes.WithNamespace(rt.Namespace("group"))
	ca, cb := env.Connect(t, ns), env.Connect(t, ns)
	a, b := join(t, ca, "a", "1"), join(t, cb, "b", "2")
	all := map[string]string{"a": "1", "b": "2"}
	rt.Eventually(t, 10*time.Second, sees(a, all), "a sees both")
	env.Stop()
	env.Restart()
	rt.WaitServed(t, ca, cb)
	require.NoError(t, b.SetData(rt.Ctx(t, 20*time.Second), []byte("5")))
	rt.Eventually(t, 20*time.Second, sees(a, map[string]string{"a": "1", "b": "5"}), "a sees b after the restart")
}

// A member of a three-member ensemble stops under both clients.
func TestMembershipEnsembleMemberStopped(t *testing.T) {
	rt.EachMemberFailure(t, func(t *testing.T, ens *rt.Ensemble, victim *zktesting.Member) {
		ns := recipes.WithNamespace(rt.Namespace("group"))
		opts := []recipes.Option{ns, recipes.WithSessionTimeout(rt.Scale(8 * time.Second))}
		ca, cb := ens.ConnectOn(t, victim, opts...), ens.ConnectOn(t, victim, opts...)
		a, b := join(t, ca, "a", "1"), join(t, cb, "b", "2")
		rt.Eventually(t, 10*time.Second, sees(a, map[string]string{"a": "1", "b": "2"}), "a sees both")
		victim.Stop()
		rt.WaitServed(t, ca, cb)
		require.NoError(t, b.SetData(rt.Ctx(t, 20*time.Second), []byte("7")))
		rt.Eventually(t, 20*time.Second, sees(a, map[string]string{"a": "1", "b": "7"}), "a sees b's change after the failover")
		rt.ExpireAndWait(t, ens, ca)
		obs := ens.ObserverConnect(t, ns)
		rt.Eventually(t, 20*time.Second, func() bool {
			ok, st, err := obs.Exists(context.Background(), a.Path())
			return err == nil && ok && st.EphemeralOwner == ca.Session().ID
		}, "a's node re-created by its new session")
		rt.Eventually(t, 20*time.Second, sees(b, map[string]string{"a": "1", "b": "7"}), "b sees a again")
	})
}
