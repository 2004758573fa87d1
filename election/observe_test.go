package election_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/election"
	"github.com/zkit-go/zkit/internal/curatortest"
	"github.com/zkit-go/zkit/recipes"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
	zktesting "github.com/zkit-go/zkit/testing"
)

// watcher records what Observe sends.
type watcher struct {
	mu   sync.Mutex // guards seen
	seen []string   // leader ids; "" for no leader
	done chan struct{}
}

func observe(t *testing.T, c *recipes.Client, path string) *watcher {
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{done: make(chan struct{})}
	ch := election.Observe(ctx, c, path)
	go func() {
		defer close(w.done)
		for p := range ch {
			w.mu.Lock()
			w.seen = append(w.seen, p.ID)
			w.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-w.done // the channel is closed once ctx ends
	})
	return w
}

func (w *watcher) last() (string, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.seen) == 0 {
		return "<none>", 0
	}
	return w.seen[len(w.seen)-1], len(w.seen)
}

func (w *watcher) is(id string) func() bool {
	return func() bool { got, _ := w.last(); return got == id }
}

func (w *watcher) history() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.seen...)
}

func startLatch(t *testing.T, c *recipes.Client, id string, opts ...election.Option) *election.Latch {
	l := election.NewLatch(c, "/leader", id, opts...)
	require.NoError(t, l.Start())
	t.Cleanup(func() { l.Close(context.Background()) })
	return l
}

func TestObserve(t *testing.T) {
	env := rt.StartServer(t)
	ns := recipes.WithNamespace(rt.Namespace("observe"))
	ctx := rt.Ctx(t, 30*time.Second)
	w := observe(t, env.Connect(t, ns), "/leader")
	rt.Eventually(t, 10*time.Second, w.is(""), "no leader at first (the path does not even exist)")

	a := startLatch(t, env.Connect(t, ns), "a")
	rt.Eventually(t, 10*time.Second, w.is("a"), "a leads")
	b := startLatch(t, env.Connect(t, ns), "b")
	rt.Eventually(t, 10*time.Second, func() bool {
		ps, err := b.Participants(ctx)
		return err == nil && len(ps) == 2
	}, "b queued")
	require.NoError(t, a.Close(ctx))
	rt.Eventually(t, 10*time.Second, w.is("b"), "b leads after a leaves")
	require.NoError(t, b.Close(ctx))
	rt.Eventually(t, 10*time.Second, w.is(""), "nobody leads")
	// b queueing behind a changed nothing; each change was sent once.
	assert.Equal(t, []string{"", "a", "b", ""}, w.history())

	// A Selector's election is observed the same way.
	s := election.NewSelector(env.Connect(t, ns), "/sel", "s1", func(ctx context.Context) { <-ctx.Done() })
	require.NoError(t, s.Start())
	defer s.Close(context.Background())
	ws := observe(t, env.Connect(t, ns), "/sel")
	rt.Eventually(t, 10*time.Second, ws.is("s1"), "selector's leader")
}

// A consumer that does not read while leadership moves gets the latest
// leader when it reads, never a stale one after it.
func TestObserveSlowConsumer(t *testing.T) {
	env := rt.StartServer(t)
	ns := recipes.WithNamespace(rt.Namespace("observe"))
	ctx, cancel := context.WithCancel(rt.Ctx(t, 30*time.Second))
	defer cancel()
	ch := election.Observe(ctx, env.Connect(t, ns), "/leader")
	assert.Equal(t, "", rt.Receive(t, 10*time.Second, ch, "first value").ID)
	var ls []*election.Latch
	for i := 0; i < 4; i++ {
		ls = append(ls, startLatch(t, env.Connect(t, ns), fmt.Sprint("p", i)))
		require.NoError(t, ls[0].Await(ctx))
	}
	for i := 0; i < 3; i++ {
		require.NoError(t, ls[i].Close(ctx))
	}
	require.NoError(t, ls[3].Await(ctx))
	var got []string
	for {
		p := rt.Receive(t, 10*time.Second, ch, "leader")
		got = append(got, p.ID)
		if p.ID == "p3" {
			break
		}
	}
	select {
	case p := <-ch:
		t.Fatalf("more after the final state: %+v (had %v)", p, got)
	case <-time.After(rt.Scale(300 * time.Millisecond)): // nothing more is due; a bounded look
	}
	cancel()
	for range ch {
	}
}

