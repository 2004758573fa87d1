package config

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/recipes/recipestest"
	zktesting "github.com/zkit-go/zkit/testing"
)

func TestMain(m *testing.M) { recipestest.Main(m) }

type dbConfig struct {
	URL   string `json:"url"`
	Conns int    `json:"conns"`
}

func TestPublish(t *testing.T) {
	s := recipestest.StartServer(t)
	ctx := recipestest.Ctx(t, 30*time.Second)
	c := recipestest.Connect(t, s.Servers())
	st := New[dbConfig](c)
	defer st.Close(context.Background())

	v, err := st.Get(ctx, "/app/db")
	require.NoError(t, err)
	assert.False(t, v.Exists)

	w1, err := st.Publish(ctx, "/app/db", dbConfig{"pg://a", 4}, IfAbsent())
	require.NoError(t, err)
	assert.Equal(t, int32(0), w1.Version)
	_, err = st.Publish(ctx, "/app/db", dbConfig{"pg://b", 4}, IfAbsent())
	require.ErrorIs(t, err, ErrConflict)
	require.ErrorIs(t, err, zk.ErrNodeExists)

	w2, err := st.Publish(ctx, "/app/db", dbConfig{"pg://b", 8}, IfVersion(w1.Version))
	require.NoError(t, err)
	assert.Equal(t, int32(1), w2.Version)
	_, err = st.Publish(ctx, "/app/db", dbConfig{"pg://c", 8}, IfVersion(w1.Version))
	require.ErrorIs(t, err, ErrConflict)
	_, err = st.Publish(ctx, "/app/none", dbConfig{}, IfVersion(0))
	require.ErrorIs(t, err, ErrConflict)

	_, err = st.Publish(ctx, "/app/db", dbConfig{"pg://d", 1})
	require.NoError(t, err)
	v, err = st.Get(ctx, "/app/db")
	require.NoError(t, err)
	assert.Equal(t, dbConfig{"pg://d", 1}, v.Value)
	assert.Equal(t, int32(2), v.Version)
	data, _, err := c.Get(ctx, "/app/db")
	require.NoError(t, err)
	assert.JSONEq(t, `{"url":"pg://d","conns":1}`, string(data))

	// A decode func instead of JSON; bad data shows as Err.
	ints := New[int](c, WithDecoder(func(b []byte) (int, error) { return strconv.Atoi(string(b)) }))
	defer ints.Close(context.Background())
	_, err = c.CreateWithParents(ctx, "/app/n", []byte("42"), zk.FlagPersistent, nil)
	require.NoError(t, err)
	n, err := ints.Get(ctx, "/app/n")
	require.NoError(t, err)
	assert.Equal(t, 42, n.Value)
	_, err = c.Set(ctx, "/app/n", []byte("x"), -1)
	require.NoError(t, err)
	n, err = ints.Get(ctx, "/app/n")
	require.NoError(t, err)
	assert.Error(t, n.Err)

	require.NoError(t, st.Close(context.Background()))
	_, err = st.Get(ctx, "/app/db")
	require.ErrorIs(t, err, ErrClosed)
}

// recorder keeps what a watch delivered.
type recorder[V any] struct {
	mu  sync.Mutex
	got []V
}

func record[V any](ch <-chan V) (*recorder[V], <-chan struct{}) {
	r := &recorder[V]{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for v := range ch {
			r.mu.Lock()
			r.got = append(r.got, v)
			r.mu.Unlock()
		}
	}()
	return r, done
}

func (r *recorder[V]) last() (V, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var zero V
	if len(r.got) == 0 {
		return zero, false
	}
	return r.got[len(r.got)-1], true
}

func (r *recorder[V]) all() []V {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]V(nil), r.got...)
}

// The subscriber ends on the current value after every kind of fault,
// and never goes back to an older one.
func TestWatchConverges(t *testing.T) {
	s := recipestest.StartServer(t)
	ctx := recipestest.Ctx(t, 60*time.Second)
	pubc := recipestest.Connect(t, s.DirectServers())
	subc := recipestest.Connect(t, s.Servers())
	pub, sub := New[dbConfig](pubc), New[dbConfig](subc)
	defer pub.Close(context.Background())

	wctx, stop := context.WithCancel(ctx)
	ch, err := sub.Watch(wctx, "/svc/db")
	require.NoError(t, err)
	rec, done := record(ch)
	recipestest.Eventually(t, 10*time.Second, func() bool { _, ok := rec.last(); return ok }, "first value")
	first, _ := rec.last()
	assert.False(t, first.Exists)

	n := 0
	publish := func() dbConfig {
		n++
		v := dbConfig{URL: fmt.Sprintf("pg://%d", n), Conns: n}
		_, err := pub.Publish(ctx, "/svc/db", v)
		require.NoError(t, err)
		return v
	}
	converged := func(what string, want dbConfig) {
		t.Helper()
		recipestest.Eventually(t, 20*time.Second, func() bool {
			v, _ := rec.last()
			return v.Exists && v.Value == want
		}, "%s: last delivered %v, want %+v", what, recipestest.Lazy(func() string { v, _ := rec.last(); return fmt.Sprintf("%+v", v) }), want)
	}
	faults := []struct {
		name   string
		during func()
		after  func()
	}{
		{"plain", func() {}, func() {}},
		{"outage", func() { s.Proxy.SetDown(true) }, func() { s.Proxy.SetDown(false) }},
		{"session expiry", func() { s.ExpireSession(subc.Session().ID) }, func() {}},
		{"server restart", func() { s.Stop() }, func() { s.Restart() }},
		{"cut", func() { s.Proxy.CutAll() }, func() {}},
	}
	for _, f := range faults {
		f.during()
		var want dbConfig
		if f.name != "server restart" {
			for range 3 {
				want = publish()
			}
		}
		f.after()
		if f.name == "server restart" {
			want = publish()
		}
		converged(f.name, want)
	}
	require.NoError(t, pubc.Delete(ctx, "/svc/db", -1))
	recipestest.Eventually(t, 10*time.Second, func() bool { v, _ := rec.last(); return !v.Exists }, "deletion delivered")

	stop()
	<-done
	// Never older than what came before.
	var lastZxid int64
	for _, v := range rec.all() {
		if v.Exists {
			assert.Greater(t, v.Mzxid, lastZxid, "went back to an older value: %+v", v)
			lastZxid = v.Mzxid
		}
	}
	require.NoError(t, sub.Close(context.Background()))
	_, err = sub.Watch(ctx, "/svc/db")
	require.ErrorIs(t, err, ErrClosed)
}

