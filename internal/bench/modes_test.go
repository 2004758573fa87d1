package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	zktesting "github.com/zkit-go/zkit/testing"
)

// TestWarmup: a warm-up's ops are neither counted nor sampled, so a
// counted run still measures exactly Count ops after it.
func TestWarmup(t *testing.T) {
	srv := zktesting.StartServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(60*time.Second))
	defer cancel()
	start := time.Now()
	res, err := Run(ctx, Config{Server: srv.Addr(), Workload: "write", Clients: 2, Count: 50,
		Warmup: 300 * time.Millisecond})
	wall := time.Since(start)
	require.NoError(t, err)
	assert.Equal(t, int64(50), res.Ops)
	assert.Zero(t, res.Errors)
	assert.GreaterOrEqual(t, wall, 300*time.Millisecond+res.Elapsed, "the measured time excludes the warm-up")

	_, err = Run(ctx, Config{Server: srv.Addr(), Workload: "read", Warmup: -time.Second})
	assert.ErrorIs(t, err, ErrConfig)
}

// TestPopulate fills a tree of directories of 1000 nodes and leaves it.
func TestPopulate(t *testing.T) {
	srv := zktesting.StartServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(60*time.Second))
	defer cancel()
	res, err := Run(ctx, Config{Server: srv.Addr(), Workload: "populate", Root: "/pop", Clients: 3, Pipeline: 4,
		Count: 2500, Size: 8, SessionTimeout: 20 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, int64(2500), res.Ops)
	assert.Zero(t, res.Errors)

	c, err := client.Dial(ctx, srv.Addr())
	require.NoError(t, err)
	defer c.Close()
	dirs, err := c.GetChildren(ctx, "/pop", false)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"d0", "d1", "d2"}, dirs)
	for d, want := range []int{1000, 1000, 500} {
		kids, err := c.GetChildren(ctx, fmt.Sprintf("/pop/d%d", d), false)
		require.NoError(t, err)
		assert.Len(t, kids, want, "d%d", d)
	}
	data, _, err := c.GetData(ctx, "/pop/d2/n2499", false)
	require.NoError(t, err)
	assert.Equal(t, "abcdefgh", string(data))

	_, err = Run(ctx, Config{Server: srv.Addr(), Workload: "populate", Duration: time.Second})
	assert.ErrorIs(t, err, ErrConfig, "populate needs a count")
}

// TestCompare runs two workloads on two servers in interleaved rounds and
// checks the order of the runs and the medians and ratios.
func TestCompare(t *testing.T) {
	a, b := zktesting.StartServer(t), zktesting.StartServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(60*time.Second))
	defer cancel()
	var seen []string
	cmp, err := Compare(ctx, CompareConfig{
		Targets:   []Target{{Name: "a", Server: a.Addr()}, {Name: "b", Server: b.Addr()}},
		Workloads: []string{"read", "write"}, Rounds: 2, Prime: 200 * time.Millisecond,
		Run:   Config{Clients: 2, Count: 40},
		Round: func(r RoundResult) { seen = append(seen, fmt.Sprintf("%s %d %s", r.Workload, r.Round, r.Target)) },
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"read 1 a", "read 1 b", "read 2 a", "read 2 b",
		"write 1 a", "write 1 b", "write 2 a", "write 2 b"}, seen)
	require.Len(t, cmp.Runs, 8)
	require.Len(t, cmp.Summary, 4)
	for i, s := range cmp.Summary {
		assert.Equal(t, []string{"read", "write"}[i/2], s.Workload)
		assert.Equal(t, []string{"a", "b"}[i%2], s.Target)
		require.Len(t, s.Rounds, 2)
		assert.Equal(t, min(s.Rounds[0], s.Rounds[1]), s.OpsPerSec, "the lower middle of two rounds")
		assert.Positive(t, s.P50)
		assert.LessOrEqual(t, s.P50, s.P99)
	}
	assert.Equal(t, 1.0, cmp.Summary[0].FirstOverThis)
	assert.InDelta(t, cmp.Summary[0].OpsPerSec/cmp.Summary[1].OpsPerSec, cmp.Summary[1].FirstOverThis, 1e-9)

	_, err = Compare(ctx, CompareConfig{Targets: []Target{{Name: "a", Server: a.Addr()}}, Workloads: []string{"populate"}})
	assert.ErrorIs(t, err, ErrConfig)
	_, err = ParseTarget("no-name")
	assert.ErrorIs(t, err, ErrConfig)
}
