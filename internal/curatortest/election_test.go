package curatortest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/election"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

// Curator's LeaderLatch and election.Latch on one path agree on a single
// leader, hand over on close, and on session expiry of either side.
func TestLatchInterop(t *testing.T) {
	t.Parallel()
	env, d, javaSID, c := setup(t)
	const path = "/interop/latch"
	d.Do(t, "latch", "j1", "c", path, "java-1")
	d.Do(t, "start", "j1")
	require.Equal(t, "true", d.Do(t, "awaitleader", "j1", 30000))

	g := election.NewLatch(c, path, "go")
	require.NoError(t, g.Start())
	t.Cleanup(func() { _ = g.Close(context.Background()) })
	rt.Eventually(t, 10*time.Second, func() bool {
		ps, err := g.Participants(ctx(t))
		return err == nil && len(ps) == 2
	}, "both participants seen by Go")
	id, err := g.LeaderID(ctx(t))
	require.NoError(t, err)
	require.Equal(t, "java-1", id)
	require.False(t, g.IsLeader())

	// Java closes: Go leads, and a new Java latch sees Go as leader.
	d.Do(t, "close", "j1")
	require.NoError(t, g.Await(ctx(t)))
	d.Do(t, "latch", "j2", "c", path, "java-2")
	d.Do(t, "start", "j2")
	rt.Eventually(t, 10*time.Second, func() bool {
		r, err := d.Try(t, "leader", "j2")
		return err == nil && r == "go"
	}, "Curator sees Go as leader")
	require.Equal(t, "false", d.Do(t, "isleader", "j2"))

	// Go's session expires: Java leads, Go follows and queues again.
	env.ExpireSession(c.Session().ID)
	d.WaitEvent(t, "j2", "leader true")
	rt.Receive(t, 30*time.Second, g.NotLeader(), "Go latch not leader after its session expired")
	rt.Eventually(t, 20*time.Second, func() bool {
		id, err := g.LeaderID(ctx(t))
		ps, err2 := g.Participants(ctx(t))
		return err == nil && err2 == nil && id == "java-2" && len(ps) == 2
	}, "Go back in line behind Curator")
	require.False(t, g.IsLeader())

	// Java's session expires: Go leads; Curator joins again behind it.
	env.ExpireSession(javaSID)
	require.NoError(t, g.Await(ctx(t)))
	d.WaitEvent(t, "j2", "leader false")
	rt.Eventually(t, 30*time.Second, func() bool {
		r, err := d.Try(t, "leader", "j2")
		ps, err2 := g.Participants(ctx(t))
		return err == nil && r == "go" && err2 == nil && len(ps) == 2
	}, "Curator back in line behind Go")
	require.Equal(t, "false", d.Do(t, "isleader", "j2"))
	require.True(t, g.IsLeader())
}

// Curator's LeaderSelector and election.Selector take turns: one runs its
// leader function at a time, and leadership passes when the leader gives
// it up or loses its session.
func TestSelectorInterop(t *testing.T) {
	t.Parallel()
	env, d, javaSID, c := setup(t)
	const path = "/interop/selector"
	d.Do(t, "selector", "js", "c", path, "java")
	d.Do(t, "start", "js")
	d.WaitEvent(t, "js", "leading")

	leading := make(chan struct{}, 8)
	ended := make(chan struct{}, 8)
	s := election.NewSelector(c, path, "go", func(ctx context.Context) {
		leading <- struct{}{}
		<-ctx.Done()
		ended <- struct{}{}
	}, election.WithAutoRequeue())
	require.NoError(t, s.Start())
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	rt.Eventually(t, 10*time.Second, func() bool {
		ps, err := s.Participants(ctx(t))
		return err == nil && len(ps) == 2
	}, "both participants seen by Go")
	id, err := s.LeaderID(ctx(t))
	require.NoError(t, err)
	require.Equal(t, "java", id)
	require.False(t, s.IsLeader())

	// Java gives up: Go leads; Java (auto-requeue) waits behind it.
	d.Do(t, "relinquish", "js")
	d.WaitEvent(t, "js", "notleading")
	rt.Receive(t, 30*time.Second, leading, "Go selector leading")
	rt.Eventually(t, 10*time.Second, func() bool {
		r, err := d.Try(t, "leader", "js")
		return err == nil && r == "go"
	}, "Curator sees Go as leader")
	require.Equal(t, "false", d.Do(t, "isleader", "js"))

	// Go's session expires: its function's ctx ends, Java leads.
	env.ExpireSession(c.Session().ID)
	rt.Receive(t, 30*time.Second, ended, "Go leadership ended")
	d.WaitEvent(t, "js", "leading")
	rt.Eventually(t, 20*time.Second, func() bool {
		id, err := s.LeaderID(ctx(t))
		ps, err2 := s.Participants(ctx(t))
		return err == nil && err2 == nil && id == "java" && len(ps) == 2
	}, "Go requeued behind Curator")
	require.False(t, s.IsLeader())

	// Java's session expires: Curator's listener cancels its leadership,
	// Go leads.
	env.ExpireSession(javaSID)
	d.WaitEvent(t, "js", "notleading")
	rt.Receive(t, 30*time.Second, leading, "Go selector leading after Curator's session expired")
	require.True(t, s.IsLeader())
}
