package curatortest_test

import (
	"context"
	"testing"
	"time"

	"github.com/zkit-go/zkit/internal/curatortest"
	"github.com/zkit-go/zkit/recipes"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

func TestMain(m *testing.M) { curatortest.Main(m) }

// javaSession is the Curator clients' session timeout: short, so that a
// killed JVM's session ends promptly on the server (tick 100ms).
var javaSession = rt.Scale(3 * time.Second)

// setup starts a zkit server (behind a proxy for the Go client), a Curator
// JVM with one client "c" connected straight to the server, and a Go
// client through the proxy. It returns the Java client's session id.
func setup(t *testing.T) (*rt.Env, *curatortest.Driver, int64, *recipes.Client) {
	t.Helper()
	env := rt.StartServer(t)
	d := curatortest.Start(t, env.Srv.ConnectString())
	sid := d.Client(t, "c", javaSession)
	c := env.Connect(t)
	return env, d, sid, c
}

// ctx is a test context of a minute (scaled).
func ctx(t *testing.T) context.Context { return rt.Ctx(t, time.Minute) }

// notDone checks that a Java call is still blocked a little while after
// it was sent: proof that it waits, not that it would wait forever.
func notDone(t *testing.T, c *curatortest.Call, what string) {
	t.Helper()
	if _, err, done := c.Result(300 * time.Millisecond); done {
		t.Fatalf("%s: Curator call returned (err %v) while it should block", what, err)
	}
}
