package bench

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	zktesting "github.com/zkit-go/zkit/testing"
)

func TestHistogram(t *testing.T) {
	var h Histogram
	assert.Zero(t, h.Quantile(0.5))
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * 100 * time.Microsecond) // 0.1ms … 100ms
	}
	assert.Equal(t, uint64(1000), h.Count())
	assert.Equal(t, 100*time.Millisecond, h.Max())
	assert.InDelta(t, float64(50*time.Millisecond), float64(h.Quantile(0.5)), float64(50*time.Millisecond)*0.02)
	assert.InDelta(t, float64(99*time.Millisecond), float64(h.Quantile(0.99)), float64(99*time.Millisecond)*0.02)
	assert.LessOrEqual(t, h.Quantile(0.999), h.Max())
	var o Histogram
	o.Record(time.Hour * 2) // beyond the last bucket: clamped, still counted
	h.Merge(&o)
	assert.Equal(t, uint64(1001), h.Count())
	assert.Equal(t, 2*time.Hour, h.Quantile(1))
}

func TestBucketBounds(t *testing.T) {
	for _, us := range []uint64{0, 1, 63, 64, 65, 127, 128, 1000, 123456, 1 << 30} {
		i := bucketOf(us)
		assert.LessOrEqual(t, lowerBound(i), us, "%d", us)
		assert.Greater(t, lowerBound(i+1), us, "%d", us)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Workload: "nope"},
		{Workload: "read", Size: -1},
		{Workload: "mixed", ReadRatio: 2},
	} {
		_, err := Run(context.Background(), cfg)
		assert.ErrorIs(t, err, ErrConfig)
	}
}

// TestWorkloads runs every workload briefly against a test server and
// checks that operations were done and counted: a functional test, not a
// timed one.
func TestWorkloads(t *testing.T) {
	srv := zktesting.StartServer(t)
	for _, w := range Workloads {
		if w == "populate" {
			continue // keeps its tree: TestPopulate
		}
		t.Run(w, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(60*time.Second))
			defer cancel()
			res, err := Run(ctx, Config{Server: srv.Addr(), Workload: w, Clients: 3, Pipeline: 2, Count: 60, Size: 10})
			require.NoError(t, err)
			assert.Equal(t, int64(60), res.Ops)
			assert.Zero(t, res.Errors)
			assert.Positive(t, res.OpsPerSec)
			assert.Positive(t, res.P50)
			assert.LessOrEqual(t, res.P50, res.P999)
			assert.LessOrEqual(t, res.P999, res.Max)

			// The run removed its nodes.
			c, err := client.Dial(ctx, srv.Addr())
			require.NoError(t, err)
			defer c.Close()
			kids, err := c.GetChildren(ctx, "/zkit-bench", false)
			require.NoError(t, err)
			assert.Empty(t, kids)
		})
	}
}

func TestDurationAndProgress(t *testing.T) {
	srv := zktesting.StartServer(t)
	var reports int
	res, err := Run(context.Background(), Config{Server: srv.Addr(), Workload: "read", Clients: 2,
		Duration: 2500 * time.Millisecond, Progress: func(Progress) { reports++ }})
	require.NoError(t, err)
	assert.Positive(t, res.Ops)
	assert.GreaterOrEqual(t, res.Elapsed, 2500*time.Millisecond)
	assert.GreaterOrEqual(t, reports, 1, "progress reported about once a second")
	assert.LessOrEqual(t, reports, 2)
}

func TestServerDown(t *testing.T) {
	srv := zktesting.StartServer(t)
	addr := srv.Addr()
	srv.Stop()
	_, err := Run(context.Background(), Config{Server: addr, Workload: "read", Count: 1})
	assert.Error(t, err)
}

// TestEnsembleSpread spreads clients over every member of an ensemble.
func TestEnsembleSpread(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(60*time.Second))
	defer cancel()
	for _, w := range []string{"read", "write"} {
		res, err := Run(ctx, Config{Server: ens.ConnectString(), Workload: w, Clients: 6, Count: 120})
		require.NoError(t, err, w)
		assert.Equal(t, int64(120), res.Ops, w)
		assert.Zero(t, res.Errors, w)
	}
	for _, m := range ens.Members {
		c, err := client.Dial(ctx, m.Addr())
		require.NoError(t, err)
		_, err = c.Sync(ctx, "/")
		require.NoError(t, err)
		kids, err := c.GetChildren(ctx, "/zkit-bench", false)
		require.NoError(t, err)
		assert.Empty(t, kids, "member %d: the run removed its nodes", m.ID)
		c.Close()
	}
}
