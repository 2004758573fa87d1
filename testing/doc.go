// Package testing runs real zkit servers in-process for tests, so Go
// projects can test against ZooKeeper without Java. Import it with an
// alias:
//
//	import zktesting "github.com/zkit-go/zkit/testing"
//
//	func TestSomething(t *testing.T) {
//		srv := zktesting.StartServer(t)
//		conn, _, err := zk.Connect(srv.Servers(), 10*time.Second)
//		...
//	}
//
// A server listens on a free loopback port, keeps its data in t.TempDir(),
// and is closed when the test ends. Timeouts in the helpers scale with the
// ZKIT_TEST_TIMEOUT_SCALE environment variable (a number, default 1), so
// slow machines do not flake.
//
// WithTLS (WithEnsembleTLS for ensembles) also serves TLS, with a CA made
// for the test: SecureServers and TLSConfig give the client side, and the
// client certificate authenticates as x509:TLSClientID.
package testing
