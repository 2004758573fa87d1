package recipes

// All handling of the test ZooKeeper server lives in this file: each test
// gets its own in-process zkit server (github.com/zkit-go/zkit/testing)
// behind a fault-injecting proxy, so tests can cut connections, make the
// server unreachable, drop replies, and expire sessions.

import (
	"testing"
	"time"

	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// testServer is what tests use: a server behind a fault-injecting proxy.
type testServer struct {
	t     testing.TB
	srv   *zktesting.Server
	proxy *faultProxy
}

// ConnectString is the address clients under test use (through the proxy).
func (s *testServer) ConnectString() string { return s.proxy.addr() }

// Servers is ConnectString as a list for Connect.
func (s *testServer) Servers() []string { return []string{s.ConnectString()} }

// DirectServers bypasses the proxy, for a reliable observer client.
func (s *testServer) DirectServers() []string { return s.srv.Servers() }

// Stop stops the server; its data stays.
func (s *testServer) Stop() { s.srv.Stop() }

// Restart starts a stopped server again on the same port and data.
func (s *testServer) Restart() {
	s.t.Helper()
	s.srv.Restart()
}

// ExpireSession ends session id on the server, as a timeout would; the
// client finds out when it reconnects.
func (s *testServer) ExpireSession(id int64) { s.srv.ExpireSession(id) }

// startTestServer starts a server for this test behind its own proxy.
func startTestServer(t testing.TB) *testServer {
	t.Helper()
	srv := zktesting.StartServer(t, zktesting.WithConfig(func(c *server.Config) {
		c.TickTime = 200 * time.Millisecond
		c.MinSessionTimeout = 400 * time.Millisecond
		c.MaxSessionTimeout = 60 * time.Second
		c.ContainerCheckInterval = 500 * time.Millisecond
	}))
	return &testServer{t: t, srv: srv, proxy: startProxy(t, srv.Addr())}
}

// startDedicatedServer is startTestServer; every test has its own server.
func startDedicatedServer(t testing.TB) *testServer { return startTestServer(t) }

// stopSharedServer is called by TestMain; there is no shared server.
func stopSharedServer() {}
