package testing

import (
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	gotesting "testing"
	"time"

	"github.com/zkit-go/zkit/server"
)

// Option adjusts the configuration of a test server.
type Option func(*server.Config)

// WithConfig lets a test change any field of the server's configuration.
func WithConfig(f func(*server.Config)) Option { return Option(f) }

// WithTickTime sets tickTime; session timeouts are clamped to 2 to 20 ticks.
func WithTickTime(d time.Duration) Option {
	return func(c *server.Config) { c.TickTime = d }
}

// Server is a standalone zkit server run by a test.
type Server struct {
	t    gotesting.TB
	cfg  server.Config
	mu   sync.Mutex // guards srv and addr
	srv  *server.Server
	addr string
}

// StartServer starts a standalone server on a free loopback port with its
// data in t.TempDir(), and closes it when the test ends. By default every
// four-letter word is enabled, extended types (TTL nodes) are on, and logs
// are discarded unless ZKIT_TEST_LOG is set.
func StartServer(t gotesting.TB, opts ...Option) *Server {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.ClientPort = 0
	cfg.ClientPortAddress = "127.0.0.1"
	cfg.ExtendedTypesEnabled = true
	cfg.MaxClientCnxns = 0
	cfg.Logger = testLogger()
	// The port comes from below the ephemeral range, so it is still free
	// when the server restarts on it while clients keep dialling.
	ln, err := listenOutsideEphemeral()
	if err != nil {
		t.Fatalf("zktesting: reserve a port: %v", err)
	}
	cfg.ClientPort = portOf(ln)
	f := newFabric()
	f.reserve(0, ln)
	cfg.Listen = f.listen(0)
	t.Cleanup(f.close)
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{t: t, cfg: cfg}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

func testLogger() *slog.Logger {
	if os.Getenv("ZKIT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(discard{}, nil))
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func (s *Server) start() {
	s.t.Helper()
	srv, err := server.New(s.cfg)
	if err != nil {
		s.t.Fatalf("zktesting: new server: %v", err)
	}
	if err := srv.Start(); err != nil {
		s.t.Fatalf("zktesting: start server: %v", err)
	}
	select {
	case <-srv.Ready():
	case <-time.After(Scale(30 * time.Second)):
		srv.Close()
		s.t.Fatalf("zktesting: server not ready after %v", Scale(30*time.Second))
	}
	addr := srv.Addr().String()
	s.mu.Lock()
	s.srv, s.addr = srv, addr
	s.mu.Unlock()
	// Keep the port across Restart.
	if _, port, err := net.SplitHostPort(addr); err == nil {
		s.cfg.ClientPort, _ = strconv.Atoi(port)
	}
}

// Addr returns the server's client address, host:port.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Servers returns the address list for zk.Connect and recipes.Connect.
func (s *Server) Servers() []string { return []string{s.Addr()} }

// ConnectString returns the address as a ZooKeeper connect string.
func (s *Server) ConnectString() string { return s.Addr() }

// Server returns the running server, or nil while stopped.
func (s *Server) Server() *server.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv
}

// Stop stops the server; clients see the connection drop. It is safe to
// call more than once.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		if err := srv.Close(); err != nil {
			s.t.Errorf("zktesting: server stopped with error: %v", err)
		}
	}
}

// Restart stops the server if it runs and starts it again on the same
// port and data directory.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// ExpireSession ends a session as if it had timed out: its ephemerals go
// and its client sees Expired when it reconnects.
func (s *Server) ExpireSession(id int64) {
	if srv := s.Server(); srv != nil {
		srv.ExpireSession(id)
	}
}

// Scale multiplies d by ZKIT_TEST_TIMEOUT_SCALE (default 1).
func Scale(d time.Duration) time.Duration {
	if v := os.Getenv("ZKIT_TEST_TIMEOUT_SCALE"); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 {
			return time.Duration(float64(d) * f)
		}
	}
	return d
}

// Eventually polls cond until it is true or the scaled timeout passes.
func Eventually(t gotesting.TB, timeout time.Duration, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(Scale(timeout))
	wait := time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("zktesting: %s: not true after %v", msg, Scale(timeout))
		}
		time.Sleep(wait)
		if wait < 50*time.Millisecond {
			wait *= 2
		}
	}
}
