package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/recipes"
	"github.com/zkit-go/zkit/recipes/recipestest"
)

func TestMain(m *testing.M) { recipestest.Main(m) }

func TestOrder(t *testing.T) {
	s := recipestest.StartServer(t)
	c := recipestest.Connect(t, s.Servers())
	ctx := recipestest.Ctx(t, 30*time.Second)

	t.Run("fifo", func(t *testing.T) {
		q := New(c, "/fifo")
		defer q.Close(context.Background())
		for i := range 5 {
			_, err := q.Put(ctx, []byte(strconv.Itoa(i)))
			require.NoError(t, err)
		}
		n, err := q.Len(ctx)
		require.NoError(t, err)
		assert.Equal(t, 5, n)
		for i := range 5 {
			it, err := q.Take(ctx)
			require.NoError(t, err)
			assert.Equal(t, strconv.Itoa(i), string(it.Data))
		}
	})
	t.Run("priority", func(t *testing.T) {
		q := NewPriority(c, "/prio")
		defer q.Close(context.Background())
		for _, p := range []int32{5, -3, 0, 100, -3000, 5} {
			_, err := q.Put(ctx, []byte(strconv.Itoa(int(p))), p)
			require.NoError(t, err)
		}
		var got []int32
		for range 6 {
			it, err := q.Take(ctx)
			require.NoError(t, err)
			got = append(got, it.Priority)
			assert.Equal(t, strconv.Itoa(int(it.Priority)), string(it.Data))
		}
		assert.Equal(t, []int32{-3000, -3, 0, 5, 5, 100}, got)
	})
	t.Run("delay", func(t *testing.T) {
		q := NewDelay(c, "/delay")
		defer q.Close(context.Background())
		now := time.Now()
		later := now.Add(recipestest.Scale(700 * time.Millisecond))
		_, err := q.Put(ctx, []byte("later"), later)
		require.NoError(t, err)
		_, err = q.Put(ctx, []byte("now"), now.Add(-time.Second))
		require.NoError(t, err)
		it, err := q.Take(ctx)
		require.NoError(t, err)
		assert.Equal(t, "now", string(it.Data))
		it, err = q.Take(ctx)
		require.NoError(t, err)
		assert.Equal(t, "later", string(it.Data))
		assert.False(t, time.Now().Before(later.Truncate(time.Millisecond)), "taken before it was due")
		assert.Equal(t, later.UnixMilli(), it.Due.UnixMilli())
	})
	t.Run("id", func(t *testing.T) {
		q := NewID(c, "/ids")
		defer q.Close(context.Background())
		for _, id := range []string{"a", "b/x", "a", "c"} {
			_, err := q.Put(ctx, []byte(id), id)
			require.NoError(t, err)
		}
		_, err := q.Put(ctx, nil, "")
		require.ErrorIs(t, err, ErrBadID)
		n, err := q.Remove(ctx, "a")
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		it, err := q.Take(ctx)
		require.NoError(t, err)
		assert.Equal(t, "b_x", it.ID)
		assert.Equal(t, "b/x", string(it.Data))
		it, err = q.Take(ctx)
		require.NoError(t, err)
		assert.Equal(t, "c", it.ID)
	})
}

func TestPriorityNames(t *testing.T) {
	for _, p := range []int32{0, 1, -1, 1 << 30, -1 << 31, 1<<31 - 1} {
		s := priorityString(p)
		got, ok := parsePriority(s)
		require.True(t, ok, s)
		assert.Equal(t, p, got, s)
	}
	assert.Equal(t, "0FFFFFFFF", priorityString(-1)) // Curator's form
	assert.Equal(t, "10000000A", priorityString(10))
	assert.Less(t, priorityString(-5), priorityString(-1))
	assert.Less(t, priorityString(-1), priorityString(0))
}

// Take blocks until an item is put, and returns on ctx or Close.
func TestTakeBlocks(t *testing.T) {
	s := recipestest.StartServer(t)
	c := recipestest.Connect(t, s.Servers())
	ctx := recipestest.Ctx(t, 30*time.Second)
	q := New(c, "/block")

	got := make(chan Item, 1)
	go func() {
		it, err := q.Take(ctx)
		assert.NoError(t, err)
		got <- it
	}()
	_, err := q.Put(ctx, []byte("x"))
	require.NoError(t, err)
	select {
	case it := <-got:
		assert.Equal(t, "x", string(it.Data))
	case <-ctx.Done():
		t.Fatal("Take did not return")
	}

	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = q.Take(short)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	errc := make(chan error, 1)
	go func() {
		_, err := q.Take(ctx)
		errc <- err
	}()
	go func() {
		// Close once the Take is blocked: it then sees ErrClosed either way.
		q.Close(context.Background())
	}()
	select {
	case err := <-errc:
		require.ErrorIs(t, err, ErrClosed)
	case <-ctx.Done():
		t.Fatal("Close did not unblock Take")
	}
	_, err = q.Put(ctx, nil)
	require.ErrorIs(t, err, ErrClosed)
}

