package naming

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/recipes/recipestest"
	zktesting "github.com/zkit-go/zkit/testing"
)

func TestMain(m *testing.M) { recipestest.Main(m) }

// Curator 5's JsonInstanceSerializer output for a ServiceInstance<Map>.
const curatorJSON = `{"name":"test","id":"e6f4b1d0-1b7e-4c2e-9d52-3c1c3f0a4b11","address":"10.1.2.3","port":1234,"sslPort":null,"payload":{"k":"v"},"registrationTimeUTC":1700000000000,"serviceType":"DYNAMIC","uriSpec":{"parts":[{"value":"http://","variable":false}]}}`

func TestInstanceJSON(t *testing.T) {
	var in Instance
	require.NoError(t, json.Unmarshal([]byte(curatorJSON), &in))
	assert.Equal(t, "test", in.Name)
	assert.Equal(t, "10.1.2.3", in.Address)
	assert.Equal(t, 1234, in.Port)
	assert.Zero(t, in.SSLPort)
	assert.True(t, in.Enabled, "missing enabled means enabled")
	assert.JSONEq(t, `{"k":"v"}`, string(in.Payload))
	assert.Equal(t, Dynamic, in.ServiceType)

	out, err := json.Marshal(Instance{Name: "api", ID: "x", Address: "h", Port: 80, ServiceType: Dynamic,
		Enabled: true, RegistrationTimeUTC: 5, Metadata: map[string]string{"zone": "a"}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"api","id":"x","address":"h","port":80,"registrationTimeUTC":5,
		"serviceType":"DYNAMIC","enabled":true,"metadata":{"zone":"a"}}`, string(out))
}

// events records what a cache listener saw.
type events struct {
	mu sync.Mutex
	ev []Event
}

func (e *events) add(ev Event) { e.mu.Lock(); e.ev = append(e.ev, ev); e.mu.Unlock() }
func (e *events) count(t EventType, id string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.ev {
		if ev.Type == t && ev.Instance.ID == id {
			n++
		}
	}
	return n
}

func ids(in []Instance) []string {
	out := []string{}
	for _, i := range in {
		out = append(out, i.ID)
	}
	sort.Strings(out)
	return out
}

func TestDiscovery(t *testing.T) {
	s := recipestest.StartServer(t)
	ctx := recipestest.Ctx(t, 50*time.Second)
	regc := recipestest.Connect(t, s.Servers())
	obsc := recipestest.Connect(t, s.DirectServers())
	reg := NewDiscovery(regc, "/services")
	defer reg.Close(context.Background())
	obs := NewDiscovery(obsc, "/services")
	defer obs.Close(context.Background())

	cache, err := obs.Cache("api")
	require.NoError(t, err)
	defer cache.Close(context.Background())
	var evs events
	cache.Listen(evs.add)
	<-cache.Initialized()

	a := NewInstance("10.0.0.1", 8080)
	a.ID = "a"
	a.Metadata = map[string]string{"zone": "x"}
	ra, err := reg.Register(ctx, "api", a)
	require.NoError(t, err)
	assert.Equal(t, "api", ra.Name)
	assert.NotZero(t, ra.RegistrationTimeUTC)
	b := NewInstance("10.0.0.2", 8080)
	b.ID = "b"
	_, err = reg.Register(ctx, "api", b)
	require.NoError(t, err)
	_, err = reg.Register(ctx, "bad/name", b)
	require.ErrorIs(t, err, ErrBadName)

	got, err := obs.Instances(ctx, "api")
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, ids(got))
	assert.Equal(t, "x", got[0].Metadata["zone"])
	names, err := obs.Names(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"api"}, names)
	recipestest.Eventually(t, 10*time.Second, func() bool { return len(cache.Instances()) == 2 }, "cache has both")
	recipestest.Eventually(t, 10*time.Second, func() bool { return evs.count(Added, "b") >= 1 }, "added events delivered")
	assert.Equal(t, 1, evs.count(Added, "a"))

	// The registering client's session expires: the instances vanish and
	// are registered again on the new session.
	old := regc.Session()
	recipestest.ExpireAndWait(t, s, regc)
	recipestest.Eventually(t, 15*time.Second, func() bool {
		_, st, err := obsc.Get(ctx, "/services/api/a")
		_, st2, err2 := obsc.Get(ctx, "/services/api/b")
		return err == nil && err2 == nil && st.EphemeralOwner == regc.Session().ID && st2.EphemeralOwner == regc.Session().ID
	}, "re-registered after session %x expired", old.ID)
	recipestest.Eventually(t, 10*time.Second, func() bool { return len(cache.Instances()) == 2 }, "cache has both again")

	// The server restarts: registrations (same session) and the cache survive.
	s.Restart()
	a.Port = 9090
	require.NoError(t, reg.Update(ctx, a))
	recipestest.Eventually(t, 15*time.Second, func() bool {
		for _, in := range cache.Instances() {
			if in.ID == "a" && in.Port == 9090 {
				return true
			}
		}
		return false
	}, "update seen after restart")
	// Listeners run on their own goroutine: the event may trail the cache.
	recipestest.Eventually(t, 10*time.Second, func() bool { return evs.count(Updated, "a") >= 1 }, "update event")

	require.NoError(t, reg.Unregister(ctx, "b"))
	require.ErrorIs(t, reg.Unregister(ctx, "b"), ErrNotRegistered)
	recipestest.Eventually(t, 10*time.Second, func() bool { return len(cache.Instances()) == 1 }, "b removed")
	recipestest.Eventually(t, 10*time.Second, func() bool { return evs.count(Removed, "b") >= 1 }, "removed event")

	require.NoError(t, reg.Close(context.Background()))
	recipestest.Eventually(t, 10*time.Second, func() bool { return len(cache.Instances()) == 0 }, "Close unregisters")
	_, err = reg.Register(ctx, "api", b)
	require.ErrorIs(t, err, ErrClosed)
}

func TestProvider(t *testing.T) {
	s := recipestest.StartServer(t)
	ctx := recipestest.Ctx(t, 30*time.Second)
	c := recipestest.Connect(t, s.Servers())
	d := NewDiscovery(c, "/svc")
	defer d.Close(context.Background())

	tests := []struct {
		name  string
		s     Strategy
		check func(t *testing.T, picks []string)
	}{
		{"round robin", RoundRobin(), func(t *testing.T, picks []string) {
			assert.Equal(t, []string{"i1", "i2", "i3", "i1", "i2", "i3"}, picks)
		}},
		{"sticky", Sticky(RoundRobin()), func(t *testing.T, picks []string) {
			for _, p := range picks {
				assert.Equal(t, picks[0], p)
			}
		}},
		{"random", Random(), func(t *testing.T, picks []string) {
			for _, p := range picks {
				assert.Contains(t, []string{"i1", "i2", "i3"}, p)
			}
		}},
	}
	p0, err := d.Provider("pool", Random())
	require.NoError(t, err)
	defer p0.Close(context.Background())
	<-p0.Cache().Initialized()
	_, err = p0.Instance()
	require.ErrorIs(t, err, ErrNoInstances)

	for _, id := range []string{"i1", "i2", "i3"} {
		in := NewInstance("h-"+id, 1)
		in.ID = id
		_, err := d.Register(ctx, "pool", in)
		require.NoError(t, err)
	}
	off := NewInstance("h-off", 1)
	off.ID, off.Enabled = "i0", false
	_, err = d.Register(ctx, "pool", off)
	require.NoError(t, err)

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := d.Provider("pool", tt.s)
			require.NoError(t, err)
			defer p.Close(context.Background())
			recipestest.Eventually(t, 10*time.Second, func() bool { return len(p.Instances()) == 3 }, "three enabled instances")
			var picks []string
			for range 6 {
				in, err := p.Instance()
				require.NoError(t, err)
				picks = append(picks, in.ID)
			}
			tt.check(t, picks)
		})
	}

	// Sticky moves on when its instance goes.
	p, err := d.Provider("pool", Sticky(RoundRobin()))
	require.NoError(t, err)
	defer p.Close(context.Background())
	recipestest.Eventually(t, 10*time.Second, func() bool { return len(p.Instances()) == 3 }, "loaded")
	first, err := p.Instance()
	require.NoError(t, err)
	require.NoError(t, d.Unregister(ctx, first.ID))
	recipestest.Eventually(t, 10*time.Second, func() bool {
		in, err := p.Instance()
		return err == nil && in.ID != first.ID
	}, "sticky moved on")
}

func TestUniqueName(t *testing.T) {
	s := recipestest.StartServer(t)
	ctx := recipestest.Ctx(t, 30*time.Second)
	c := recipestest.Connect(t, s.Servers())
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				name, path, err := UniqueName(ctx, c, "/names", "job-", []byte("x"))
				if !assert.NoError(t, err) {
					return
				}
				assert.Regexp(t, `^job-\d{10}$`, name)
				assert.Contains(t, path, name)
				mu.Lock()
				assert.False(t, seen[name], "duplicate %s", name)
				seen[name] = true
				mu.Unlock()
			}
		}()
	}
	// A lost reply does not make two names.
	s.Proxy.DropNextReply(1) // create
	wg.Wait()
	assert.Len(t, seen, 20)
	kids, _, err := c.Children(ctx, "/names")
	require.NoError(t, err)
	assert.Len(t, kids, 20)
	_, _, err = UniqueName(ctx, c, "/names", "", nil)
	require.ErrorIs(t, err, ErrBadName)
}

// On a three-member ensemble, the member the registering client and the
// cache's client are on stops (the leader, or a follower): the instances
// stay registered on the same session, the cache keeps them, and changes
// made after the failover reach the cache.
func TestDiscoveryEnsembleMemberStopped(t *testing.T) {
	recipestest.EachMemberFailure(t, func(t *testing.T, ens *recipestest.Ensemble, victim *zktesting.Member) {
		ctx := recipestest.Ctx(t, 60*time.Second)
		regc, cachec := ens.ConnectOn(t, victim), ens.ConnectOn(t, victim)
		obsc := ens.ObserverConnect(t)
		reg := NewDiscovery(regc, "/services")
		defer reg.Close(context.Background())
		cd := NewDiscovery(cachec, "/services")
		defer cd.Close(context.Background())
		cache, err := cd.Cache("api")
		require.NoError(t, err)
		defer cache.Close(context.Background())
		var evs events
		cache.Listen(evs.add)
		<-cache.Initialized()

		a := NewInstance("10.0.0.1", 8080)
		a.ID = "a"
		_, err = reg.Register(ctx, "api", a)
		require.NoError(t, err)
		recipestest.Eventually(t, 10*time.Second, func() bool { return len(cache.Instances()) == 1 }, "cache has a")
		sess := regc.Session()

		victim.Stop()
		recipestest.WaitServed(t, regc, cachec)
		assert.Equal(t, sess.ID, regc.Session().ID, "the session moved, not replaced")
		_, st, err := obsc.Get(ctx, "/services/api/a")
		require.NoError(t, err)
		assert.Equal(t, sess.ID, st.EphemeralOwner, "still registered on the same session")

		b := NewInstance("10.0.0.2", 8080)
		b.ID = "b"
		_, err = reg.Register(ctx, "api", b)
		require.NoError(t, err)
		a.Port = 9090
		require.NoError(t, reg.Update(ctx, a))
		recipestest.Eventually(t, 15*time.Second, func() bool {
			in := cache.Instances()
			return len(in) == 2 && ids(in)[0] == "a" && ids(in)[1] == "b" && portOf(in, "a") == 9090
		}, "cache sees the changes after the failover: %v", recipestest.Lazy(func() string { return fmt.Sprint(cache.Instances()) }))
		assert.Zero(t, evs.count(Removed, "a"), "a was never removed")
	})
}

func portOf(in []Instance, id string) int {
	for _, i := range in {
		if i.ID == id {
			return i.Port
		}
	}
	return 0
}
