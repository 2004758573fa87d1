package barrier

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/recipes"
	"github.com/zkit-go/zkit/recipes/recipestest"
	zktesting "github.com/zkit-go/zkit/testing"
)

func TestMain(m *testing.M) { recipestest.Main(m) }

// result is the outcome of a call run in the background.
type result struct {
	mu   sync.Mutex
	done bool
	err  error
}

func async(f func() error) *result {
	r := &result{}
	go func() {
		err := f()
		r.mu.Lock()
		r.done, r.err = true, err
		r.mu.Unlock()
	}()
	return r
}

func (r *result) get() (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.done, r.err
}

func (r *result) wait(t *testing.T, what string) error {
	t.Helper()
	recipestest.Eventually(t, 20*time.Second, func() bool { d, _ := r.get(); return d }, "%s did not return", what)
	_, err := r.get()
	return err
}

func TestBarrier(t *testing.T) {
	s := recipestest.StartServer(t)
	ctx := recipestest.Ctx(t, 40*time.Second)
	setter := recipestest.Connect(t, s.DirectServers())
	waiter := recipestest.Connect(t, s.Servers())
	b := NewBarrier(setter, "/gate/b")
	defer b.Close(context.Background())
	w := NewBarrier(waiter, "/gate/b")
	defer w.Close(context.Background())

	require.NoError(t, w.Wait(ctx), "no barrier: no wait")
	require.NoError(t, b.Set(ctx))
	require.NoError(t, b.Set(ctx), "set twice")

	r := async(func() error { return w.Wait(ctx) })
	// The waiter's session expires and the server restarts: it keeps
	// waiting while the barrier is up.
	recipestest.ExpireAndWait(t, s, waiter)
	s.Restart()
	ok, _, err := setter.Exists(ctx, "/gate/b")
	require.NoError(t, err)
	require.True(t, ok)
	done, _ := r.get()
	assert.False(t, done, "Wait returned while the barrier is raised")

	require.NoError(t, b.Remove(ctx))
	require.NoError(t, r.wait(t, "Wait"))
	require.NoError(t, b.Remove(ctx), "remove twice")

	require.NoError(t, b.Set(ctx))
	r = async(func() error { return w.Wait(ctx) })
	w.Close(context.Background())
	require.ErrorIs(t, r.wait(t, "Wait after Close"), ErrClosed)
}

// member is a DoubleBarrier on a client with its own proxy, so it can
// crash alone: its network goes down and its session expires.
type member struct {
	s     *recipestest.Env
	proxy *recipestest.Proxy
	c     *recipes.Client
	b     *DoubleBarrier
}

func newMember(t *testing.T, s *recipestest.Env, path string, n int) *member {
	p := recipestest.StartProxy(t, s.Srv.Addr())
	c := recipestest.Connect(t, []string{p.Addr()})
	t.Cleanup(func() { p.SetDown(false) }) // lets a crashed member's client close quickly
	b, err := NewDoubleBarrier(c, path, n)
	require.NoError(t, err)
	t.Cleanup(func() { b.Close(context.Background()) })
	return &member{s: s, proxy: p, c: c, b: b}
}

func (m *member) crash() {
	id := m.c.Session().ID
	m.proxy.SetDown(true)
	m.s.ExpireSession(id)
}

func memberCount(t *testing.T, c *recipes.Client, path string) int {
	names, _, err := c.Children(recipestest.Ctx(t, 10*time.Second), path)
	if err != nil {
		return -1
	}
	return len(members(names))
}

func TestDoubleBarrier(t *testing.T) {
	s := recipestest.StartServer(t)
	ctx := recipestest.Ctx(t, 50*time.Second)
	obs := recipestest.Connect(t, s.DirectServers())
	const path = "/dbl"
	_, err := NewDoubleBarrier(obs, path, 0)
	require.ErrorIs(t, err, ErrBadCount)

	// A member arrives and crashes before the barrier is full: it no
	// longer counts.
	x := newMember(t, s, path, 3)
	xctx, xcancel := context.WithCancel(ctx)
	defer xcancel()
	xr := async(func() error { return x.b.Enter(xctx) })
	recipestest.Eventually(t, 10*time.Second, func() bool { return memberCount(t, obs, path) == 1 }, "x arrived")
	x.crash()
	recipestest.Eventually(t, 10*time.Second, func() bool { return memberCount(t, obs, path) == 0 }, "x's node gone")

	a, b, c := newMember(t, s, path, 3), newMember(t, s, path, 3), newMember(t, s, path, 3)
	require.ErrorIs(t, a.b.Leave(ctx), ErrNotEntered)
	ra := async(func() error { return a.b.Enter(ctx) })
	rb := async(func() error { return b.b.Enter(ctx) })
	recipestest.Eventually(t, 10*time.Second, func() bool { return memberCount(t, obs, path) == 2 }, "a and b arrived")
	// a's own session expires while it waits: it comes back.
	recipestest.ExpireAndWait(t, s, a.c)
	recipestest.Eventually(t, 10*time.Second, func() bool { return memberCount(t, obs, path) == 2 }, "a re-created its node")
	for _, r := range []*result{ra, rb} {
		done, _ := r.get()
		assert.False(t, done, "entered with 2 of 3 members")
	}
	rc := async(func() error { return c.b.Enter(ctx) })
	for _, r := range []*result{ra, rb, rc} {
		require.NoError(t, r.wait(t, "Enter"))
	}
	xcancel()
	assert.Error(t, xr.wait(t, "crashed member's Enter"))

	// Leaving: c crashes; a and b leave without it. b waits for a.
	c.crash()
	la := async(func() error { return a.b.Leave(ctx) })
	lb := async(func() error { return b.b.Leave(ctx) })
	require.NoError(t, la.wait(t, "a's Leave"))
	require.NoError(t, lb.wait(t, "b's Leave"))
	ok, _, err := obs.Exists(ctx, path+"/ready")
	require.NoError(t, err)
	assert.False(t, ok, "ready removed by the last to leave")
	assert.Equal(t, 0, memberCount(t, obs, path))
}