func TestWatchTree(t *testing.T) {
	s := recipestest.StartServer(t)
	ctx := recipestest.Ctx(t, 40*time.Second)
	pubc := recipestest.Connect(t, s.DirectServers())
	subc := recipestest.Connect(t, s.Servers())
	pub, sub := New[string](pubc), New[string](subc)
	defer pub.Close(context.Background())
	defer sub.Close(context.Background())

	_, err := pub.Publish(ctx, "/flags/a", "on")
	require.NoError(t, err)
	_, err = pub.Publish(ctx, "/flags/group/b", "off")
	require.NoError(t, err)
	ch, err := sub.WatchTree(ctx, "/flags")
	require.NoError(t, err)
	rec, _ := record(ch)
	want := func(what string, kv map[string]string) {
		t.Helper()
		recipestest.Eventually(t, 20*time.Second, func() bool {
			tree, ok := rec.last()
			if !ok || len(tree) != len(kv) {
				return false
			}
			for k, v := range kv {
				if tree[k].Value != v || tree[k].Err != nil {
					return false
				}
			}
			return true
		}, "%s: tree %+v, want %v", what, func() any { v, _ := rec.last(); return v }(), kv)
	}
	want("initial", map[string]string{"a": "on", "group/b": "off"})

	_, err = pub.Publish(ctx, "/flags/a", "off")
	require.NoError(t, err)
	want("update", map[string]string{"a": "off", "group/b": "off"})

	s.ExpireSession(subc.Session().ID)
	require.NoError(t, pubc.Delete(ctx, "/flags/group/b", -1))
	_, err = pub.Publish(ctx, "/flags/c", "new")
	require.NoError(t, err)
	want("after expiry", map[string]string{"a": "off", "c": "new"})

	s.Proxy.SetDown(true)
	_, err = pub.Publish(ctx, "/flags/c", "newer")
	require.NoError(t, err)
	s.Proxy.SetDown(false)
	want("after outage", map[string]string{"a": "off", "c": "newer"})
}

// On a three-member ensemble, the member the subscriber and the publisher
// are on stops (the leader, or a follower) while values are published:
// every Publish succeeds, the subscriber ends on the last value and never
// goes back to an older one.
func TestWatchEnsembleMemberStopped(t *testing.T) {
	recipestest.EachMemberFailure(t, func(t *testing.T, ens *recipestest.Ensemble, victim *zktesting.Member) {
		ctx := recipestest.Ctx(t, 60*time.Second)
		pubc, subc := ens.ConnectOn(t, victim), ens.ConnectOn(t, victim)
		pub, sub := New[dbConfig](pubc), New[dbConfig](subc)
		defer pub.Close(context.Background())
		defer sub.Close(context.Background())
		wctx, stop := context.WithCancel(ctx)
		ch, err := sub.Watch(wctx, "/svc/db")
		require.NoError(t, err)
		rec, done := record(ch)
		recipestest.Eventually(t, 10*time.Second, func() bool { _, ok := rec.last(); return ok }, "first value")

		const values, stopAt = 20, 5
		var want dbConfig
		for n := 1; n <= values; n++ {
			if n == stopAt {
				victim.Stop()
			}
			want = dbConfig{URL: fmt.Sprintf("pg://%d", n), Conns: n}
			_, err := pub.Publish(ctx, "/svc/db", want)
			require.NoError(t, err, "publish %d", n)
		}
		recipestest.Eventually(t, 20*time.Second, func() bool {
			v, _ := rec.last()
			return v.Exists && v.Value == want
		}, "last delivered %v, want %+v", recipestest.Lazy(func() string { v, _ := rec.last(); return fmt.Sprintf("%+v", v) }), want)
		stop()
		<-done
		var last dbConfig
		var lastZxid int64
		for _, v := range rec.all() {
			if v.Exists {
				assert.Greater(t, v.Mzxid, lastZxid, "went back to an older value: %+v", v)
				assert.Greater(t, v.Value.Conns, last.Conns, "delivered out of order: %+v", v)
				last, lastZxid = v.Value, v.Mzxid
			}
		}
	})
}