// The leader's session expires, the observer's session expires, and the
// server restarts: the observer follows through all of it.
func TestObserveFaults(t *testing.T) {
	env := rt.StartServer(t)
	ns := recipes.WithNamespace(rt.Namespace("observe"))
	ctx := rt.Ctx(t, 60*time.Second)
	co := env.Connect(t, ns)
	w := observe(t, co, "/leader")
	ca := env.Connect(t, ns)
	a := startLatch(t, ca, "a")
	rt.Eventually(t, 10*time.Second, w.is("a"), "a leads")
	b := startLatch(t, env.Connect(t, ns), "b")
	rt.Eventually(t, 10*time.Second, func() bool {
		ps, err := b.Participants(ctx)
		return err == nil && len(ps) == 2
	}, "b queued")

	env.ExpireSession(ca.Session().ID)
	rt.Eventually(t, 20*time.Second, w.is("b"), "b leads after a's session expired")

	rt.ExpireAndWait(t, env, co)
	require.NoError(t, b.Close(ctx))
	rt.Eventually(t, 20*time.Second, w.is("a"), "a (queued again) leads, seen on the observer's new session")

	env.Stop()
	env.Restart()
	rt.WaitServed(t, co)
	require.NoError(t, a.Close(ctx))
	rt.Eventually(t, 20*time.Second, w.is(""), "no leader, seen after the restart")
}

func TestObserveEnsembleMemberStopped(t *testing.T) {
	rt.EachMemberFailure(t, func(t *testing.T, ens *rt.Ensemble, victim *zktesting.Member) {
		ns := recipes.WithNamespace(rt.Namespace("observe"))
		ctx := rt.Ctx(t, 60*time.Second)
		co := ens.ConnectOn(t, victim, ns, recipes.WithSessionTimeout(rt.Scale(8*time.Second)))
		w := observe(t, co, "/leader")
		a := startLatch(t, ens.ObserverConnect(t, ns), "a")
		rt.Eventually(t, 10*time.Second, w.is("a"), "a leads")
		b := startLatch(t, ens.ObserverConnect(t, ns), "b")
		rt.Eventually(t, 10*time.Second, func() bool {
			ps, err := b.Participants(ctx)
			return err == nil && len(ps) == 2
		}, "b queued")
		victim.Stop()
		rt.WaitServed(t, co)
		require.NoError(t, a.Close(ctx))
		rt.Eventually(t, 20*time.Second, w.is("b"), "b leads, seen after the failover")
	})
}

func TestLatchCloseModes(t *testing.T) {
	env := rt.StartServer(t)
	ns := recipes.WithNamespace(rt.Namespace("closemode"))
	ctx := rt.Ctx(t, 30*time.Second)
	for _, tc := range []struct {
		name     string
		opts     []election.Option
		override *election.CloseMode
		notified bool
	}{
		{"default", nil, nil, true},
		{"NotifyLeader", []election.Option{election.WithCloseMode(election.NotifyLeader)}, nil, true},
		{"Silent", []election.Option{election.WithCloseMode(election.Silent)}, nil, false},
		{"SilentByCall", nil, ptr(election.Silent), false},
		{"NotifyByCall", []election.Option{election.WithCloseMode(election.Silent)}, ptr(election.NotifyLeader), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := election.NewLatch(env.Connect(t, ns), "/"+tc.name, "x", tc.opts...)
			events := make(chan bool, 4)
			l.Listen(func(v bool) { events <- v })
			require.NoError(t, l.Start())
			require.NoError(t, l.Await(ctx))
			require.True(t, rt.Receive(t, 10*time.Second, events, "became leader"))
			notLeader := l.NotLeader()
			if tc.override != nil {
				require.NoError(t, l.CloseWithMode(ctx, *tc.override))
			} else {
				require.NoError(t, l.Close(ctx))
			}
			rt.Receive(t, time.Second, notLeader, "NotLeader closes in every mode")
			// Close has waited for the listener goroutine: anything it
			// delivered is in events now.
			select {
			case v := <-events:
				assert.True(t, tc.notified, "listener called on Close")
				assert.False(t, v)
			default:
				assert.False(t, tc.notified, "listener not called on Close")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// Observe follows a Curator LeaderLatch's election.
func TestObserveCuratorLatch(t *testing.T) {
	env := rt.StartServer(t)
	ns := rt.Namespace("curobserve")
	d := curatortest.Start(t, strings.Join(env.DirectServers(), ","))
	d.ClientIn(t, "c", ns, 10*time.Second)
	w := observe(t, env.Connect(t, recipes.WithNamespace(ns)), "/leader")
	d.Do(t, "latch", "java", "c", "/leader", "java")
	d.Do(t, "start", "java")
	rt.Eventually(t, 20*time.Second, w.is("java"), "Curator's leader observed")
	l := startLatch(t, env.Connect(t, recipes.WithNamespace(ns)), "go")
	ctx := rt.Ctx(t, 30*time.Second)
	rt.Eventually(t, 20*time.Second, func() bool {
		ps, err := l.Participants(ctx)
		return err == nil && len(ps) == 2
	}, "zkit latch queued behind Curator's")
	d.Do(t, "close", "java")
	rt.Eventually(t, 20*time.Second, w.is("go"), "zkit latch leads after Curator's closes")
	require.NoError(t, l.Await(ctx))
}
