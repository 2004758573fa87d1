package recipes_test

import (
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/recipes"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

type watchLog struct {
	mu      sync.Mutex
	results []recipes.WatchResult
}

func (l *watchLog) add(r recipes.WatchResult) {
	l.mu.Lock()
	l.results = append(l.results, r)
	l.mu.Unlock()
}

func (l *watchLog) last() (recipes.WatchResult, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.results) == 0 {
		return recipes.WatchResult{}, false
	}
	return l.results[len(l.results)-1], true
}

func (l *watchLog) lastData() string {
	r, ok := l.last()
	if !ok || !r.Exists {
		return "<none>"
	}
	return string(r.Data)
}

// The watch stays armed across events, a cut connection, an outage in
// which the node changes, and a session expiry.
func TestWatcherStaysArmed(t *testing.T) {
	s := rt.StartServer(t)
	c := rt.Connect(t, s.Servers(), recipes.WithNamespace("watcher"), recipes.WithSessionTimeout(rt.Scale(8*time.Second)))
	writer := rt.Connect(t, s.DirectServers(), recipes.WithNamespace("watcher"))
	ctx := rt.Ctx(t, 60*time.Second)
	states := recordStates(c)

	var log watchLog
	w, err := c.NewWatcher(log.add)
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, w.Add("/w", recipes.WatchData))
	rt.Eventually(t, 10*time.Second, func() bool { _, ok := log.last(); return ok }, "first read")
	r, _ := log.last()
	assert.False(t, r.Exists)
	assert.Equal(t, "/w", r.Path)

	set := func(v string) {
		t.Helper()
		_, err := writer.Set(ctx, "/w", []byte(v), -1)
		if err != nil {
			_, err = writer.Create(ctx, "/w", []byte(v), zk.FlagPersistent, nil)
		}
		require.NoError(t, err)
	}
	set("1")
	rt.Eventually(t, 10*time.Second, func() bool { return log.lastData() == "1" }, "created: %s", log.lastData())
	set("2")
	rt.Eventually(t, 10*time.Second, func() bool { return log.lastData() == "2" }, "set: %s", log.lastData())

	s.Proxy.CutAll()
	states.waitFor(t, 10*time.Second, recipes.Reconnected)
	set("3")
	rt.Eventually(t, 10*time.Second, func() bool { return log.lastData() == "3" }, "after reconnect: %s", log.lastData())

	s.Proxy.SetDown(true)
	states.waitFor(t, 10*time.Second, recipes.Suspended)
	set("4") // changed while we cannot hear about it
	s.Proxy.SetDown(false)
	rt.Eventually(t, 20*time.Second, func() bool { return log.lastData() == "4" }, "change during outage: %s", log.lastData())

	s.ExpireSession(c.Session().ID)
	states.waitFor(t, 20*time.Second, recipes.Lost, recipes.Reconnected)
	set("5")
	rt.Eventually(t, 10*time.Second, func() bool { return log.lastData() == "5" }, "after new session: %s", log.lastData())

	require.NoError(t, writer.Delete(ctx, "/w", -1))
	rt.Eventually(t, 10*time.Second, func() bool { return log.lastData() == "<none>" }, "deleted: %s", log.lastData())
	set("6")
	rt.Eventually(t, 10*time.Second, func() bool { return log.lastData() == "6" }, "re-created: %s", log.lastData())

	w.Remove("/w", recipes.WatchData)
	n := func() int { log.mu.Lock(); defer log.mu.Unlock(); return len(log.results) }()
	set("7")
	_, err = writer.Sync(ctx, "/w")
	require.NoError(t, err)
	_, _, err = c.Get(ctx, "/w") // a round trip on the watcher's connection after the event
	require.NoError(t, err)
	assert.Equal(t, n, func() int { log.mu.Lock(); defer log.mu.Unlock(); return len(log.results) }(), "removed watch still reported")
}

func TestWatcherChildren(t *testing.T) {
	s := rt.StartServer(t)
	c := rt.Connect(t, s.Servers(), recipes.WithNamespace("watcher-children"))
	ctx := rt.Ctx(t, 30*time.Second)
	var log watchLog
	w, err := c.NewWatcher(log.add)
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, w.Add("/p", recipes.WatchChildren))
	_, err = c.CreateWithParents(ctx, "/p/b", nil, zk.FlagPersistent, nil)
	require.NoError(t, err)
	_, err = c.Create(ctx, "/p/a", nil, zk.FlagPersistent, nil)
	require.NoError(t, err)
	rt.Eventually(t, 10*time.Second, func() bool {
		r, ok := log.last()
		return ok && len(r.Children) == 2
	}, "children")
	r, _ := log.last()
	assert.Equal(t, []string{"a", "b"}, r.Children)
	assert.Equal(t, recipes.WatchChildren, r.Kind)
}
