package election_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/election"
	"github.com/zkit-go/zkit/recipes"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
	zktesting "github.com/zkit-go/zkit/testing"
)

// timeline records when each participant believed it led.
type timeline struct {
	mu sync.Mutex // guards ev
	ev []change
}

type change struct {
	who    int
	leader bool
	at     time.Time
}

func (tl *timeline) listen(who int) func(bool) {
	return func(v bool) {
		tl.mu.Lock()
		tl.ev = append(tl.ev, change{who, v, time.Now()})
		tl.mu.Unlock()
	}
}

type interval struct {
	who        int
	start, end time.Time
}

func (tl *timeline) intervals() []interval {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	open := map[int]time.Time{}
	var out []interval
	for _, e := range tl.ev {
		if e.leader {
			open[e.who] = e.at
		} else if s, ok := open[e.who]; ok {
			out = append(out, interval{e.who, s, e.at})
			delete(open, e.who)
		}
	}
	now := time.Now()
	for who, s := range open {
		out = append(out, interval{who, s, now})
	}
	return out
}

// maxOverlap is the longest time two participants both believed they led.
func (tl *timeline) maxOverlap() time.Duration {
	iv := tl.intervals()
	var worst time.Duration
	for i := range iv {
		for j := range iv {
			if iv[i].who == iv[j].who {
				continue
			}
			s, e := iv[i].start, iv[i].end
			if iv[j].start.After(s) {
				s = iv[j].start
			}
			if iv[j].end.Before(e) {
				e = iv[j].end
			}
			if d := e.Sub(s); d > worst {
				worst = d
			}
		}
	}
	return worst
}

func leaders(ls []*election.Latch) []int {
	var out []int
	for i, l := range ls {
		if l.IsLeader() {
			out = append(out, i)
		}
	}
	return out
}

func oneLeader(t *testing.T, ls []*election.Latch, timeout time.Duration) int {
	t.Helper()
	var who []int
	rt.Eventually(t, timeout, func() bool { who = leaders(ls); return len(who) == 1 }, "one leader, have %v", &who)
	return who[0]
}

func TestLatchBasic(t *testing.T) {
	env := rt.StartServer(t)
	ns := rt.Namespace("latch")
	ctx := rt.Ctx(t, 30*time.Second)
	var tl timeline
	var ls []*election.Latch
	for i := 0; i < 3; i++ {
		c := env.Connect(t, recipes.WithNamespace(ns))
		l := election.NewLatch(c, "/leader", fmt.Sprint("p", i))
		l.Listen(tl.listen(i))
		require.NoError(t, l.Start())
		assert.ErrorIs(t, l.Start(), election.ErrStarted)
		t.Cleanup(func() { l.Close(context.Background()) })
		ls = append(ls, l)
		// Queue in a known order.
		rt.Eventually(t, 10*time.Second, func() bool {
			ps, err := l.Participants(ctx)
			return err == nil && len(ps) == i+1
		}, "participant %d queued", i)
	}
	require.Equal(t, 0, oneLeader(t, ls, 10*time.Second), "the first to queue leads")
	<-ls[0].Leader()
	id, err := ls[2].LeaderID(ctx)
	require.NoError(t, err)
	assert.Equal(t, "p0", id)
	ps, err := ls[1].Participants(ctx)
	require.NoError(t, err)
	require.Len(t, ps, 3)
	for i, p := range ps {
		assert.Equal(t, fmt.Sprint("p", i), p.ID)
		assert.Equal(t, i == 0, p.Leader)
	}
	select {
	case <-ls[1].NotLeader():
	default:
		t.Fatal("follower's NotLeader not closed")
	}

	// Close gives leadership up; the next in line takes over at once.
	notLeader := ls[0].NotLeader()
	start := time.Now()
	require.NoError(t, ls[0].Close(ctx))
	rt.Receive(t, time.Second, notLeader, "closed latch's NotLeader")
	assert.False(t, ls[0].IsLeader())
	require.NoError(t, ls[1].Await(ctx))
	t.Logf("leadership moved in %v after Close", time.Since(start))
	assert.Equal(t, []int{1}, leaders(ls))
	assert.Zero(t, tl.maxOverlap())
	require.NoError(t, ls[1].Close(ctx))
	require.NoError(t, ls[2].Await(ctx))
	require.NoError(t, ls[2].Close(ctx))
	assert.ErrorIs(t, ls[2].Await(ctx), election.ErrClosed)
	ps, err = ls[2].Participants(ctx)
	require.NoError(t, err)
	assert.Empty(t, ps, "no node left after Close")
	_, err = ls[2].LeaderID(ctx)
	assert.ErrorIs(t, err, election.ErrNoLeader)
}