// A Consume whose fn fails leaves the item for the next consumer.
func TestConsumeError(t *testing.T) {
	s := recipestest.StartServer(t)
	c := recipestest.Connect(t, s.Servers())
	ctx := recipestest.Ctx(t, 30*time.Second)
	q := New(c, "/safe")
	defer q.Close(context.Background())
	_, err := q.Put(ctx, []byte("job"))
	require.NoError(t, err)

	boom := errors.New("boom")
	err = q.Consume(ctx, func(ctx context.Context, it Item) error {
		assert.Equal(t, "job", string(it.Data))
		return boom
	})
	require.ErrorIs(t, err, boom)
	n, err := q.Len(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)

	err = q.Consume(ctx, func(ctx context.Context, it Item) error { return nil })
	require.NoError(t, err)
	n, err = q.Len(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, n)
	locks, _, err := c.Children(ctx, "/safe/_locks")
	if !errors.Is(err, zk.ErrNoNode) {
		require.NoError(t, err)
		assert.Empty(t, locks)
	}
}

// The reply to the removing transaction is lost: the claim record tells
// Take that the item is its own.
func TestTakeLostReply(t *testing.T) {
	s := recipestest.StartServer(t)
	c := recipestest.Connect(t, s.Servers())
	ctx := recipestest.Ctx(t, 30*time.Second)
	for _, safe := range []bool{false, true} {
		t.Run(fmt.Sprint("safe=", safe), func(t *testing.T) {
			q := New(c, fmt.Sprint("/lost-", safe))
			defer q.Close(context.Background())
			_, err := q.Put(ctx, []byte("only"))
			require.NoError(t, err)
			s.Proxy.DropNextReply(14) // multi
			var data []byte
			if safe {
				require.NoError(t, q.Consume(ctx, func(_ context.Context, it Item) error {
					data = it.Data
					return nil
				}))
			} else {
				it, err := q.Take(ctx)
				require.NoError(t, err)
				data = it.Data
			}
			assert.Equal(t, "only", string(data))
			n, err := q.Len(ctx)
			require.NoError(t, err)
			assert.Equal(t, 0, n)
		})
	}
}

// A consumer's session expires while fn runs: fn's ctx ends, the item is
// not removed by it, and another consumer processes it.
func TestConsumeSessionLost(t *testing.T) {
	s := recipestest.StartServer(t)
	c1 := recipestest.Connect(t, s.Servers())
	c2 := recipestest.Connect(t, s.DirectServers())
	ctx := recipestest.Ctx(t, 30*time.Second)
	q1, q2 := New(c1, "/exp"), New(c2, "/exp")
	defer q1.Close(context.Background())
	defer q2.Close(context.Background())
	_, err := q1.Put(ctx, []byte("job"))
	require.NoError(t, err)

	inFn := make(chan struct{})
	res := make(chan error, 1)
	go func() {
		res <- q1.Consume(ctx, func(fctx context.Context, _ Item) error {
			close(inFn)
			<-fctx.Done() // the session holding the lock is lost
			return nil    // claims success anyway: the lock check must catch it
		})
	}()
	<-inFn
	s.ExpireSession(c1.Session().ID)
	select {
	case err := <-res:
		require.ErrorIs(t, err, ErrLockLost)
	case <-ctx.Done():
		t.Fatal("Consume did not return")
	}
	var got string
	require.NoError(t, q2.Consume(ctx, func(_ context.Context, it Item) error {
		got = string(it.Data)
		return nil
	}))
	assert.Equal(t, "job", got)
}

// counts tallies how often each item was delivered.
type counts struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counts) add(k string) {
	c.mu.Lock()
	c.m[k]++
	c.mu.Unlock()
}

func (c *counts) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.m {
		n += v
	}
	return n
}

