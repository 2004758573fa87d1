package lock_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/lock"
	"github.com/zkit-go/zkit/recipes"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

// Revocation works both ways between a Curator InterProcessMutex made
// revocable and a zkit Mutex.
func TestCuratorRevocation(t *testing.T) {
	env := rt.StartServer(t)
	ns := rt.Namespace("currevoke")
	d := rt.CuratorDriver(t, strings.Join(env.DirectServers(), ","), ns)
	c := env.Connect(t, recipes.WithNamespace(ns))
	ctx := rt.Ctx(t, 60*time.Second)

	// zkit asks the Curator holder to release.
	d.Ask(20*time.Second, "lock /l")
	holder, err := lock.HolderNode(ctx, c, "/l")
	require.NoError(t, err)
	assert.Equal(t, d.Ask(10*time.Second, "holder /l"), holder, "both find the same holder")
	assert.Equal(t, "no", d.Ask(10*time.Second, "revoked"))
	require.NoError(t, lock.Revoke(ctx, c, holder))
	rt.Eventually(t, 20*time.Second, func() bool { return d.Ask(10*time.Second, "revoked") == "yes" },
		"Curator's RevocationListener runs")
	d.Ask(10*time.Second, "unlock")

	// Curator asks the zkit holder to release.
	m := lock.NewMutex(c, "/l")
	require.NoError(t, m.Lock(ctx))
	assert.Equal(t, m.NodePath(), d.Ask(10*time.Second, "holder /l"))
	d.Ask(10*time.Second, "revoke %s", m.NodePath())
	rt.Receive(t, 20*time.Second, m.Revoked(), "zkit holder hears Curator's Revoker")
	require.NoError(t, m.Unlock(ctx))
}