// TestLatchFailover moves leadership away from a leader cut off in
// various ways and checks that two participants never both believe they
// lead for longer than a session timeout (not at all with DropOnSuspend),
// and that leadership moves within a bound.
func TestLatchFailover(t *testing.T) {
	faults := []struct {
		name string
		// cut isolates the leader (client 0); heal undoes it.
		cut, heal func(env *rt.Env, leader *recipes.Client)
		moves     bool // leadership must move to another participant
		// isolated: the leader's client notices the fault (Suspended)
		// before the server can expire its session. Not so when the server
		// expires it outright: the old leader hears only when told.
		isolated bool
	}{
		{"Partition",
			func(env *rt.Env, _ *recipes.Client) { env.Proxy.Partition(true) },
			func(env *rt.Env, _ *recipes.Client) { env.Proxy.Partition(false) }, true, true},
		{"ProxyDown",
			func(env *rt.Env, _ *recipes.Client) { env.Proxy.SetDown(true) },
			func(env *rt.Env, _ *recipes.Client) { env.Proxy.SetDown(false) }, true, true},
		{"SessionExpired",
			func(env *rt.Env, c *recipes.Client) { env.ExpireSession(c.Session().ID) },
			func(*rt.Env, *recipes.Client) {}, true, false},
		{"ServerRestart",
			func(env *rt.Env, _ *recipes.Client) { env.Stop(); env.Restart() },
			func(*rt.Env, *recipes.Client) {}, false, true},
	}
	for _, f := range faults {
		for _, pol := range policies {
			t.Run(f.name+"/"+pol.String(), func(t *testing.T) {
				env := rt.StartServer(t)
				// The leader talks through the proxy, the others directly,
				// so proxy faults isolate the leader only.
				checkFailover(t, failover{
					pol:      pol,
					lead:     func(opts ...recipes.Option) *recipes.Client { return env.Connect(t, opts...) },
					other:    func(opts ...recipes.Option) *recipes.Client { return env.ObserverConnect(t, opts...) },
					cut:      func(c *recipes.Client) { f.cut(env, c) },
					heal:     func(c *recipes.Client) { f.heal(env, c) },
					moves:    f.moves,
					isolated: f.isolated,
				})
			})
		}
	}
}

var policies = []election.SuspendPolicy{election.DropOnSuspend, election.KeepUntilLost}

// TestLatchEnsembleFailover is TestLatchFailover on a three-member
// ensemble whose members fail under the leader's client: the ensemble's
// leader stops or is partitioned from the rest while the latch leader's
// session is on it, a follower stops under it, or the latch leader's
// client loses every member.
//
// LeaderMemberPartitioned once left, about one run in twenty, a
// participant owning two latch nodes in one session: its join was cut
// short while the create sat uncommitted in the partitioned leader's log,
// the cleanup looked for the node too early (the leader, not yet aware of
// the partition, still answered reads), and the create committed when the
// healed leader won the next election. recipes.CreateProtected now looks
// only after a write barrier.
func TestLatchEnsembleFailover(t *testing.T) {
	faults := []struct {
		name string
		// on picks the member the latch leader's session starts on.
		on        func(ens *rt.Ensemble) *zktesting.Member
		cut, heal func(ens *rt.Ensemble, m *zktesting.Member)
		moves     bool
	}{
		{"LeaderMemberStopped", leaderMember,
			func(_ *rt.Ensemble, m *zktesting.Member) { m.Stop() },
			func(_ *rt.Ensemble, m *zktesting.Member) {}, false},
		{"FollowerMemberStopped", (*rt.Ensemble).Follower,
			func(_ *rt.Ensemble, m *zktesting.Member) { m.Stop() },
			func(_ *rt.Ensemble, m *zktesting.Member) {}, false},
		{"LeaderMemberPartitioned", leaderMember,
			func(ens *rt.Ensemble, m *zktesting.Member) { ens.Partition([]int64{m.ID}) },
			func(ens *rt.Ensemble, _ *zktesting.Member) { ens.Heal() }, false},
		{"ClientCutFromAll", (*rt.Ensemble).Follower,
			func(ens *rt.Ensemble, _ *zktesting.Member) { partitionProxies(ens, true) },
			func(ens *rt.Ensemble, _ *zktesting.Member) { partitionProxies(ens, false) }, true},
	}
	for _, f := range faults {
		for _, pol := range policies {
			t.Run(f.name+"/"+pol.String(), func(t *testing.T) {
				ens := rt.StartEnsemble(t, 3)
				m := f.on(ens)
				checkFailover(t, failover{
					pol:      pol,
					lead:     func(opts ...recipes.Option) *recipes.Client { return ens.ConnectOn(t, m, opts...) },
					other:    func(opts ...recipes.Option) *recipes.Client { return ens.ObserverConnect(t, opts...) },
					cut:      func(*recipes.Client) { f.cut(ens, m) },
					heal:     func(*recipes.Client) { f.heal(ens, m) },
					moves:    f.moves,
					isolated: true,
				})
			})
		}
	}
}

