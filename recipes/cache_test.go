package recipes_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/recipes"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

// eventLog records cache events and replays them into a model of the
// cache, to check that the event stream alone rebuilds the snapshot.
type eventLog struct {
	mu     sync.Mutex
	events []recipes.CacheEvent
	model  map[string]recipes.Node
	bad    []string
}

func recordEvents(l interface {
	Listen(func(recipes.CacheEvent)) func()
}) *eventLog {
	el := &eventLog{model: map[string]recipes.Node{}}
	l.Listen(func(ev recipes.CacheEvent) {
		el.mu.Lock()
		defer el.mu.Unlock()
		el.events = append(el.events, ev)
		_, had := el.model[ev.Node.Path]
		switch ev.Type {
		case recipes.NodeAdded:
			if had {
				el.bad = append(el.bad, "added twice: "+ev.Node.Path)
			}
			el.model[ev.Node.Path] = ev.Node
		case recipes.NodeUpdated:
			if !had {
				el.bad = append(el.bad, "updated unknown: "+ev.Node.Path)
			}
			el.model[ev.Node.Path] = ev.Node
		case recipes.NodeRemoved:
			if !had {
				el.bad = append(el.bad, "removed unknown: "+ev.Node.Path)
			}
			delete(el.model, ev.Node.Path)
		}
	})
	return el
}

func (el *eventLog) types() []string {
	el.mu.Lock()
	defer el.mu.Unlock()
	var out []string
	for _, ev := range el.events {
		out = append(out, ev.Type.String()+" "+ev.Node.Path+" "+string(ev.Node.Data))
	}
	return out
}

func (el *eventLog) snapshot() (map[string]recipes.Node, []string) {
	el.mu.Lock()
	defer el.mu.Unlock()
	m := make(map[string]recipes.Node, len(el.model))
	for k, v := range el.model {
		m[k] = v
	}
	return m, append([]string(nil), el.bad...)
}

func waitInit(t testing.TB, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(rt.Scale(30 * time.Second)):
		t.Fatal("cache not initialised")
	}
}

func TestNodeCacheEvents(t *testing.T) {
	s := rt.StartServer(t)
	c := rt.Connect(t, s.Servers(), recipes.WithNamespace("nodecache"))
	ctx := rt.Ctx(t, 30*time.Second)
	nc := recipes.NewNodeCache(c, "/n")
	el := recordEvents(nc)
	require.NoError(t, nc.Start())
	defer nc.Close(context.Background())
	waitInit(t, nc.Initialized())
	_, ok := nc.Current()
	assert.False(t, ok)

	_, err := c.Create(ctx, "/n", []byte("1"), zk.FlagPersistent, nil)
	require.NoError(t, err)
	rt.Eventually(t, 10*time.Second, func() bool { n, ok := nc.Current(); return ok && string(n.Data) == "1" }, "created")
	_, err = c.Set(ctx, "/n", []byte("2"), -1)
	require.NoError(t, err)
	rt.Eventually(t, 10*time.Second, func() bool { n, ok := nc.Current(); return ok && string(n.Data) == "2" }, "updated")
	require.NoError(t, c.Delete(ctx, "/n", -1))
	rt.Eventually(t, 10*time.Second, func() bool { _, ok := nc.Current(); return !ok }, "deleted")
	rt.Eventually(t, 10*time.Second, func() bool { return len(el.types()) == 4 }, "events %v", el.types())
	assert.Equal(t, []string{"initialized  ", "added /n 1", "updated /n 2", "removed /n 2"}, el.types())
}

func TestChildrenCacheEvents(t *testing.T) {
	s := rt.StartServer(t)
	c := rt.Connect(t, s.Servers(), recipes.WithNamespace("childrencache"))
	ctx := rt.Ctx(t, 30*time.Second)
	_, err := c.CreateWithParents(ctx, "/p/a", []byte("a"), zk.FlagPersistent, nil)
	require.NoError(t, err)
	cc := recipes.NewChildrenCache(c, "/p")
	el := recordEvents(cc)
	require.NoError(t, cc.Start())
	defer cc.Close(context.Background())
	waitInit(t, cc.Initialized())
	require.Len(t, cc.Snapshot(), 1, "loaded before Initialized")

	_, err = c.Create(ctx, "/p/b", []byte("b"), zk.FlagPersistent, nil)
	require.NoError(t, err)
	_, err = c.Set(ctx, "/p/a", []byte("a2"), -1)
	require.NoError(t, err)
	require.NoError(t, c.Delete(ctx, "/p/b", -1))
	rt.Eventually(t, 10*time.Second, func() bool {
		snap := cc.Snapshot()
		return len(snap) == 1 && string(snap[0].Data) == "a2"
	}, "snapshot %v", cc.Snapshot())
	// Listeners run on their own goroutine, so the events may trail the
	// snapshot a little.
	rt.Eventually(t, 10*time.Second, func() bool {
		model, _ := el.snapshot()
		return string(model["/p/a"].Data) == "a2" && len(model) == 1
	}, "events catch up with the snapshot")
	model, bad := el.snapshot()
	assert.Empty(t, bad)
	assert.Equal(t, []byte("a2"), model["/p/a"].Data)
	n, ok := cc.Get("a")
	assert.True(t, ok)
	assert.Equal(t, "/p/a", n.Path)
}

