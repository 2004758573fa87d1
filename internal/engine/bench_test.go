package engine_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/client/clienttest"
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

// benchNode serves an engine with node /b holding data and returns a
// client connected to it.
func benchNode(b *testing.B, data []byte) (*client.Conn, string) {
	_, addr := startEngine(b, engine.Config{})
	c := clienttest.Dial(b, addr)
	_, err := c.Create(context.Background(), "/b", data, proto.FlagPersistent, proto.OpenACLUnsafe)
	require.NoError(b, err)
	return c, addr
}

// BenchmarkGetData is the read hot path: one client, one read at a time.
func BenchmarkGetData(b *testing.B) {
	c, _ := benchNode(b, []byte("data"))
	ctx := context.Background()
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
	_, addr := benchNode(b, []byte("data"))
	ctx := context.Background()
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
	c, _ := benchNode(b, nil)
	ctx := context.Background()
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
	c, _ := benchNode(b, nil)
	ctx := context.Background()
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
