package curatortest_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/internal/curatortest"
	"github.com/zkit-go/zkit/queue"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

// Curator's DistributedQueue<String> and queue.Typed[string] share items
// in both directions, putMulti batches included, in FIFO order.
func TestQueueInterop(t *testing.T) {
	t.Parallel()
	_, d, _, c := setup(t)
	const path = "/interop/queue"

	// Java produces, Go consumes.
	d.Do(t, "queue", "jp", "c", path, "-", "produce")
	d.Do(t, "start", "jp")
	d.Do(t, "put", "jp", "a")
	d.Do(t, "put", "jp", "b")
	d.Do(t, "putmulti", "jp", "c", "d", "e")
	q := queue.NewTyped(c, path, queue.String())
	t.Cleanup(func() { _ = q.Close(context.Background()) })
	var got [][]string
	for range 3 {
		items, err := q.Take(ctx(t))
		require.NoError(t, err)
		got = append(got, items)
	}
	assert.Equal(t, [][]string{{"a"}, {"b"}, {"c", "d", "e"}}, got)

	// Go produces, Java consumes.
	_, err := q.Put(ctx(t), "x")
	require.NoError(t, err)
	_, err = q.PutMulti(ctx(t), "y", "z")
	require.NoError(t, err)
	d.Do(t, "queue", "jc", "c", path, "-", "consume")
	d.Do(t, "start", "jc")
	for _, want := range []string{"x", "y", "z"} {
		d.WaitEvent(t, "jc", "item "+want)
	}
	rt.Eventually(t, 10*time.Second, func() bool {
		n, err := q.Len(ctx(t))
		return err == nil && n == 0
	}, "Curator removed the items it consumed")
}