func TestTreeCacheEvents(t *testing.T) {
	s := rt.StartServer(t)
	c := rt.Connect(t, s.Servers(), recipes.WithNamespace("treecache"))
	ctx := rt.Ctx(t, 30*time.Second)
	tc := recipes.NewTreeCache(c, "/t")
	el := recordEvents(tc)
	require.NoError(t, tc.Start())
	defer tc.Close(context.Background())
	waitInit(t, tc.Initialized())
	assert.Empty(t, tc.Snapshot())

	_, err := c.CreateWithParents(ctx, "/t/a/b/c", []byte("c"), zk.FlagPersistent, nil)
	require.NoError(t, err)
	rt.Eventually(t, 10*time.Second, func() bool { _, ok := tc.Get("/t/a/b/c"); return ok }, "deep node")
	assert.Equal(t, []string{"a"}, tc.Children("/t"))
	require.NoError(t, c.DeleteAll(ctx, "/t/a"))
	rt.Eventually(t, 10*time.Second, func() bool { return len(tc.Snapshot()) == 1 }, "subtree removed: %v", tc.Snapshot())
	model, bad := el.snapshot()
	assert.Empty(t, bad)
	assert.Equal(t, tc.Snapshot(), model)
}

// readTree reads the subtree at root from the server.
func readTree(ctx context.Context, c *recipes.Client, root string) (map[string]recipes.Node, error) {
	out := map[string]recipes.Node{}
	var walk func(p string) error
	walk = func(p string) error {
		data, st, err := c.Get(ctx, p)
		if errors.Is(err, zk.ErrNoNode) {
			return nil
		}
		if err != nil {
			return err
		}
		out[p] = recipes.Node{Path: p, Data: data, Stat: *st}
		kids, _, err := c.Children(ctx, p)
		if errors.Is(err, zk.ErrNoNode) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, k := range kids {
			if err := walk(recipes.JoinPath(p, k)); err != nil {
				return err
			}
		}
		return nil
	}
	return out, walk(root)
}

// sameNodes compares by data, creation and version.
func sameNodes(a, b map[string]recipes.Node) string {
	var diffs []string
	for p, n := range a {
		m, ok := b[p]
		switch {
		case !ok:
			diffs = append(diffs, "missing "+p)
		case string(n.Data) != string(m.Data) || n.Stat.Czxid != m.Stat.Czxid || n.Stat.Version != m.Stat.Version:
			diffs = append(diffs, fmt.Sprintf("differs %s: %q/%d vs %q/%d", p, n.Data, n.Stat.Version, m.Data, m.Stat.Version))
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			diffs = append(diffs, "extra "+p)
		}
	}
	sort.Strings(diffs)
	if len(diffs) == 0 {
		return ""
	}
	return fmt.Sprint(diffs)
}

