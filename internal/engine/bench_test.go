package engine_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/engine"
	"github.com/zkit-go/zkit/internal/proto"
)

// startEngine serves a standalone engine with cfg on a loopback port and
// closes it when the test ends.
func startEngine(tb testing.TB, cfg engine.Config) (*engine.Engine, string) {
	tb.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	e, err := engine.New(cfg)
	require.NoError(tb, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	require.NoError(tb, e.Start(ln))
	tb.Cleanup(func() { e.Close() })
	return e, ln.Addr().String()
}

func dial(tb testing.TB, addr string, opts ...client.Option) *client.Conn {
	tb.Helper()
	c, err := client.Dial(context.Background(), addr, opts...)
	require.NoError(tb, err)
	tb.Cleanup(func() { c.Close() })
	return c
}

// BenchmarkGetData is the read hot path: one client, one read at a time.
func BenchmarkGetData(b *testing.B) {
	_, addr := startEngine(b, engine.Config{})
	c := dial(b, addr)
	ctx := context.Background()
	_, err := c.Create(ctx, "/b", []byte("data"), proto.FlagPersistent, proto.OpenACLUnsafe)
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := c.GetData(ctx, "/b", false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetDataParallel runs reads from several sessions at once.
func BenchmarkGetDataParallel(b *testing.B) {
	_, addr := startEngine(b, engine.Config{})
	ctx := context.Background()
	_, err := dial(b, addr).Create(ctx, "/b", []byte("data"), proto.FlagPersistent, proto.OpenACLUnsafe)
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c, err := client.Dial(ctx, addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		for pb.Next() {
			if _, _, err := c.GetData(ctx, "/b", false); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkSetData is the write path with the in-memory log.
func BenchmarkSetData(b *testing.B) {
	_, addr := startEngine(b, engine.Config{})
	c := dial(b, addr)
	ctx := context.Background()
	_, err := c.Create(ctx, "/b", nil, proto.FlagPersistent, proto.OpenACLUnsafe)
	require.NoError(b, err)
	data := []byte("data")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.SetData(ctx, "/b", data, -1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSetThenGet is a write followed by a read on the same session,
// so the read queues behind the write.
func BenchmarkSetThenGet(b *testing.B) {
	_, addr := startEngine(b, engine.Config{})
	c := dial(b, addr)
	ctx := context.Background()
	_, err := c.Create(ctx, "/b", nil, proto.FlagPersistent, proto.OpenACLUnsafe)
	require.NoError(b, err)
	data := []byte("data")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		done := make(chan error, 1)
		go func() {
			_, err := c.SetData(ctx, "/b", data, -1)
			done <- err
		}()
		if _, _, err := c.GetData(ctx, "/b", false); err != nil {
			b.Fatal(err)
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}