func leaderMember(ens *rt.Ensemble) *zktesting.Member { return ens.WaitLeader(30 * time.Second) }

// partitionProxies silences (or heals) the path through every member's
// proxy: only the clients made with ConnectOn or Connect are cut off.
func partitionProxies(ens *rt.Ensemble, on bool) {
	for _, p := range ens.Proxies {
		p.Partition(on)
	}
}

// failover is one run of checkFailover.
type failover struct {
	pol election.SuspendPolicy
	// lead makes the first participant's client; other the rest's.
	lead, other func(opts ...recipes.Option) *recipes.Client
	// cut isolates the leader in some way; heal undoes it.
	cut, heal func(leader *recipes.Client)
	moves     bool // leadership must move to another participant
	// isolated: the leader's client notices the fault (Suspended)
	// before its session can expire. Not so when the server expires it
	// outright: the old leader hears only when told.
	isolated bool
}

// checkFailover starts three latches with participant 0 leading, applies
// the fault and checks the guarantees: leadership moves within a bound
// (when it must), one leader again after the fault heals, and two
// participants never both believe they lead for longer than a session
// timeout (not at all with DropOnSuspend when the leader notices the
// fault).
func checkFailover(t *testing.T, f failover) {
	ns := rt.Namespace("failover")
	timeout := rt.Scale(3 * time.Second)
	var tl timeline
	var ls []*election.Latch
	var leaderClient *recipes.Client
	var clients []*recipes.Client
	for i := 0; i < 3; i++ {
		opts := []recipes.Option{recipes.WithNamespace(ns), recipes.WithSessionTimeout(timeout)}
		var c *recipes.Client
		if i == 0 {
			c = f.lead(opts...)
			leaderClient = c
		} else {
			c = f.other(opts...)
		}
		clients = append(clients, c)
		l := election.NewLatch(c, "/leader", fmt.Sprint("p", i), election.WithSuspendPolicy(f.pol))
		l.Listen(tl.listen(i))
		require.NoError(t, l.Start())
		t.Cleanup(func() { l.Close(context.Background()) })
		ls = append(ls, l)
		if i == 0 {
			require.NoError(t, l.Await(rt.Ctx(t, 10*time.Second)))
		}
	}
	require.Equal(t, 0, oneLeader(t, ls, 10*time.Second))

	start := time.Now()
	f.cut(leaderClient)
	if f.moves {
		var who []int
		rt.Eventually(t, 4*timeout, func() bool {
			who = leaders(ls)
			return len(who) == 1 && who[0] != 0
		}, "leadership moves, leaders %v", &who)
		t.Logf("leadership moved in %v (session timeout %v)", time.Since(start), timeout)
		assert.Less(t, time.Since(start), 4*timeout)
	}
	f.heal(leaderClient)
	oneLeader(t, ls, 4*timeout)
	// Everyone is back in line: three participants, one leader. Asked only
	// while client 1 is connected: a request made while it is not goes out
	// the moment it reconnects, racing go-zk's re-registration of watches
	// (see recipestest.WaitServed).
	rt.Eventually(t, 4*timeout, func() bool {
		if !clients[1].State().IsConnected() {
			return false
		}
		ps, err := ls[1].Participants(context.Background())
		return err == nil && len(ps) == 3
	}, "three participants again, have %v", rt.Lazy(func() string {
		ps, err := ls[1].Participants(context.Background())
		out := fmt.Sprintf("%+v (err %v), leaders %v;", ps, err, leaders(ls))
		for _, p := range ps {
			_, st, err := clients[1].Exists(context.Background(), p.Node)
			if err == nil && st != nil {
				out += fmt.Sprintf(" %s owner 0x%x;", p.Node, st.EphemeralOwner)
			}
		}
		for i, c := range clients {
			out += fmt.Sprintf(" client %d session 0x%x epoch %d state %v;", i, c.Session().ID, c.Session().Epoch, c.State())
		}
		return out
	}))
	oneLeader(t, ls, 4*timeout)
	t.Logf("one leader %v after the fault", time.Since(start))

	worst := tl.maxOverlap()
	t.Logf("longest double leadership: %v", worst)
	if f.pol == election.DropOnSuspend && f.isolated {
		assert.Zero(t, worst, "DropOnSuspend: never two leaders")
	} else {
		assert.Less(t, worst, timeout, "KeepUntilLost: double leadership shorter than a session timeout")
	}
}

