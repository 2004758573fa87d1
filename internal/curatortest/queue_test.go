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
	t.Cleanup(func() { _ = q.Close() })
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
	t.Cleanup(func() { _ = q.Close() })

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