// Competing consumers on three clients while sessions expire, connections
// are cut and the server restarts: every item is delivered (Take) or
// processed successfully (Consume) exactly once.
func TestCompetingConsumersUnderFaults(t *testing.T) {
	for _, safe := range []bool{false, true} {
		t.Run(fmt.Sprint("safe=", safe), func(t *testing.T) {
			s := recipestest.StartServer(t)
			competingConsumers(t, s, safe, s.Connect, func(i int, clients []*recipes.Client) {
				switch i {
				case 10, 40:
					s.Proxy.CutAll()
				case 20:
					recipestest.ExpireAndWait(t, s, clients[1])
				case 30:
					s.Restart()
				case 50:
					s.ExpireSession(clients[2].Session().ID)
				}
			})
		})
	}
}

// The same on a three-member ensemble, one consumer on each member: the
// ensemble's leader stops under the consumer on it, a session expires,
// and one consumer's path to its member is cut. Every item is still
// counted exactly once. (The stopped member is not restarted: its ports
// may have been taken by then, see testing.Member.Restart.)
func TestCompetingConsumersEnsembleFailover(t *testing.T) {
	for _, safe := range []bool{false, true} {
		t.Run(fmt.Sprint("safe=", safe), func(t *testing.T) {
			ens := recipestest.StartEnsemble(t, 3)
			next := 0
			// Consumer i starts on member i.
			connect := func(t testing.TB, opts ...recipes.Option) *recipes.Client {
				m := ens.Members[next%len(ens.Members)]
				next++
				return ens.ConnectOn(t, m, opts...)
			}
			competingConsumers(t, ens, safe, connect, func(i int, clients []*recipes.Client) {
				switch i {
				case 15:
					ens.WaitLeader(30 * time.Second).Stop()
				case 30:
					recipestest.ExpireAndWait(t, ens, clients[0])
				case 45:
					recipestest.WaitServed(t, clients[1])
					m := ens.MemberOf(clients[1].Session().ID)
					require.NotNil(t, m, "consumer 1 is on a member")
					ens.ProxyOf(m).CutAll()
				}
			})
		})
	}
}

// competingConsumers runs three consumers (Take, or Consume when safe)
// with clients from connect while a producer on cl's direct addresses
// puts 60 items; fault(i, consumers' clients) runs after item i is put.
// Every item must be delivered exactly once, and the queue ends empty.
func competingConsumers(t *testing.T, cl recipestest.Cluster, safe bool,
	connect func(testing.TB, ...recipes.Option) *recipes.Client, fault func(i int, clients []*recipes.Client)) {
	ctx := recipestest.Ctx(t, 60*time.Second)
	const items = 60
	producer := cl.ObserverConnect(t)
	pq := New(producer, "/work")
	defer pq.Close(context.Background())

	got := &counts{m: map[string]int{}}
	stop, cancel := context.WithCancel(ctx)
	defer cancel()
	var clients []*recipes.Client
	var wg sync.WaitGroup
	for i := range 3 {
		c := connect(t, recipes.WithRetry(recipes.ExponentialRetry(
			20*time.Millisecond, 500*time.Millisecond, 1000, recipestest.Scale(30*time.Second))))
		clients = append(clients, c)
		q := New(c, "/work")
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer q.Close(context.Background())
			n := 0
			for stop.Err() == nil {
				n++
				if safe {
					var data string
					fail := (n+i)%5 == 0 // some processing fails: item retried
					err := q.Consume(stop, func(_ context.Context, it Item) error {
						data = string(it.Data)
						if fail {
							return errors.New("processing failed")
						}
						return nil
					})
					if err == nil {
						got.add(data)
					}
					continue
				}
				it, err := q.Take(stop)
				if err == nil {
					got.add(string(it.Data))
				}
			}
		}()
	}
	for i := range items {
		_, err := pq.Put(ctx, []byte(strconv.Itoa(i)))
		require.NoError(t, err)
		fault(i, clients)
	}
	recipestest.Eventually(t, 45*time.Second, func() bool { return got.total() >= items },
		"%d of %d items delivered", recipestest.Lazy(func() string { return fmt.Sprint(got.total()) }), items)
	cancel()
	wg.Wait()
	got.mu.Lock()
	defer got.mu.Unlock()
	for i := range items {
		assert.Equal(t, 1, got.m[strconv.Itoa(i)], "item %d", i)
	}
	assert.Len(t, got.m, items)
	n, err := pq.Len(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, n)
}
