package recipestest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zkit-go/zkit/recipes"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// Env is one test's ZooKeeper: an in-process zkit server and a proxy in
// front of it.
type Env struct {
	t     testing.TB
	Srv   *zktesting.Server
	Proxy *Proxy
}

// Start starts a server with a short tick (100ms, so session timeouts from
// 200ms to 60s are accepted and expiry is prompt) behind its own proxy.
// Both stop when the test ends.
func Start(t testing.TB) *Env {
	t.Helper()
	srv := zktesting.StartServer(t, zktesting.WithConfig(func(c *server.Config) {
		c.TickTime = 100 * time.Millisecond
		c.MinSessionTimeout = 200 * time.Millisecond
		c.MaxSessionTimeout = 60 * time.Second
		c.ContainerCheckInterval = 500 * time.Millisecond
	}))
	return &Env{t: t, Srv: srv, Proxy: StartProxy(t, srv.Addr())}
}

// Servers is the proxy's address, for clients under test.
func (e *Env) Servers() []string { return []string{e.Proxy.Addr()} }

// DirectServers is the server's own address, bypassing the proxy.
func (e *Env) DirectServers() []string { return e.Srv.Servers() }

// Stop stops the server; its data stays.
func (e *Env) Stop() { e.Srv.Stop() }

// Restart starts the server again on the same port and data.
func (e *Env) Restart() { e.Srv.Restart() }

// ExpireSession expires session id on the server as a timeout would.
func (e *Env) ExpireSession(id int64) { e.Srv.ExpireSession(id) }

var nsSeq atomic.Int64

// Namespace returns a namespace unique within this process, for tests
// that share one server.
func Namespace(base string) string {
	return fmt.Sprintf("%s-%d-%d", base, os.Getpid(), nsSeq.Add(1))
}

// Connect makes a client through the proxy, closed when the test ends.
// The session timeout defaults to Scale(4s).
func (e *Env) Connect(t testing.TB, opts ...recipes.Option) *recipes.Client {
	t.Helper()
	return connect(t, e.Servers(), opts...)
}

// ObserverConnect makes a client that dials the server directly.
func (e *Env) ObserverConnect(t testing.TB, opts ...recipes.Option) *recipes.Client {
	t.Helper()
	return connect(t, e.DirectServers(), opts...)
}

func connect(t testing.TB, servers []string, opts ...recipes.Option) *recipes.Client {
	t.Helper()
	opts = append([]recipes.Option{
		recipes.WithLogger(Logger(t)),
		recipes.WithSessionTimeout(Scale(4 * time.Second)),
	}, opts...)
	c, err := recipes.Connect(Ctx(t, 30*time.Second), servers, opts...)
	if err != nil {
		t.Fatalf("recipestest: connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Logger discards unless ZKIT_TEST_LOG is set.
func Logger(t testing.TB) *slog.Logger {
	if os.Getenv("ZKIT_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
}

// Scale multiplies d by ZKIT_TEST_TIMEOUT_SCALE (default 1).
func Scale(d time.Duration) time.Duration { return zktesting.Scale(d) }

// Ctx is a context ended after the scaled d or at the end of the test.
func Ctx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), Scale(d))
	t.Cleanup(cancel)
	return ctx
}

// Eventually polls cond every few milliseconds until it holds, failing the
// test after the scaled timeout.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(Scale(timeout))
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("recipestest: timed out after %v: "+format, append([]any{Scale(timeout)}, args...)...)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Receive waits for ch to yield or close, failing the test after the
// scaled timeout.
func Receive[T any](t testing.TB, timeout time.Duration, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(Scale(timeout)):
		t.Fatalf("recipestest: %s: nothing after %v", what, Scale(timeout))
	}
	var zero T
	return zero
}

// RequireEnsemble skips the test until the testing package can start a
// multi-member ensemble (testing.StartEnsemble). When it can, this
// function starts one and returns its client addresses.
func RequireEnsemble(t testing.TB, members int) []string {
	t.Helper()
	t.Skipf("recipestest: needs a %d-member ensemble; testing.StartEnsemble does not exist yet", members)
	return nil
}
