package curatortest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/barrier"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

// Curator's DistributedBarrier and barrier.Barrier: either side raises
// it, the other waits for its removal.
func TestBarrierInterop(t *testing.T) {
	t.Parallel()
	_, d, _, c := setup(t)
	const path = "/interop/barrier"
	d.Do(t, "barrier", "jb", "c", path)
	b := barrier.NewBarrier(c, path)
	t.Cleanup(func() { _ = b.Close(context.Background()) })

	d.Do(t, "setbarrier", "jb")
	waited := make(chan error, 1)
	go func() { waited <- b.Wait(ctx(t)) }()
	select {
	case err := <-waited:
		t.Fatalf("Go passed a barrier Curator raised: %v", err)
	case <-time.After(rt.Scale(300 * time.Millisecond)):
	}
	d.Do(t, "removebarrier", "jb")
	require.NoError(t, rt.Receive(t, 30*time.Second, waited, "Go passes after Curator removed the barrier"))

	require.NoError(t, b.Set(ctx(t)))
	w := d.Go("waitbarrier", "jb", 60000)
	notDone(t, w, "Curator waits on a barrier Go raised")
	require.NoError(t, b.Remove(ctx(t)))
	require.Equal(t, "true", w.Wait(t))
}

// Curator's DistributedDoubleBarrier and barrier.DoubleBarrier: two Java
// and two Go members of a barrier of four enter together and leave
// together, also when a waiting Go member's session expires (it enters
// again on its new session).
func TestDoubleBarrierInterop(t *testing.T) {
	t.Parallel()
	env, d, _, c := setup(t)
	const path = "/interop/double"
	d.Client(t, "c2", javaSession)
	d.Do(t, "dbarrier", "j1", "c", path, 4)
	d.Do(t, "dbarrier", "j2", "c2", path, 4)
	var gs []*barrier.DoubleBarrier
	for range 2 {
		g, err := barrier.NewDoubleBarrier(c, path, 4)
		require.NoError(t, err)
		t.Cleanup(func() { _ = g.Close(context.Background()) })
		gs = append(gs, g)
	}

	e1 := d.Go("enter", "j1", 60000)
	e2 := d.Go("enter", "j2", 60000)
	entered := make(chan error, 2)
	go func() { entered <- gs[0].Enter(ctx(t)) }()
	rt.Eventually(t, 10*time.Second, func() bool {
		kids, _, err := c.Children(ctx(t), path)
		return err == nil && len(kids) == 3
	}, "three members waiting")
	notDone(t, e1, "Curator member entered a barrier of 4 with 3 present")
	rt.ExpireAndWait(t, env, c)
	go func() { entered <- gs[1].Enter(ctx(t)) }()
	require.Equal(t, "true", e1.Wait(t))
	require.Equal(t, "true", e2.Wait(t))
	for range 2 {
		require.NoError(t, rt.Receive(t, 30*time.Second, entered, "Go members entered"))
	}

	// Leave: nobody leaves before the last member does.
	l1 := d.Go("leave", "j1", 60000)
	left := make(chan error, 2)
	go func() { left <- gs[0].Leave(ctx(t)) }()
	l2 := d.Go("leave", "j2", 60000)
	notDone(t, l1, "Curator member left before the last Go member")
	go func() { left <- gs[1].Leave(context.Background()) }()
	require.Equal(t, "true", l1.Wait(t))
	require.Equal(t, "true", l2.Wait(t))
	for range 2 {
		require.NoError(t, rt.Receive(t, 30*time.Second, left, "Go members left"))
	}
}
