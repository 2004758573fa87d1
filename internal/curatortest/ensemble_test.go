package curatortest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/internal/curatortest"
	"github.com/zkit-go/zkit/lock"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
	zktesting "github.com/zkit-go/zkit/testing"
)

// On a three-member zkit ensemble, a Curator mutex and a Go mutex keep
// excluding each other while the member the Go client is on (the leader,
// or a follower) stops and both clients' sessions move on.
func TestMutexInteropEnsemble(t *testing.T) {
	t.Parallel()
	rt.EachMemberFailure(t, func(t *testing.T, ens *rt.Ensemble, victim *zktesting.Member) {
		d := curatortest.Start(t, ens.Ensemble.ConnectString())
		d.Client(t, "c", rt.Scale(8*time.Second)) // rides out the failover
		c := ens.ConnectOn(t, victim)
		const path = "/interop/ensemble-mutex"
		d.Do(t, "mutex", "m", "c", path)
		m := lock.NewMutex(c, path)

		require.Equal(t, "true", d.Do(t, "acquire", "m", 30000))
		got := make(chan error, 1)
		go func() { got <- m.Lock(ctx(t)) }()
		rt.Eventually(t, 10*time.Second, func() bool {
			kids, _, err := c.Children(ctx(t), path)
			return err == nil && len(kids) == 2
		}, "Go waiting")
		victim.Stop()
		rt.Eventually(t, 30*time.Second, func() bool { return c.State().IsConnected() }, "Go client failed over")
		select {
		case err := <-got:
			t.Fatalf("Go took the lock Curator holds during a failover: %v", err)
		case <-time.After(rt.Scale(300 * time.Millisecond)):
		}
		d.Do(t, "release", "m")
		require.NoError(t, rt.Receive(t, 30*time.Second, got, "Go lock after Curator release"))

		acq := d.Go("acquire", "m", 60000)
		notDone(t, acq, "Curator acquire while Go holds")
		select {
		case <-m.Lost():
			t.Fatal("Go lock lost in a failover")
		default:
		}
		require.NoError(t, m.Unlock(ctx(t)))
		require.Equal(t, "true", acq.Wait(t))
	})
}
