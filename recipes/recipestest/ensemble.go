package recipestest

import (
	"testing"
	"time"

	"github.com/zkit-go/zkit/recipes"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// Ensemble is an in-process zkit ensemble (zktesting.StartEnsemble) with
// a fault proxy in front of each member, so a test can cut one client's
// path to one member while the ensemble itself stays whole.
//
// Everything of zktesting.Ensemble is promoted (Members, Leader,
// WaitLeader, WaitServing, Partition, Heal, ExpireSession, ...) except
// Servers, which here lists the proxies; DirectServers lists the members.
type Ensemble struct {
	*zktesting.Ensemble
	// Proxies[i] is in front of Members[i].
	Proxies []*Proxy
	tb      testing.TB
}

// StartEnsemble starts an n-member ensemble with the same session and
// container settings as StartServer, waits for a leader, and puts a proxy
// in front of every member. All of it stops when the test ends.
func StartEnsemble(t testing.TB, n int, opts ...zktesting.EnsembleOption) *Ensemble {
	t.Helper()
	opts = append([]zktesting.EnsembleOption{zktesting.WithMemberConfig(func(_ int64, c *server.Config) {
		serverConfig(c)
	})}, opts...)
	e := &Ensemble{Ensemble: zktesting.StartEnsemble(t, n, opts...), tb: t}
	e.WaitLeader(30 * time.Second)
	for _, m := range e.Members {
		e.Proxies = append(e.Proxies, StartProxy(t, m.Addr()))
	}
	return e
}

// Servers is every member's proxy address, for clients under test.
func (e *Ensemble) Servers() []string {
	out := make([]string, len(e.Proxies))
	for i, p := range e.Proxies {
		out[i] = p.Addr()
	}
	return out
}

// DirectServers is every member's own address, bypassing the proxies.
func (e *Ensemble) DirectServers() []string { return e.Ensemble.Servers() }

// ProxyOf is the proxy in front of m.
func (e *Ensemble) ProxyOf(m *zktesting.Member) *Proxy {
	for i, x := range e.Members {
		if x == m {
			return e.Proxies[i]
		}
	}
	panic("recipestest: not a member of this ensemble")
}

// Follower returns a running follower, waiting for one.
func (e *Ensemble) Follower() *zktesting.Member {
	var f *zktesting.Member
	e.tb.Helper()
	Eventually(e.tb, 30*time.Second, func() bool {
		for _, m := range e.Members {
			if m.Role() == server.RoleFollower {
				f = m
				return true
			}
		}
		return false
	}, "a follower")
	return f
}

// Connect makes a client of every member through the proxies, closed
// when the test ends.
func (e *Ensemble) Connect(t testing.TB, opts ...recipes.Option) *recipes.Client {
	t.Helper()
	return Connect(t, e.Servers(), opts...)
}

// MemberOf is the member whose proxy carries session id now, or nil.
func (e *Ensemble) MemberOf(id int64) *zktesting.Member {
	for i, p := range e.Proxies {
		if p.Carries(id) {
			return e.Members[i]
		}
	}
	return nil
}

// ObserverConnect makes a client of every member that bypasses the
// proxies.
func (e *Ensemble) ObserverConnect(t testing.TB, opts ...recipes.Option) *recipes.Client {
	t.Helper()
	return Connect(t, e.DirectServers(), opts...)
}

// ConnectOn makes a client that knows every member (through the proxies)
// but whose session starts on m: while it connects, the other proxies
// refuse new connections (open ones are untouched). If m stops, the
// client fails over to another member as any client would.
func (e *Ensemble) ConnectOn(t testing.TB, m *zktesting.Member, opts ...recipes.Option) *recipes.Client {
	t.Helper()
	on := e.ProxyOf(m)
	for _, p := range e.Proxies {
		if p != on {
			p.Refuse(true)
		}
	}
	defer func() {
		for _, p := range e.Proxies {
			p.Refuse(false)
		}
	}()
	c := Connect(t, e.Servers(), opts...)
	if id := c.Session().ID; !on.Carries(id) {
		t.Fatalf("recipestest: session 0x%x is not on member %d", id, m.ID)
	}
	return c
}

// EachMemberFailure runs body as two subtests, each on its own
// three-member ensemble: in "Leader" the victim is the ensemble's leader,
// in "Follower" a follower. The body puts the clients under test on the
// victim (ConnectOn) and stops it (victim.Stop) while the recipe works;
// their sessions move to the other members.
func EachMemberFailure(t *testing.T, body func(t *testing.T, ens *Ensemble, victim *zktesting.Member)) {
	for _, name := range []string{"Leader", "Follower"} {
		t.Run(name, func(t *testing.T) {
			ens := StartEnsemble(t, 3)
			victim := ens.WaitLeader(30 * time.Second)
			if name == "Follower" {
				victim = ens.Follower()
			}
			body(t, ens, victim)
		})
	}
}

// WaitServed waits until every client's requests are served: after a
// member stops, until its clients are on another member and the ensemble
// has a leader again. It asks nothing of a client until the client says
// it is connected: a request made while disconnected waits in
// go-zookeeper's send queue and goes out the moment the connection is
// back, racing the re-registration of watches (the known data race on
// zk.Conn.lastZxid in go-zookeeper v1.0.4).
func WaitServed(t testing.TB, cs ...*recipes.Client) {
	t.Helper()
	ctx := Ctx(t, 30*time.Second)
	for _, c := range cs {
		Eventually(t, 30*time.Second, func() bool { return c.State().IsConnected() }, "client 0x%x connected", c.Session().ID)
		_, err := c.Sync(ctx, "/")
		if err != nil {
			t.Fatalf("recipestest: sync of client 0x%x after failover: %v", c.Session().ID, err)
		}
	}
}