// Leave does not return before every member has left.
func TestDoubleBarrierLeaveWaits(t *testing.T) {
	s := recipestest.StartServer(t)
	ctx := recipestest.Ctx(t, 40*time.Second)
	const path = "/dbl2"
	var ms []*member
	var rs []*result
	for range 3 {
		m := newMember(t, s, path, 3)
		ms = append(ms, m)
		rs = append(rs, async(func() error { return m.b.Enter(ctx) }))
	}
	for _, r := range rs {
		require.NoError(t, r.wait(t, "Enter"))
	}
	// Two leave; the third is still working, so they wait. The server
	// restarts meanwhile.
	l0 := async(func() error { return ms[0].b.Leave(ctx) })
	l1 := async(func() error { return ms[1].b.Leave(ctx) })
	obs := recipestest.Connect(t, s.DirectServers())
	recipestest.Eventually(t, 10*time.Second, func() bool { return memberCount(t, obs, path) <= 2 }, "a member deleted its node")
	s.Restart()
	for _, r := range []*result{l0, l1} {
		done, err := r.get()
		assert.False(t, done, "left before everyone: %v", err)
	}
	require.NoError(t, ms[2].b.Leave(ctx))
	require.NoError(t, l0.wait(t, "Leave 0"))
	require.NoError(t, l1.wait(t, "Leave 1"))
	if err := ms[2].b.Close(context.Background()); err != nil && !errors.Is(err, ErrClosed) {
		t.Fatal(err)
	}
}

// On a three-member ensemble, the member every client is on stops (the
// leader, or a follower) while a Barrier waiter waits and two of three
// DoubleBarrier members wait to enter: the sessions move to the other
// members, nobody passes early, and everyone passes once they may.
func TestBarriersEnsembleMemberStopped(t *testing.T) {
	recipestest.EachMemberFailure(t, func(t *testing.T, ens *recipestest.Ensemble, victim *zktesting.Member) {
		ctx := recipestest.Ctx(t, 60*time.Second)
		obs := ens.ObserverConnect(t)
		setter := NewBarrier(obs, "/gate")
		defer setter.Close(context.Background())
		require.NoError(t, setter.Set(ctx))

		wc := ens.ConnectOn(t, victim)
		w := NewBarrier(wc, "/gate")
		defer w.Close(context.Background())
		waiting := async(func() error { return w.Wait(ctx) })

		const path = "/dbl"
		var clients []*recipes.Client
		var dbs []*DoubleBarrier
		for range 3 {
			c := ens.ConnectOn(t, victim)
			d, err := NewDoubleBarrier(c, path, 3)
			require.NoError(t, err)
			t.Cleanup(func() { d.Close(context.Background()) })
			clients, dbs = append(clients, c), append(dbs, d)
		}
		e0 := async(func() error { return dbs[0].Enter(ctx) })
		e1 := async(func() error { return dbs[1].Enter(ctx) })
		recipestest.Eventually(t, 10*time.Second, func() bool { return memberCount(t, obs, path) == 2 }, "two arrived")

		victim.Stop()
		recipestest.WaitServed(t, append(clients, wc)...)
		for what, r := range map[string]*result{"Wait": waiting, "Enter 0": e0, "Enter 1": e1} {
			done, err := r.get()
			assert.False(t, done, "%s returned early: %v", what, err)
		}
		assert.Equal(t, 2, memberCount(t, obs, path), "the waiting members' nodes survive the failover")

		e2 := async(func() error { return dbs[2].Enter(ctx) })
		for i, r := range []*result{e0, e1, e2} {
			require.NoError(t, r.wait(t, fmt.Sprint("Enter ", i)))
		}
		require.NoError(t, setter.Remove(ctx))
		require.NoError(t, waiting.wait(t, "Wait"))
		var leaves []*result
		for _, d := range dbs {
			leaves = append(leaves, async(func() error { return d.Leave(ctx) }))
		}
		for i, r := range leaves {
			require.NoError(t, r.wait(t, fmt.Sprint("Leave ", i)))
		}
		assert.Equal(t, 0, memberCount(t, obs, path))
	})
}
