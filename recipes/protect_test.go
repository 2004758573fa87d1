package recipes_test

import (
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/recipes"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

func TestProtectedNamesMatchCurator(t *testing.T) {
	const id = "53345f98-9423-4e0c-a7b5-9f819e3ec2e1"
	name := recipes.ProtectedName("lock-", id)
	assert.Equal(t, "_c_53345f98-9423-4e0c-a7b5-9f819e3ec2e1-lock-", name)
	assert.True(t, recipes.IsProtected(name+"0000000007"))
	got, ok := recipes.ProtectedID(name + "0000000007")
	assert.True(t, ok)
	assert.Equal(t, id, got)
	assert.Equal(t, "lock-0000000007", recipes.NormalizeProtected(name+"0000000007"))
	for _, bad := range []string{
		"lock-0000000007",
		"_c_53345f98-9423-4e0c-a7b5-9f819e3ec2e1", // nothing after the prefix
		"_c_53345f98-9423-4e0c-a7b5-9f819e3ec2e1x-lock",
		"_c_zz345f98-9423-4e0c-a7b5-9f819e3ec2e1-lock",
	} {
		assert.False(t, recipes.IsProtected(bad), bad)
		assert.Equal(t, bad, recipes.NormalizeProtected(bad))
	}
}

// The reply to the create is lost (the server applied it); the retry must
// find our node rather than make a second one.
func TestProtectedCreateFindsNodeAfterLostReply(t *testing.T) {
	s := rt.StartServer(t)
	c := rt.Connect(t, s.Servers(), recipes.WithNamespace("protected"))
	ctx := rt.Ctx(t, 30*time.Second)
	states := recordStates(c)
	require.NoError(t, c.EnsurePath(ctx, "/locks"))

	s.Proxy.DropNextReply(1) // opCreate
	p, err := c.CreateProtected(ctx, "/locks/lock-", []byte("me"), zk.FlagEphemeralSequential, nil)
	require.NoError(t, err)
	states.waitFor(t, 10*time.Second, recipes.Suspended, recipes.Reconnected)

	kids, _, err := c.Children(ctx, "/locks")
	require.NoError(t, err)
	require.Len(t, kids, 1, "no orphan: exactly our node")
	assert.Equal(t, p, "/locks/"+kids[0])
	assert.True(t, recipes.IsProtected(kids[0]))
	assert.True(t, strings.HasPrefix(recipes.NormalizeProtected(kids[0]), "lock-"))
	_, st, err := c.Exists(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, c.Session().ID, st.EphemeralOwner)
	data, _, err := c.Get(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, []byte("me"), data)
}

// When the create cannot be confirmed (here: no retries allowed), the
// client removes the node the lost attempt made, in the background.
func TestProtectedCreateCleansUpAfterFailure(t *testing.T) {
	s := rt.StartServer(t)
	c := rt.Connect(t, s.Servers(), recipes.WithNamespace("protected-cleanup"), recipes.WithRetry(recipes.NoRetry()))
	ctx := rt.Ctx(t, 30*time.Second)
	require.NoError(t, c.EnsurePath(ctx, "/locks"))
	observer := rt.Connect(t, s.DirectServers(), recipes.WithNamespace("protected-cleanup"))

	s.Proxy.DropNextReply(1)
	_, err := c.CreateProtected(ctx, "/locks/lock-", nil, zk.FlagEphemeralSequential, nil)
	require.ErrorIs(t, err, recipes.ErrRetriesExhausted)
	rt.Eventually(t, 20*time.Second, func() bool {
		kids, _, err := observer.Children(ctx, "/locks")
		return err == nil && len(kids) == 0
	}, "orphaned protected node not removed")
}

func TestProtectedCreateMakesParents(t *testing.T) {
	s := rt.StartServer(t)
	c := rt.Connect(t, s.Servers(), recipes.WithNamespace("protected-parents"))
	ctx := rt.Ctx(t, 30*time.Second)
	p, err := c.CreateProtected(ctx, "/a/b/node", nil, zk.FlagPersistent, nil)
	require.NoError(t, err)
	_, name := recipes.SplitPath(p)
	assert.True(t, recipes.IsProtected(name))
	assert.Equal(t, "node", recipes.NormalizeProtected(name))
	require.NoError(t, c.DeleteAll(ctx, "/"))
}
