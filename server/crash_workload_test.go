package server_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
	zktesting "github.com/zkit-go/zkit/testing"
)

// The crash tests share one workload whose every acknowledged write can be
// checked after a crash. Client i owns /w<i>; for k = 0, 1, 2, ... it
// creates /w<i>/n<k> (data k) and then sets /w<i>'s data to k, one request
// at a time, so that what survives of client i is a prefix of its sequence:
// children n0..n<c-1> and data c-1 or c-2 (create k done, set k not yet).
// Clients run concurrently, so the server commits them in shared batches.

// progress is a copy of the workload's counters at one moment.
type progress struct {
	prefix      string
	ackedCreate []int // per client: highest k whose create was acknowledged (-1: none)
	ackedSet    []int // per client: highest k whose setData was acknowledged
	sent        []int // per client: highest k any request was sent for
}

type workload struct {
	n      int
	prefix string // the clients' nodes are <prefix>0..<prefix><n-1>
	// mu guards ackedCreate, ackedSet and sent.
	mu          sync.Mutex
	ackedCreate []int
	ackedSet    []int
	sent        []int
	errs        []error // per client: why it stopped, if not asked to
	wg          sync.WaitGroup
}

// setupWorkload creates /w0../w<n-1> (data "-1") through c.
func setupWorkload(t *testing.T, c *client.Conn, n int) *workload {
	return setupWorkloadAt(t, c, n, "/w")
}

// setupWorkloadAt is setupWorkload with node names <prefix><i>.
func setupWorkloadAt(t *testing.T, c *client.Conn, n int, prefix string) *workload {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(30*time.Second))
	defer cancel()
	w := &workload{n: n, prefix: prefix}
	for i := 0; i < n; i++ {
		_, err := c.Create(ctx, fmt.Sprintf("%s%d", prefix, i), []byte("-1"), proto.FlagPersistent, proto.OpenACLUnsafe)
		require.NoError(t, err)
		w.ackedCreate = append(w.ackedCreate, -1)
		w.ackedSet = append(w.ackedSet, -1)
		w.sent = append(w.sent, -1)
	}
	w.errs = make([]error, n)
	return w
}

// start runs client i's loop on conns[i] until stop is closed or a request
// fails. A failure is kept for stopped and ends that client only.
func (w *workload) start(conns []*client.Conn, stop <-chan struct{}) {
	for i := 0; i < w.n; i++ {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			c := conns[i]
			ctx := context.Background()
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				w.mu.Lock()
				w.sent[i] = k
				w.mu.Unlock()
				if _, err := c.Create(ctx, fmt.Sprintf("%s%d/n%d", w.prefix, i, k), []byte(strconv.Itoa(k)), proto.FlagPersistent, proto.OpenACLUnsafe); err != nil {
					w.fail(i, err)
					return
				}
				w.mu.Lock()
				w.ackedCreate[i] = k
				w.mu.Unlock()
				if _, err := c.SetData(ctx, fmt.Sprintf("%s%d", w.prefix, i), []byte(strconv.Itoa(k)), -1); err != nil {
					w.fail(i, err)
					return
				}
				w.mu.Lock()
				w.ackedSet[i] = k
				w.mu.Unlock()
			}
		}()
	}
}

func (w *workload) fail(i int, err error) {
	w.mu.Lock()
	w.errs[i] = err
	w.mu.Unlock()
}

// wait waits for every client loop and returns the errors that ended them.
func (w *workload) wait() []error {
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.errs)
}

// acked returns the acknowledged counters now. Take it before a crash
// point: everything in it must survive the crash.
func (w *workload) acked() progress {
	w.mu.Lock()
	defer w.mu.Unlock()
	return progress{prefix: w.prefix, ackedCreate: slices.Clone(w.ackedCreate), ackedSet: slices.Clone(w.ackedSet)}
}

// sentNow returns the sent counters now. Take it after a crash point:
// nothing beyond it can have survived.
func (w *workload) sentNow() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.sent)
}

// total is how many requests were acknowledged.
func (p progress) total() int {
	n := 0
	for i := range p.ackedCreate {
		n += p.ackedCreate[i] + 1 + p.ackedSet[i] + 1
	}
	return n
}

// verify reads the workload's nodes through c and checks them against p:
// every acknowledged write is there, nothing never sent is, and each
// client's writes survived as a prefix.
func verify(t *testing.T, c *client.Conn, p progress, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(60*time.Second))
	defer cancel()
	for i := range p.ackedCreate {
		path := fmt.Sprintf("%s%d", p.prefix, i)
		data, st, err := c.GetData(ctx, path, false)
		if !assert.NoError(t, err, "%s: %s", what, path) {
			continue
		}
		v, err := strconv.Atoi(string(data))
		require.NoError(t, err, "%s: %s data %q", what, path, data)
		assert.Equal(t, int32(v+1), st.Version, "%s: %s: one setData per value", what, path)
		kids, err := c.GetChildren(ctx, path, false)
		require.NoError(t, err)
		have := make([]bool, len(kids))
		for _, k := range kids {
			var n int
			_, err := fmt.Sscanf(k, "n%d", &n)
			require.NoError(t, err, "%s: child %s/%s", what, path, k)
			require.Less(t, n, len(kids), "%s: %s: children not a prefix: %v", what, path, kids)
			have[n] = true
		}
		created := len(kids) - 1 // n0..n<created>
		assert.NotContains(t, have, false, "%s: %s children not a prefix", what, path)
		assert.GreaterOrEqual(t, created, p.ackedCreate[i], "%s: %s: acknowledged create lost", what, path)
		assert.GreaterOrEqual(t, v, p.ackedSet[i], "%s: %s: acknowledged setData lost", what, path)
		if p.sent != nil {
			assert.LessOrEqual(t, created, p.sent[i], "%s: %s: a create never sent", what, path)
		}
		assert.Contains(t, []int{created, created - 1}, v, "%s: %s: data %d with children up to n%d breaks the order", what, path, v, created)
	}
}

// dialAll opens n sessions to addr.
func dialAll(t *testing.T, addr string, n int) []*client.Conn {
	t.Helper()
	conns := make([]*client.Conn, n)
	for i := range conns {
		ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(20*time.Second))
		c, err := client.Dial(ctx, addr, client.WithSessionTimeout(30*time.Second))
		cancel()
		require.NoError(t, err)
		t.Cleanup(c.Drop)
		conns[i] = c
	}
	return conns
}

// isConnLoss reports an error that says the connection went, which is
// all a client may see of a write the server could not make durable.
func isConnLoss(err error) bool {
	return errors.Is(err, proto.ErrConnectionLoss) || errors.Is(err, client.ErrClosed)
}
