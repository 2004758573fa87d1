package node_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/internal/curatortest"
	"github.com/zkit-go/zkit/node"
	"github.com/zkit-go/zkit/recipes"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

// A Curator PersistentTtlNode and a zkit TTL node side by side have the
// same layout, and both are removed by the server after their owners
// stop.
func TestCuratorTTLNodeLayout(t *testing.T) {
	env := rt.StartServer(t)
	ns := rt.Namespace("curttl")
	d := curatortest.Start(t, strings.Join(env.DirectServers(), ","))
	d.ClientIn(t, "c", ns, 10*time.Second)
	c, obs := env.Connect(t, recipes.WithNamespace(ns)), env.ObserverConnect(t, recipes.WithNamespace(ns))
	ctx := rt.Ctx(t, 60*time.Second)
	ttl := rt.Scale(2 * time.Second)

	d.Do(t, "ttlnode", "java", "c", "/java", ttl.Milliseconds(), "jd")
	d.Do(t, "start", "java")
	require.Equal(t, "true", d.Do(t, "waitcreate", "java", rt.Scale(20*time.Second).Milliseconds()), "Curator's PersistentTtlNode created")
	n, err := node.NewTTL(c, "/go", ttl, []byte("jd"))
	require.NoError(t, err)
	require.NoError(t, n.Start())
	require.NoError(t, n.WaitReady(ctx))

	shape := func(p string) func() bool {
		return func() bool {
			kids, st, err := obs.Children(ctx, p)
			return err == nil && len(kids) == 1 && kids[0] == node.TouchName && st.EphemeralOwner == 0
		}
	}
	rt.Eventually(t, 10*time.Second, shape("/java"), "Curator's node with its touch child")
	rt.Eventually(t, 10*time.Second, shape("/go"), "zkit's node with its touch child")
	for _, p := range []string{"/java", "/go"} {
		data, _, err := obs.Get(ctx, p)
		require.NoError(t, err)
		assert.Equal(t, "jd", string(data), p)
		_, st, err := obs.Get(ctx, p+"/"+node.TouchName)
		require.NoError(t, err)
		assert.Zero(t, st.EphemeralOwner, "touch child of %s is not ephemeral", p)
	}

	d.Do(t, "close", "java")
	require.NoError(t, n.Close(ctx))
	for _, p := range []string{"/java", "/go"} {
		rt.Eventually(t, 30*time.Second, func() bool {
			ok, _, err := obs.Exists(context.Background(), p)
			return err == nil && !ok
		}, "%s removed by its TTL", p)
	}
}
