package curatortest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/election"
	"github.com/zkit-go/zkit/internal/curatortest"
	"github.com/zkit-go/zkit/lock"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

// Connection loss on either side of a LeaderLatch/election.Latch pair:
// a leader cut off steps down (Curator's standard policy, zkit's
// DropOnSuspend) and the other side does not take over while the
// leader's session lives; reconnected in time, the leader leads again.
// Never do both lead at once.
func TestLatchInteropConnectionLoss(t *testing.T) {
	t.Parallel()
	env := rt.StartServer(t)
	javaProxy := rt.StartProxy(t, env.Srv.Addr())
	d := curatortest.Start(t, javaProxy.Addr())
	// Long enough to ride out the cut below on a slow machine.
	d.Client(t, "c", rt.Scale(8*time.Second))
	c := env.Connect(t)
	const path = "/interop/latch-cut"

	d.Do(t, "latch", "j", "c", path, "java")
	d.Do(t, "start", "j")
	require.Equal(t, "true", d.Do(t, "awaitleader", "j", 30000))
	g := election.NewLatch(c, path, "go")
	require.NoError(t, g.Start())
	t.Cleanup(func() { _ = g.Close(context.Background()) })
	rt.Eventually(t, 10*time.Second, func() bool {
		ps, err := g.Participants(ctx(t))
		return err == nil && len(ps) == 2
	}, "both in line")

	// Java cut off: it steps down; Go does not lead (Java's node stays).
	javaProxy.SetDown(true)
	d.WaitEvent(t, "c", "state SUSPENDED")
	d.WaitEvent(t, "j", "leader false")
	select {
	case <-g.Leader():
		t.Fatal("Go leads while Curator's session (and node) lives")
	case <-time.After(rt.Scale(300 * time.Millisecond)):
	}
	javaProxy.SetDown(false)
	d.WaitEvent(t, "c", "state RECONNECTED")
	d.WaitEvent(t, "j", "leader true")
	require.False(t, g.IsLeader())

	// Java closes: Go leads. Then Go is cut off: it steps down and Java
	// (joined again) does not lead while Go's session lives.
	d.Do(t, "close", "j")
	require.NoError(t, g.Await(ctx(t)))
	d.Do(t, "latch", "j2", "c", path, "java-2")
	d.Do(t, "start", "j2")
	rt.Eventually(t, 10*time.Second, func() bool {
		r, err := d.Try(t, "leader", "j2")
		return err == nil && r == "go"
	}, "Curator behind Go")
	env.Proxy.SetDown(true)
	rt.Receive(t, 10*time.Second, g.NotLeader(), "Go steps down when suspended")
	require.False(t, d.AwaitEvent("j2", "leader true", 300*time.Millisecond), "Curator led while Go's session lives")
	env.Proxy.SetDown(false)
	require.NoError(t, g.Await(ctx(t)), "Go leads again after reconnecting")
	require.Equal(t, "false", d.Do(t, "isleader", "j2"))
}

// A server restart (sessions survive it) does not move a lock between a
// Curator holder and a Go waiter, or the reverse.
func TestMutexInteropServerRestart(t *testing.T) {
	t.Parallel()
	env, d, _, c := setup(t)
	d.Client(t, "c8", rt.Scale(8*time.Second)) // rides out the restart
	const path = "/interop/mutex-restart"
	d.Do(t, "mutex", "m", "c8", path)
	m := lock.NewMutex(c, path)

	require.Equal(t, "true", d.Do(t, "acquire", "m", 10000))
	got := make(chan error, 1)
	go func() { got <- m.Lock(ctx(t)) }()
	rt.Eventually(t, 10*time.Second, func() bool {
		kids, _, err := c.Children(ctx(t), path)
		return err == nil && len(kids) == 2
	}, "Go waiting")
	env.Restart()
	d.WaitEvent(t, "c8", "state RECONNECTED")
	rt.Eventually(t, 20*time.Second, func() bool { return c.State().IsConnected() }, "Go reconnected")
	select {
	case err := <-got:
		t.Fatalf("Go took the lock Curator holds across a restart: %v", err)
	case <-time.After(rt.Scale(300 * time.Millisecond)):
	}
	d.Do(t, "release", "m")
	require.NoError(t, rt.Receive(t, 30*time.Second, got, "Go lock after Curator release"))

	acq := d.Go("acquire", "m", 60000)
	notDone(t, acq, "Curator acquire while Go holds")
	env.Restart()
	rt.Eventually(t, 20*time.Second, func() bool { return c.State().IsConnected() }, "Go reconnected")
	notDone(t, acq, "Curator acquire while Go holds, after a restart")
	select {
	case <-m.Lost():
		t.Fatal("Go lock lost across a restart")
	default:
	}
	require.NoError(t, m.Unlock(ctx(t)))
	require.Equal(t, "true", acq.Wait(t))
}