// Lock-safe consumers on both sides (Curator's QueueBuilder.lockPath and
// Consume with the same WithLockPath) share one queue fed from both
// sides: every item is consumed exactly once. A Go consumer whose session
// expires while it holds an item's lock loses the item to Curator (which
// retries a locked item when the queue next changes, as Curator does).
func TestLockSafeQueueInterop(t *testing.T) {
	t.Parallel()
	env, d, _, c := setup(t)
	const path, locks = "/interop/safe-queue", "/interop/safe-queue-locks"
	d.Do(t, "queue", "jp", "c", path, locks, "produce")
	d.Do(t, "start", "jp")
	q := queue.NewTyped(c, path, queue.String(), queue.WithLockPath(locks))
	t.Cleanup(func() { _ = q.Close(context.Background()) })

	// A Go consumer holds an item when its session expires: Curator's
	// consumer then gets the item, and the Go Consume fails.
	_, err := q.Put(ctx(t), "held")
	require.NoError(t, err)
	inFn := make(chan struct{})
	consumed := make(chan error, 1)
	go func() {
		consumed <- q.Consume(ctx(t), func(fctx context.Context, items []string) error {
			close(inFn)
			<-fctx.Done() // cancelled when the session holding the lock ends
			return fctx.Err()
		})
	}()
	rt.Receive(t, 30*time.Second, inFn, "Go consumer holds the item")
	d.Do(t, "queue", "jc", "c", path, locks, "consume")
	d.Do(t, "start", "jc")
	if d.AwaitEvent("jc", "item held", 300*time.Millisecond) {
		t.Fatal("Curator consumed an item whose lock Go holds")
	}
	env.ExpireSession(c.Session().ID)
	require.Error(t, rt.Receive(t, 30*time.Second, consumed, "Go Consume returns after its session expired"))
	// Curator skipped the locked item and looks again only when the
	// queue's children change: another item makes it do so.
	d.Do(t, "put", "jp", "kick")
	d.WaitEvent(t, "jc", "item held")
	d.WaitEvent(t, "jc", "item kick")

	// Both sides produce and consume at once.
	const perSide = 10
	var mu sync.Mutex
	var goGot []string
	ctxC, cancel := context.WithCancel(ctx(t))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctxC.Err() == nil {
			_ = q.Consume(ctxC, func(_ context.Context, items []string) error {
				mu.Lock()
				goGot = append(goGot, items...)
				mu.Unlock()
				return nil
			})
		}
	}()
	var puts []*curatortest.Call
	for i := range perSide {
		puts = append(puts, d.Go("put", "jp", fmt.Sprintf("j%d", i)))
		_, err := q.Put(ctx(t), fmt.Sprintf("g%d", i))
		require.NoError(t, err)
	}
	for _, p := range puts {
		p.Wait(t)
	}
	var javaGot []string
	rt.Eventually(t, 30*time.Second, func() bool {
		for _, e := range d.Events() {
			var item string
			if _, err := fmt.Sscanf(e, "jc item %s", &item); err == nil && d.AwaitEvent("jc", "item "+item, 0) {
				javaGot = append(javaGot, item)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		return len(javaGot)+len(goGot) >= 2*perSide
	}, "all items consumed")
	cancel()
	<-done
	all := append(append([]string{}, javaGot...), goGot...)
	sort.Strings(all)
	var want []string
	for i := range perSide {
		want = append(want, fmt.Sprintf("g%d", i), fmt.Sprintf("j%d", i))
	}
	sort.Strings(want)
	assert.Equal(t, want, all, "each item consumed exactly once (java %v, go %v)", javaGot, goGot)
	n, err := q.Len(ctx(t))
	require.NoError(t, err)
	assert.Zero(t, n)
}

// queueItems returns the items object's consumer has reported so far, in
// order, once there are n of them.
func queueItems(t *testing.T, d *curatortest.Driver, object string, n int) []string {
	t.Helper()
	var got []string
	rt.Eventually(t, 30*time.Second, func() bool {
		got = got[:0]
		for _, e := range d.Events() {
			var item string
			if _, err := fmt.Sscanf(e, object+" item %s", &item); err == nil {
				got = append(got, item)
			}
		}
		return len(got) >= n
	}, "%d items consumed by %s", n, object)
	return got
}

// Curator's DistributedPriorityQueue, DistributedDelayQueue and
// DistributedIdQueue share items with queue.TypedPriority, TypedDelay and
// TypedID in both directions, in each queue's order.
func TestQueueKindsInterop(t *testing.T) {
	t.Parallel()
	_, d, _, c := setup(t)

	t.Run("priority", func(t *testing.T) {
		const path = "/interop/prio"
		d.Do(t, "queue", "pp", "c", path, "-", "produce", "priority")
		d.Do(t, "start", "pp")
		for _, it := range []struct {
			v string
			p int
		}{{"p5", 5}, {"pm1", -1}, {"p3", 3}} {
			d.Do(t, "putprio", "pp", it.v, it.p)
		}
		q := queue.NewTypedPriority(c, path, queue.String())
		t.Cleanup(func() { _ = q.Close(context.Background()) })
		var got []string
		for range 3 {
			items, err := q.Take(ctx(t))
			require.NoError(t, err)
			got = append(got, items...)
		}
		assert.Equal(t, []string{"pm1", "p3", "p5"}, got)

		_, err := q.Put(ctx(t), "g2", 2)
		require.NoError(t, err)
		_, err = q.PutMulti(ctx(t), -7, "gm7a", "gm7b")
		require.NoError(t, err)
		_, err = q.Put(ctx(t), "g0", 0)
		require.NoError(t, err)
		d.Do(t, "queue", "pc", "c", path, "-", "consume", "priority")
		d.Do(t, "start", "pc")
		assert.Equal(t, []string{"gm7a", "gm7b", "g0", "g2"}, queueItems(t, d, "pc", 4))
	})

	t.Run("delay", func(t *testing.T) {
		const path = "/interop/delay"
		d.Do(t, "queue", "dp", "c", path, "-", "produce", "delay")
		d.Do(t, "start", "dp")
		due := time.Now().Add(rt.Scale(time.Second))
		d.Do(t, "putdelay", "dp", "late", due.UnixMilli())
		d.Do(t, "putdelay", "dp", "early", time.Now().Add(-time.Second).UnixMilli())
		q := queue.NewTypedDelay(c, path, queue.String())
		t.Cleanup(func() { _ = q.Close(context.Background()) })
		items, err := q.Take(ctx(t))
		require.NoError(t, err)
		assert.Equal(t, []string{"early"}, items)
		items, err = q.Take(ctx(t))
		require.NoError(t, err)
		assert.Equal(t, []string{"late"}, items)
		assert.False(t, time.Now().Before(due.Truncate(time.Millisecond)), "a delayed item came out before it was due")

		due = time.Now().Add(rt.Scale(time.Second))
		_, err = q.Put(ctx(t), "glate", due)
		require.NoError(t, err)
		_, err = q.Put(ctx(t), "gearly", time.Now().Add(-time.Second))
		require.NoError(t, err)
		d.Do(t, "queue", "dc", "c", path, "-", "consume", "delay")
		d.Do(t, "start", "dc")
		assert.Equal(t, []string{"gearly", "glate"}, queueItems(t, d, "dc", 2))
		assert.False(t, time.Now().Before(due), "Curator consumed a Go item before it was due")
	})

	t.Run("id", func(t *testing.T) {
		const path = "/interop/ids"
		d.Do(t, "queue", "ip", "c", path, "-", "produce", "id")
		d.Do(t, "start", "ip")
		d.Do(t, "putid", "ip", "x1", "a")
		d.Do(t, "putid", "ip", "x2", "b/c") // Curator writes b_c
		d.Do(t, "putid", "ip", "x3", "a")
		q := queue.NewTypedID(c, path, queue.String())
		t.Cleanup(func() { _ = q.Close(context.Background()) })
		n, err := q.Remove(ctx(t), "a")
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		items, err := q.Take(ctx(t))
		require.NoError(t, err)
		assert.Equal(t, []string{"x2"}, items)

		_, err = q.Put(ctx(t), "y1", "c")
		require.NoError(t, err)
		_, err = q.Put(ctx(t), "y2", "d|e")
		require.NoError(t, err)
		require.Equal(t, "1", d.Do(t, "removeid", "ip", "c"))
		require.Equal(t, "1", d.Do(t, "removeid", "ip", "d_e"))
		_, err = q.Put(ctx(t), "y3", "f")
		require.NoError(t, err)
		d.Do(t, "queue", "ic", "c", path, "-", "consume", "id")
		d.Do(t, "start", "ic")
		assert.Equal(t, []string{"y3"}, queueItems(t, d, "ic", 1))
	})
}

// queue.JSON and a Jackson QueueSerializer<Details> read each other's
// items.
func TestJSONQueueInterop(t *testing.T) {
	t.Parallel()
	_, d, _, c := setup(t)
	const path = "/interop/json-queue"
	d.Do(t, "jsonqueue", "jp", "c", "produce", path)
	d.Do(t, "start", "jp")
	d.Do(t, "putjson", "jp", `{"zone":"eu","weight":1}`)
	d.Do(t, "putjson", "jp", `{"zone":"us","weight":2}`)
	q := queue.NewTyped(c, path, queue.JSON[details]())
	t.Cleanup(func() { _ = q.Close(context.Background()) })
	var got []details
	for range 2 {
		items, err := q.Take(ctx(t))
		require.NoError(t, err)
		got = append(got, items...)
	}
	assert.Equal(t, []details{{"eu", 1}, {"us", 2}}, got)

	_, err := q.Put(ctx(t), details{"ap", 3})
	require.NoError(t, err)
	d.Do(t, "jsonqueue", "jc", "c", "consume", path)
	d.Do(t, "start", "jc")
	items := queueItems(t, d, "jc", 1)
	assert.JSONEq(t, `{"zone":"ap","weight":3}`, items[0])
}
