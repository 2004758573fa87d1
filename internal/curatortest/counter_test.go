package curatortest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/counter"
	"github.com/zkit-go/zkit/internal/curatortest"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

// Curator's SharedCount and counter.SharedCount read and write one value,
// each seeing the other's changes through its watch, and compare-and-set
// fails on either side after the other wrote.
func TestSharedCountInterop(t *testing.T) {
	t.Parallel()
	env, d, javaSID, c := setup(t)
	const path = "/interop/shared"
	d.Do(t, "sharedcount", "jc", "c", path, 7)
	d.Do(t, "start", "jc")
	g := counter.NewSharedCount(c, path, 99) // the node exists: the seed is not used
	require.NoError(t, g.Start(ctx(t)))
	t.Cleanup(func() { _ = g.Close(context.Background()) })
	require.Equal(t, int32(7), g.Count())

	d.Do(t, "setcount", "jc", -5)
	rt.Eventually(t, 10*time.Second, func() bool { return g.Count() == -5 }, "Go sees Curator's write")
	require.NoError(t, g.SetCount(ctx(t), 1<<30))
	d.WaitEvent(t, "jc", fmt.Sprint("count ", 1<<30))

	// Compare-and-set: Go's stale version loses after Curator writes.
	prev := g.Versioned()
	require.Equal(t, "true", d.Do(t, "trysetcount", "jc", 11))
	ok, err := g.TrySetCount(ctx(t), prev, 12)
	require.NoError(t, err)
	require.False(t, ok, "Go's compare-and-set won against a newer Curator write")
	rt.Eventually(t, 10*time.Second, func() bool { return g.Count() == 11 }, "Go sees 11")
	ok, err = g.TrySetCount(ctx(t), g.Versioned(), 13)
	require.NoError(t, err)
	require.True(t, ok)
	d.WaitEvent(t, "jc", "count 13")

	// Each side's session expires; each still sees the other's writes.
	env.ExpireSession(c.Session().ID)
	d.Do(t, "setcount", "jc", 21)
	rt.Eventually(t, 20*time.Second, func() bool { return g.Count() == 21 }, "Go sees 21 after its session expired")
	env.ExpireSession(javaSID)
	d.WaitEvent(t, "c", "state LOST")
	require.NoError(t, g.SetCount(ctx(t), 22))
	rt.Eventually(t, 30*time.Second, func() bool {
		r, err := d.Try(t, "getcount", "jc")
		return err == nil && len(r) > 2 && r[:3] == "22 "
	}, "Curator sees 22 after its session expired")
}

// Curator's DistributedAtomicLong and counter.AtomicLong share one 8-byte
// value; concurrent additions from both sides lose none.
func TestAtomicLongInterop(t *testing.T) {
	t.Parallel()
	_, d, _, c := setup(t)
	const path = "/interop/long"
	g := counter.NewAtomicLong(c, path)
	t.Cleanup(func() { _ = g.Close(context.Background()) })

	// A missing node is 0 on both sides; values beyond 32 bits survive.
	d.Do(t, "atomiclong", "ja", "c", path)
	require.Equal(t, "true 0 5000000000", d.Do(t, "addlong", "ja", 5000000000))
	v, err := g.Get(ctx(t))
	require.NoError(t, err)
	require.Equal(t, int64(5000000000), v)
	r, err := g.Add(ctx(t), -5000000007)
	require.NoError(t, err)
	require.True(t, r.Succeeded)
	require.Equal(t, "true -7", d.Do(t, "getlong", "ja"))

	// Three Java objects (three threads) and three goroutines add at once.
	const each = 8
	var calls []*curatortest.Call
	for j := range 3 {
		obj := fmt.Sprintf("jl%d", j)
		d.Do(t, "atomiclong", obj, "c", path)
		for range each {
			calls = append(calls, d.Go("addlong", obj, 1))
		}
	}
	goAdded := make(chan int, 3)
	for range 3 {
		go func() {
			n := 0
			for range each {
				r, err := g.Add(ctx(t), 10)
				if err == nil && r.Succeeded {
					n++
				}
			}
			goAdded <- n
		}()
	}
	want := int64(-7)
	for _, call := range calls {
		res := call.Wait(t)
		if strings.HasPrefix(res, "true ") {
			want++
		}
	}
	for range 3 {
		want += 10 * int64(rt.Receive(t, time.Minute, goAdded, "Go additions"))
	}
	v, err = g.Get(ctx(t))
	require.NoError(t, err)
	require.Equal(t, want, v)
	require.Equal(t, fmt.Sprintf("true %d", want), d.Do(t, "getlong", "ja"))
	require.Greater(t, want, int64(-7), "no addition succeeded")
}