func TestSelector(t *testing.T) {
	env := rt.StartServer(t)
	ns := rt.Namespace("selector")
	ctx := rt.Ctx(t, 60*time.Second)
	var running atomic.Int32
	var violations, terms atomic.Int32
	var ss []*election.Selector
	for i := 0; i < 3; i++ {
		c := env.Connect(t, recipes.WithNamespace(ns))
		s := election.NewSelector(c, "/sel", fmt.Sprint("s", i), func(ctx context.Context) {
			if running.Add(1) != 1 {
				violations.Add(1)
			}
			defer running.Add(-1)
			terms.Add(1)
			// Lead for a short while, or until leadership ends.
			t := time.NewTimer(20 * time.Millisecond)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
			}
		}, election.WithAutoRequeue())
		require.NoError(t, s.Start())
		t.Cleanup(func() { s.Close(context.Background()) })
		ss = append(ss, s)
	}
	rt.Eventually(t, 20*time.Second, func() bool { return terms.Load() >= 15 }, "terms pass around")
	ps, err := ss[0].Participants(ctx)
	require.NoError(t, err)
	assert.NotEmpty(t, ps)
	for _, s := range ss {
		require.NoError(t, s.Close(ctx))
	}
	assert.Zero(t, violations.Load(), "two functions ran at once")
	ps, err = ss[0].Participants(ctx)
	require.NoError(t, err)
	assert.Empty(t, ps)
}

// A leader whose session expires has its ctx cancelled; another takes over.
func TestSelectorSessionExpired(t *testing.T) {
	env := rt.StartServer(t)
	ns := rt.Namespace("selexp")
	ctx := rt.Ctx(t, 30*time.Second)
	type term struct {
		who  int
		ctx  context.Context
		done chan struct{}
	}
	terms := make(chan term, 10)
	var clients []*recipes.Client
	var ss []*election.Selector
	for i := 0; i < 2; i++ {
		c := env.Connect(t, recipes.WithNamespace(ns))
		clients = append(clients, c)
		s := election.NewSelector(c, "/sel", fmt.Sprint("s", i), func(ctx context.Context) {
			tm := term{i, ctx, make(chan struct{})}
			terms <- tm
			<-ctx.Done()
			close(tm.done)
		})
		require.NoError(t, s.Start())
		t.Cleanup(func() { s.Close(context.Background()) })
		ss = append(ss, s)
		if i == 0 {
			first := rt.Receive(t, 10*time.Second, terms, "first term")
			require.Equal(t, 0, first.who)
			terms <- first
		}
	}
	first := <-terms
	assert.True(t, ss[0].IsLeader())
	id, err := ss[1].LeaderID(ctx)
	require.NoError(t, err)
	assert.Equal(t, "s0", id)
	env.ExpireSession(clients[0].Session().ID)
	rt.Receive(t, 10*time.Second, first.done, "leader's ctx cancelled")
	second := rt.Receive(t, 10*time.Second, terms, "second term")
	assert.Equal(t, 1, second.who)
	assert.False(t, ss[0].IsLeader())
	// Without requeue the old leader does not compete again until asked.
	assert.True(t, ss[0].Requeue())
	require.NoError(t, ss[1].Close(ctx))
	rt.Receive(t, 10*time.Second, second.done, "closed leader's ctx cancelled")
	third := rt.Receive(t, 10*time.Second, terms, "requeued participant leads")
	assert.Equal(t, 0, third.who)
	require.NoError(t, ss[0].Close(ctx))
	rt.Receive(t, 10*time.Second, third.done, "ctx cancelled by Close")
}