func testSeed(t *testing.T) int64 {
	seed := time.Now().UnixNano()
	if s := os.Getenv("ZKIT_TEST_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("seed %d (set ZKIT_TEST_SEED to replay)", seed)
	return seed
}

// Caches follow a subtree that a second client churns while the caches'
// own connection is cut, made unreachable and has its session expired.
// Once the churn stops, every cache matches the server and its event
// stream rebuilds its snapshot.
func TestCachesConvergeUnderFaults(t *testing.T) {
	rng := rand.New(rand.NewSource(testSeed(t)))
	s := rt.StartServer(t)
	writer := rt.Connect(t, s.DirectServers(), recipes.WithNamespace("converge"))
	c := rt.Connect(t, s.Servers(), recipes.WithNamespace("converge"), recipes.WithSessionTimeout(rt.Scale(3*time.Second)))
	ctx := rt.Ctx(t, 120*time.Second)
	states := recordStates(c)
	require.NoError(t, writer.EnsurePath(ctx, "/tree"))

	nc := recipes.NewNodeCache(c, "/tree/a")
	cc := recipes.NewChildrenCache(c, "/tree")
	tc := recipes.NewTreeCache(c, "/tree")
	nEv, cEv, tEv := recordEvents(nc), recordEvents(cc), recordEvents(tc)
	for _, start := range []func() error{nc.Start, cc.Start, tc.Start} {
		require.NoError(t, start())
	}
	defer nc.Close(context.Background())
	defer cc.Close(context.Background())
	defer tc.Close(context.Background())
	waitInit(t, nc.Initialized())
	waitInit(t, cc.Initialized())
	waitInit(t, tc.Initialized())

	paths := []string{"/tree/a", "/tree/b", "/tree/c", "/tree/a/x", "/tree/a/y", "/tree/b/x", "/tree/a/x/p", "/tree/a/x/q"}
	ops := make([]int, 300)
	pick := make([]int, len(ops))
	for i := range ops {
		ops[i], pick[i] = rng.Intn(3), rng.Intn(len(paths))
	}
	faults := make([]int, 12)
	for i := range faults {
		faults[i] = rng.Intn(3)
	}
	faults[rng.Intn(len(faults))] = 3 // one session expiry

	churnDone := make(chan error, 1)
	go func() {
		for i := range ops {
			p := paths[pick[i]]
			var err error
			switch ops[i] {
			case 0:
				_, err = writer.CreateWithParents(ctx, p, []byte(strconv.Itoa(i)), zk.FlagPersistent, nil)
			case 1:
				_, err = writer.Set(ctx, p, []byte(strconv.Itoa(i)), -1)
			case 2:
				err = writer.Delete(ctx, p, -1)
			}
			if err != nil && !errors.Is(err, zk.ErrNodeExists) && !errors.Is(err, zk.ErrNoNode) && !errors.Is(err, zk.ErrNotEmpty) {
				churnDone <- fmt.Errorf("op %d on %s: %w", ops[i], p, err)
				return
			}
		}
		churnDone <- nil
	}()

	for _, f := range faults {
		switch f {
		case 0:
			s.Proxy.CutAll()
		case 1:
			s.Proxy.SetDown(true)
			time.Sleep(time.Duration(50+rng.Intn(300)) * time.Millisecond) // outage length, not synchronisation
			s.Proxy.SetDown(false)
		case 2:
			s.Proxy.Partition(true)
			time.Sleep(time.Duration(50+rng.Intn(300)) * time.Millisecond)
			s.Proxy.Partition(false)
		case 3:
			s.ExpireSession(c.Session().ID)
		}
		time.Sleep(time.Duration(100+rng.Intn(200)) * time.Millisecond) // pace the faults
	}
	require.NoError(t, <-churnDone)
	states.waitFor(t, 30*time.Second, recipes.Reconnected)
	assert.Contains(t, states.get(), recipes.Lost, "the faults include a lost session")
	assert.Greater(t, c.Session().Epoch, uint64(1))

	rt.Eventually(t, 60*time.Second, func() bool {
		truth, err := readTree(ctx, writer, "/tree")
		if err != nil {
			return false
		}
		kids := map[string]recipes.Node{}
		for p, n := range truth {
			if parent, _ := recipes.SplitPath(p); parent == "/tree" {
				kids[p] = n
			}
		}
		ccSnap := map[string]recipes.Node{}
		for _, n := range cc.Snapshot() {
			ccSnap[n.Path] = n
		}
		ncSnap := map[string]recipes.Node{}
		if n, ok := nc.Current(); ok {
			ncSnap[n.Path] = n
		}
		ncTruth := map[string]recipes.Node{}
		if n, ok := truth["/tree/a"]; ok {
			ncTruth["/tree/a"] = n
		}
		return sameNodes(truth, tc.Snapshot()) == "" && sameNodes(kids, ccSnap) == "" && sameNodes(ncTruth, ncSnap) == ""
	}, "caches did not converge: tree cache vs server: %v", rt.Lazy(func() string {
		truth, _ := readTree(ctx, writer, "/tree")
		return sameNodes(truth, tc.Snapshot())
	}))

	for name, el := range map[string]*eventLog{"node": nEv, "children": cEv, "tree": tEv} {
		var snap map[string]recipes.Node
		switch name {
		case "node":
			snap = map[string]recipes.Node{}
			if n, ok := nc.Current(); ok {
				snap[n.Path] = n
			}
		case "children":
			snap = map[string]recipes.Node{}
			for _, n := range cc.Snapshot() {
				snap[n.Path] = n
			}
		case "tree":
			snap = tc.Snapshot()
		}
		rt.Eventually(t, 10*time.Second, func() bool {
			model, _ := el.snapshot()
			return sameNodes(snap, model) == ""
		}, "%s cache events do not rebuild its snapshot", name)
		_, bad := el.snapshot()
		assert.Empty(t, bad, "%s cache events", name)
	}
}

// Closing the client first ends its caches and Watchers as well; their
// Close still works afterwards.
func TestClientCloseEndsCaches(t *testing.T) {
	s := rt.StartServer(t)
	c := rt.Connect(t, s.Servers(), recipes.WithNamespace("close-order"))
	tc := recipes.NewTreeCache(c, "/t")
	require.NoError(t, tc.Start())
	waitInit(t, tc.Initialized())
	w, err := c.NewWatcher(func(recipes.WatchResult) {})
	require.NoError(t, err)
	require.NoError(t, w.Add("/x", recipes.WatchExists))

	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(rt.Scale(20 * time.Second)):
		t.Fatal("client Close hangs with open caches")
	}
	require.NoError(t, tc.Close(context.Background()))
	w.Close()
	assert.ErrorIs(t, recipes.NewTreeCache(c, "/t").Start(), recipes.ErrClosed)
}
