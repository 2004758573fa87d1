package curatortest_test

import (
	"context"
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/recipes"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

// Curator's TreeCache and recipes.TreeCache watching one subtree that both
// sides change converge to the same tree, the server's, after each round
// of changes, also across the Go client's session expiry.
func TestTreeCacheInterop(t *testing.T) {
	t.Parallel()
	env, d, _, c := setup(t)
	const root = "/interop/tree"
	writer := env.ObserverConnect(t)
	_, err := writer.CreateWithParents(ctx(t), root, []byte("r"), zk.FlagPersistent, nil)
	require.NoError(t, err)

	gc := recipes.NewTreeCache(c, root)
	require.NoError(t, gc.Start())
	t.Cleanup(func() { _ = gc.Close(context.Background()) })
	rt.Receive(t, 30*time.Second, gc.Initialized(), "Go tree cache initialized")
	d.Do(t, "treecache", "jt", "c", root)

	goTree := func() map[string]string {
		out := map[string]string{}
		for p, n := range gc.Snapshot() {
			out[p] = string(n.Data)
		}
		return out
	}
	javaTree := func() map[string]string {
		out := map[string]string{}
		r, err := d.Try(t, "snapshot", "jt")
		if err != nil || json.Unmarshal([]byte(r), &out) != nil {
			return nil
		}
		return out
	}
	converge := func(want map[string]string, what string) {
		t.Helper()
		rt.Eventually(t, 20*time.Second, func() bool {
			return maps.Equal(goTree(), want) && maps.Equal(javaTree(), want)
		}, "%s: go %v, java %v, want %v", what, rt.Lazy(func() string { return jsonOf(goTree()) }),
			rt.Lazy(func() string { return jsonOf(javaTree()) }), want)
	}
	converge(map[string]string{root: "r"}, "initial")

	d.Do(t, "create", "c", root+"/a/b", "2") // parents made with empty data
	d.Do(t, "setdata", "c", root+"/a", "1")
	_, err = writer.Create(ctx(t), root+"/c", []byte("3"), zk.FlagPersistent, nil)
	require.NoError(t, err)
	converge(map[string]string{root: "r", root + "/a": "1", root + "/a/b": "2", root + "/c": "3"}, "after creates")

	d.Do(t, "setdata", "c", root+"/a/b", "x")
	require.NoError(t, writer.Delete(ctx(t), root+"/c", -1))
	converge(map[string]string{root: "r", root + "/a": "1", root + "/a/b": "x"}, "after update and delete")

	// Go's session expires; changes meanwhile are seen once it is back.
	env.ExpireSession(c.Session().ID)
	d.Do(t, "delete", "c", root+"/a")
	d.Do(t, "create", "c", root+"/d", "4")
	converge(map[string]string{root: "r", root + "/d": "4"}, "after Go's session expired")
}

func jsonOf(m map[string]string) string {
	b, _ := json.Marshal(m)
	return string(b)
}
