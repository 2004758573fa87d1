package recipes_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/recipes"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

// recordingACLs is a PathACLs that remembers the paths it was asked about.
type recordingACLs struct {
	recipes.PathACLs
	mu    sync.Mutex // guards asked
	asked []string
}

func (r *recordingACLs) ACLForPath(p string) []zk.ACL {
	r.mu.Lock()
	r.asked = append(r.asked, p)
	r.mu.Unlock()
	return r.PathACLs.ACLForPath(p)
}

func TestACLProvider(t *testing.T) {
	s := rt.StartServer(t)
	ctx := rt.Ctx(t, 30*time.Second)
	readOnly := zk.WorldACL(zk.PermRead | zk.PermCreate | zk.PermDelete)
	secret := zk.DigestACL(zk.PermAll, "admin", "pw")
	prov := &recordingACLs{PathACLs: recipes.PathACLs{
		Default: zk.WorldACL(zk.PermAll),
		ByPath: map[string][]zk.ACL{
			"/aclns/ro":     readOnly,
			"/aclns/secret": secret,
		},
	}}
	c := rt.Connect(t, s.Servers(), recipes.WithNamespace("aclns"), recipes.WithACLProvider(prov),
		recipes.WithAuth("digest", []byte("admin:pw")))
	obs := rt.Connect(t, s.DirectServers(), recipes.WithAuth("digest", []byte("admin:pw")))
	aclOf := func(p string) []zk.ACL {
		acl, _, err := obs.GetACL(ctx, p)
		require.NoError(t, err, p)
		return acl
	}

	// Plain create, parents made by CreateWithParents, and the longest
	// prefix wins; the namespace node itself gets the default.
	_, err := c.CreateWithParents(ctx, "/ro/a/b", nil, zk.FlagPersistent, nil)
	require.NoError(t, err)
	assert.Equal(t, zk.WorldACL(zk.PermAll), aclOf("/aclns"))
	assert.Equal(t, readOnly, aclOf("/aclns/ro"), "parent made by CreateWithParents")
	assert.Equal(t, readOnly, aclOf("/aclns/ro/a"))
	assert.Equal(t, readOnly, aclOf("/aclns/ro/a/b"))
	// Protected creates and creates in a multi use it too.
	p, err := c.CreateProtected(ctx, "/secret/x-", nil, zk.FlagEphemeralSequential, nil)
	require.NoError(t, err)
	assert.Equal(t, secret[0].Scheme, aclOf("/aclns" + p)[0].Scheme)
	_, err = c.Multi(ctx, &zk.CreateRequest{Path: "/secret/m"})
	require.NoError(t, err)
	assert.Equal(t, secret, aclOf("/aclns/secret/m"))
	// An explicit ACL wins over the provider.
	_, err = c.Create(ctx, "/ro/explicit", nil, zk.FlagPersistent, zk.WorldACL(zk.PermAll))
	require.NoError(t, err)
	assert.Equal(t, zk.WorldACL(zk.PermAll), aclOf("/aclns/ro/explicit"))

	prov.mu.Lock()
	defer prov.mu.Unlock()
	assert.Contains(t, prov.asked, "/aclns", "asked with server paths, namespace included")
	assert.Contains(t, prov.asked, "/aclns/ro/a/b")
}

func TestStateListenerOption(t *testing.T) {
	s := rt.StartServer(t)
	var mu sync.Mutex
	var got []recipes.State
	c := rt.Connect(t, s.Servers(), recipes.WithStateListener(func(st recipes.State) {
		mu.Lock()
		got = append(got, st)
		mu.Unlock()
	}))
	rt.Eventually(t, 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) > 0
	}, "first state")
	mu.Lock()
	assert.Equal(t, recipes.Connected, got[0], "the first Connected is seen")
	mu.Unlock()
	s.ExpireSession(c.Session().ID)
	rt.Eventually(t, 20*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= 3 && got[len(got)-1] == recipes.Reconnected
	}, "Lost then Reconnected, have %v", rt.Lazy(func() string {
		mu.Lock()
		defer mu.Unlock()
		return fmt.Sprint(got)
	}))

	_, err := recipes.Connect(context.Background(), s.Servers(), recipes.WithStateListener(nil))
	assert.ErrorIs(t, err, recipes.ErrBadOption)
}

func TestCreateTTL(t *testing.T) {
	s := rt.StartServer(t)
	ctx := rt.Ctx(t, 30*time.Second)
	c := rt.Connect(t, s.Servers(), recipes.WithNamespace("ttlns"))
	p, err := c.CreateTTL(ctx, "/t", []byte("x"), zk.FlagTTL, nil, time.Hour)
	require.NoError(t, err)
	assert.Equal(t, "/t", p)
	ok, st, err := c.Exists(ctx, "/t")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Zero(t, st.EphemeralOwner, "clients see no owner on a TTL node, as from Java ZooKeeper")
	p, err = c.CreateTTL(ctx, "/seq-", nil, zk.FlagPersistentSequentialWithTTL, nil, time.Hour)
	require.NoError(t, err)
	assert.Equal(t, "/seq-0000000001", p)
	_, err = c.CreateTTL(ctx, "/t", nil, zk.FlagTTL, nil, time.Hour)
	assert.ErrorIs(t, err, zk.ErrNodeExists)
	_, err = c.CreateTTL(ctx, "/bad", nil, zk.FlagEphemeral, nil, time.Hour)
	assert.ErrorIs(t, err, recipes.ErrBadOption)
	_, err = c.CreateTTL(ctx, "/bad", nil, zk.FlagTTL, nil, 0)
	assert.ErrorIs(t, err, recipes.ErrBadOption)
}

func TestCacheWaitReady(t *testing.T) {
	s := rt.StartServer(t)
	ctx := rt.Ctx(t, 30*time.Second)
	c := rt.Connect(t, s.Servers(), recipes.WithNamespace("waitready"))
	for i := 0; i < 3; i++ {
		_, err := c.CreateWithParents(ctx, "/kids/k"+string(rune('0'+i)), []byte("v"), zk.FlagPersistent, nil)
		require.NoError(t, err)
	}
	cc := recipes.NewChildrenCache(c, "/kids")
	require.NoError(t, cc.Start())
	require.NoError(t, cc.WaitReady(ctx))
	assert.Len(t, cc.Snapshot(), 3, "loaded when WaitReady returns")
	require.NoError(t, cc.Close(ctx))
	assert.NoError(t, cc.WaitReady(ctx), "still ready after Close")

	nc := recipes.NewNodeCache(c, "/never")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	// Not started: WaitReady does not hang, it ends with ctx or Close.
	assert.ErrorIs(t, nc.WaitReady(cctx), context.Canceled)
	require.NoError(t, nc.Close(ctx))
	assert.ErrorIs(t, nc.WaitReady(ctx), recipes.ErrClosed)
}
