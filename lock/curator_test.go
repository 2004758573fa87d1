package lock_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/internal/curatortest"
	"github.com/zkit-go/zkit/lock"
	"github.com/zkit-go/zkit/recipes"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

// Revocation works both ways between a Curator InterProcessMutex made
// revocable and a zkit Mutex.
func TestCuratorRevocation(t *testing.T) {
	env := rt.StartServer(t)
	ns := rt.Namespace("currevoke")
	d := curatortest.Start(t, strings.Join(env.DirectServers(), ","))
	d.ClientIn(t, "c", ns, 10*time.Second)
	c := env.Connect(t, recipes.WithNamespace(ns))
	ctx := rt.Ctx(t, 60*time.Second)
	// holder is the first of Curator's participant nodes: the lock's holder.
	holder := func() string {
		t.Helper()
		nodes := strings.Fields(d.Do(t, "participants", "m"))
		require.NotEmpty(t, nodes, "Curator sees no participant")
		return nodes[0]
	}

	// zkit asks the Curator holder to release.
	d.Do(t, "mutex", "m", "c", "/l")
	d.Do(t, "revocable", "m")
	require.Equal(t, "true", d.Do(t, "acquire", "m", rt.Scale(20*time.Second).Milliseconds()))
	goHolder, err := lock.HolderNode(ctx, c, "/l")
	require.NoError(t, err)
	assert.Equal(t, holder(), goHolder, "both find the same holder")
	assert.NotContains(t, d.Events(), "m revoked", "revocation listener ran before anyone asked")
	require.NoError(t, lock.Revoke(ctx, c, goHolder))
	d.WaitEvent(t, "m", "revoked") // Curator's RevocationListener runs
	d.Do(t, "release", "m")

	// Curator asks the zkit holder to release.
	m := lock.NewMutex(c, "/l")
	require.NoError(t, m.Lock(ctx))
	assert.Equal(t, m.NodePath(), holder())
	d.Do(t, "revoke", "c", m.NodePath())
	rt.Receive(t, 20*time.Second, m.Revoked(), "zkit holder hears Curator's Revoker")
	require.NoError(t, m.Unlock(ctx))
}
