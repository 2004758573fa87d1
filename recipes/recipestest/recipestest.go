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
	"go.uber.org/goleak"
)

// Main runs the tests and then fails the binary if goroutines were left
// behind. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines left behind: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// Env is one test's single ZooKeeper server: an in-process zkit server
// and a fault proxy in front of it.
type Env struct {
	Srv   *zktesting.Server
	Proxy *Proxy
}

// serverConfig is what every test server (single or ensemble member)
// gets: sessions from 200ms to 60s are accepted, empty containers go
// within a second, and TTL nodes are allowed.
func serverConfig(c *server.Config) {
	c.TickTime = 100 * time.Millisecond
	c.MinSessionTimeout = 200 * time.Millisecond
	c.MaxSessionTimeout = 60 * time.Second
	c.ContainerCheckInterval = 500 * time.Millisecond
	c.ExtendedTypesEnabled = true
}

// StartServer starts a server for this test with a short tick (100ms, so
// expiry is prompt) behind its own proxy. Both stop when the test ends.
func StartServer(t testing.TB) *Env {
	t.Helper()
	srv := zktesting.StartServer(t, zktesting.WithConfig(serverConfig))
	return &Env{Srv: srv, Proxy: StartProxy(t, srv.Addr())}
}

// Servers is the proxy's address, for clients under test.
func (e *Env) Servers() []string { return []string{e.Proxy.Addr()} }

// DirectServers is the server's own address, bypassing the proxy.
func (e *Env) DirectServers() []string { return e.Srv.Servers() }

// Stop stops the server; its data stays.
func (e *Env) Stop() { e.Srv.Stop() }

// Restart stops the server if it runs and starts it again on the same
// port and data: sessions survive, as they do when a server fails over.
func (e *Env) Restart() { e.Srv.Restart() }

// ExpireSession expires session id on the server as a timeout would.
func (e *Env) ExpireSession(id int64) { e.Srv.ExpireSession(id) }

// Connect makes a client through the proxy, closed when the test ends.
func (e *Env) Connect(t testing.TB, opts ...recipes.Option) *recipes.Client {
	t.Helper()
	return Connect(t, e.Servers(), opts...)
}

// ObserverConnect makes a client that dials the server directly, for a
// checker that must not see the proxy's faults.
func (e *Env) ObserverConnect(t testing.TB, opts ...recipes.Option) *recipes.Client {
	t.Helper()
	return Connect(t, e.DirectServers(), opts...)
}

// Connect makes a client of servers, closed when the test ends. The
// session timeout defaults to Scale(4s); opts come after the defaults and
// so override them.
func Connect(t testing.TB, servers []string, opts ...recipes.Option) *recipes.Client {
	t.Helper()
	opts = append([]recipes.Option{
		recipes.WithLogger(Logger(t)),
		recipes.WithSessionTimeout(Scale(4 * time.Second)),
	}, opts...)
	c, err := recipes.Connect(Ctx(t, 30*time.Second), servers, opts...)
	if err != nil {
		t.Fatalf("recipestest: connect to %v: %v", servers, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Cluster is what StartServer's Env and StartEnsemble's Ensemble both
// are, for a test that runs on either.
type Cluster interface {
	// Servers are the addresses clients under test dial (the proxies).
	Servers() []string
	// DirectServers bypass the proxies.
	DirectServers() []string
	Connect(t testing.TB, opts ...recipes.Option) *recipes.Client
	ObserverConnect(t testing.TB, opts ...recipes.Option) *recipes.Client
	// ExpireSession expires a session as a timeout would.
	ExpireSession(id int64)
}

var (
	_ Cluster = (*Env)(nil)
	_ Cluster = (*Ensemble)(nil)
)

// ExpireAndWait expires c's current session and waits until c has a new
// one.
func ExpireAndWait(t testing.TB, s Cluster, c *recipes.Client) {
	t.Helper()
	old := c.Session()
	s.ExpireSession(old.ID)
	Eventually(t, 20*time.Second, func() bool {
		return c.Session().Epoch > old.Epoch && c.State().IsConnected()
	}, "new session after expiring 0x%x", old.ID)
}

var nsSeq atomic.Int64

// Namespace returns a namespace unique within this process, for tests
// that share one server.
func Namespace(base string) string {
	return fmt.Sprintf("%s-%d-%d", base, os.Getpid(), nsSeq.Add(1))
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

// Eventually polls cond every 10ms until it holds, failing the test after
// the scaled timeout. The message is formatted only on failure, so args
// may be pointers or Lazy values that show the state at that moment.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(Scale(timeout))
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("recipestest: timed out after %v: "+format, append([]any{Scale(timeout)}, args...)...)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Lazy is an Eventually argument computed when the message is printed.
type Lazy func() string

func (l Lazy) String() string { return l() }

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
