package testing_test

import (
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	zktesting "github.com/zkit-go/zkit/testing"
)

// StartServer in a test: a real zkit server on a free loopback port, its
// data in t.TempDir(), closed when the test ends. (Examples get no *T, so
// this one shows the test function without running it.)
func ExampleStartServer() {
	_ = func(t *testing.T) {
		srv := zktesting.StartServer(t)
		conn, _, err := zk.Connect(srv.Servers(), zktesting.Scale(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.Create("/jobs", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
		srv.Restart() // the data survives, as with a real server
	}
}

// StartEnsemble: three members, failures on demand.
func ExampleStartEnsemble() {
	_ = func(t *testing.T) {
		ens := zktesting.StartEnsemble(t, 3)
		conn, _, err := zk.Connect(ens.Servers(), zktesting.Scale(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		leader := ens.WaitLeader(zktesting.Scale(30 * time.Second))
		leader.Stop() // the others elect a new leader; the session moves on
		ens.WaitLeader(zktesting.Scale(30 * time.Second))
	}
}
