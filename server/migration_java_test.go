package server_test

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/internal/linearizability"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// Live migration between Java ZooKeeper 3.8 and zkit, under load.
//
// The CI variant migrates a 3-member Java ensemble member by member to
// zkit (same zoo.cfg, myid and dataDir; followers first, the leader last)
// and back, and through reconfig (zkit members added, Java ones removed,
// and back). ZKIT_MIGRATION_FULL=1 runs 5 members and first replaces Java
// with Java, the baseline the write gaps are compared with.
//
// While members change, clients on every member write (creates and sets
// whose acknowledgements are recorded, sync+reads), hold ephemerals and
// watches on several sessions, and one client writes a key in a tight loop
// to measure the longest client-visible write gap per step. At the end:
// every acknowledged create is on every member, no session expired, every
// ephemeral is there, every watch set before the migration fires once,
// and porcupine finds the history linearizable.

func migrationFull() bool { return os.Getenv("ZKIT_MIGRATION_FULL") == "1" }

// migMember is one member slot: a Java or a zkit server on one zoo.cfg.
type migMember struct {
	id      int64
	addr    string
	cfgPath string
	java    *clienttest.JavaMember
	zkit    *server.Server
	zkitLog *os.File
}

func (m *migMember) kind() string {
	switch {
	case m.zkit != nil:
		return "zkit"
	case m.java != nil && m.java.Running():
		return "java"
	}
	return "-"
}

func modeOf(addr string) string {
	for _, line := range strings.Split(clienttest.FourLetter(addr, "srvr"), "\n") {
		if v, ok := strings.CutPrefix(line, "Mode: "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// waitModeOf polls srvr until the member serves in an ensemble role.
func waitModeOf(t *testing.T, addr string, d time.Duration) string {
	t.Helper()
	var mode string
	zktesting.Eventually(t, d, func() bool {
		mode = modeOf(addr)
		return mode == "leader" || mode == "follower" || mode == "observer"
	}, "member "+addr+" serves")
	return mode
}

// stop stops whatever runs in the slot.
func (m *migMember) stop(t *testing.T) {
	t.Helper()
	if m.zkit != nil {
		require.NoError(t, m.zkit.Close())
		m.zkit = nil
		m.zkitLog.Close()
		return
	}
	if m.java != nil {
		m.java.Stop()
	}
}

// startZkit starts zkit on the slot's zoo.cfg (and myid, dataDir,
// dynamic file), logging to zkit.log beside it.
func (m *migMember) startZkit(t *testing.T) {
	t.Helper()
	cfg, err := server.ParseConfig(m.cfgPath)
	require.NoError(t, err)
	f, err := os.OpenFile(filepath.Join(filepath.Dir(m.cfgPath), "zkit.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	cfg.Logger = slog.New(slog.NewTextHandler(f, nil))
	s, err := server.New(cfg)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	m.zkit, m.zkitLog = s, f
	t.Cleanup(func() {
		if m.zkit == s {
			s.Close()
			f.Close()
		}
	})
}

func (m *migMember) startJava(t *testing.T) {
	t.Helper()
	require.NoError(t, m.java.Start())
}

// migLoad is the clients' work during a migration.
type migLoad struct {
	t        *testing.T
	servers  []string
	rec      *linearizability.Recorder
	stop     atomic.Bool
	wg       sync.WaitGroup
	acked    sync.Map
	nOK      atomic.Int64
	expired  atomic.Int64
	nClients int
	conns    []*zk.Conn

	gapMu sync.Mutex
	acks  []time.Time // the gap writer's acknowledged writes

	watchers []migWatcher
}

type migWatcher struct {
	c     *zk.Conn
	path  string // watched with getData; set at the end
	eph   string
	watch <-chan zk.Event
}

const migWatchers = 3

// timedLogger logs the gap writer's connection changes, with the time.
type timedLogger struct{ t *testing.T }

func (l timedLogger) Printf(format string, args ...any) {
	l.t.Logf("%s gap writer: %s", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

func (l *migLoad) connect(servers []string) *zk.Conn { return l.connectLogged(servers, nopLogger{}) }

func (l *migLoad) connectLogged(servers []string, logger zk.Logger) *zk.Conn {
	l.t.Helper()
	c, ev, err := zk.Connect(servers, 20*time.Second, zk.WithLogger(logger))
	require.NoError(l.t, err)
	l.conns = append(l.conns, c)
	waitState(l.t, ev, zk.StateHasSession)
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for e := range ev {
			if e.State == zk.StateExpired {
				l.expired.Add(1)
			}
		}
	}()
	return c
}

func startMigLoad(t *testing.T, servers []string, seed uint64) *migLoad {
	l := &migLoad{t: t, servers: servers, rec: linearizability.NewRecorder()}
	setup := l.connect(servers)
	for _, p := range []string{"/lin", "/lin/u", "/mig"} {
		_, err := setup.Create(p, nil, 0, openACL)
		require.NoError(t, err)
	}
	for i := 0; i < linSetKeys; i++ {
		k := fmt.Sprintf("/lin/k%d", i)
		_, err := setup.Create(k, []byte("init"), 0, openACL)
		require.NoError(t, err)
		l.rec.Call(0, linearizability.Input{Kind: linearizability.Create, Key: k, Value: "init"}).Ok(linearizability.Output{OK: true})
	}
	_, err := setup.Create("/lin/gap", []byte("init"), 0, openACL)
	require.NoError(t, err)
	l.rec.Call(0, linearizability.Input{Kind: linearizability.Create, Key: "/lin/gap", Value: "init"}).Ok(linearizability.Output{OK: true})
	// Sessions holding an ephemeral and a data watch each.
	for i := 0; i < migWatchers; i++ {
		w := migWatcher{path: fmt.Sprintf("/mig/w%d", i), eph: fmt.Sprintf("/mig/e%d", i)}
		_, err := setup.Create(w.path, nil, 0, openACL)
		require.NoError(t, err)
		w.c = l.connect(rotate(servers, i))
		_, err = w.c.Create(w.eph, nil, zk.FlagEphemeral, openACL)
		require.NoError(t, err)
		_, _, w.watch, err = w.c.GetW(w.path)
		require.NoError(t, err)
		l.watchers = append(l.watchers, w)
	}
	// Load clients, each preferring a member.
	l.nClients = 2 * len(servers)
	for ci := 0; ci < l.nClients; ci++ {
		c := l.connect(rotate(servers, ci))
		crng := rand.New(rand.NewPCG(seed, uint64(ci)+2))
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			migClient(c, ci+1, crng, l)
		}()
	}
	// The gap writer.
	gw := l.connectLogged(servers, timedLogger{t})
	gapID := l.nClients + 1
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for seq := 0; !l.stop.Load(); seq++ {
			v := fmt.Sprintf("gap-%d", seq)
			p := l.rec.Call(gapID, linearizability.Input{Kind: linearizability.Set, Key: "/lin/gap", Value: v})
			if _, err := gw.Set("/lin/gap", []byte(v), -1); err != nil {
				p.Unknown()
				continue
			}
			p.Ok(linearizability.Output{OK: true})
			l.gapMu.Lock()
			l.acks = append(l.acks, time.Now())
			l.gapMu.Unlock()
		}
	}()
	l.progress(20)
	return l
}

// migPace spaces a load client's operations, so that a migration's
// history stays small enough for porcupine to decide (a closed loop on
// loopback makes hundreds of thousands of operations a minute).
const migPace = 2 * time.Millisecond

// migClient is linClient's mix of operations, paced.
func migClient(c *zk.Conn, id int, rng *rand.Rand, l *migLoad) {
	for seq := 0; !l.stop.Load(); seq++ {
		time.Sleep(migPace) // pacing the load, not synchronising
		value := fmt.Sprintf("%d-%d", id, seq)
		switch r := rng.IntN(20); {
		case r < 8:
			k := fmt.Sprintf("/lin/k%d", rng.IntN(linSetKeys))
			p := l.rec.Call(id, linearizability.Input{Kind: linearizability.Set, Key: k, Value: value})
			_, err := c.Set(k, []byte(value), -1)
			switch {
			case err == nil:
				p.Ok(linearizability.Output{OK: true})
				l.nOK.Add(1)
			case errors.Is(err, zk.ErrNoNode):
				p.Ok(linearizability.Output{})
			default:
				p.Unknown()
			}
		case r < 11:
			k := fmt.Sprintf("/lin/c%02d", rng.IntN(linCreateKeys))
			p := l.rec.Call(id, linearizability.Input{Kind: linearizability.Create, Key: k, Value: value})
			_, err := c.Create(k, []byte(value), 0, openACL)
			switch {
			case err == nil:
				p.Ok(linearizability.Output{OK: true})
				l.nOK.Add(1)
			case errors.Is(err, zk.ErrNodeExists):
				p.Ok(linearizability.Output{})
			default:
				p.Unknown()
			}
		case r < 14:
			// A unique create, checked on every member at the end.
			k := fmt.Sprintf("/lin/u/%d-%d", id, seq)
			if _, err := c.Create(k, nil, 0, openACL); err == nil {
				l.acked.Store(k, true)
				l.nOK.Add(1)
			}
		default:
			k := fmt.Sprintf("/lin/k%d", rng.IntN(linSetKeys))
			if rng.IntN(3) == 0 {
				k = fmt.Sprintf("/lin/c%02d", rng.IntN(linCreateKeys))
			}
			if linRead(c, id, k, l.rec) {
				l.nOK.Add(1)
			}
		}
	}
}

func rotate(s []string, i int) []string {
	i %= len(s)
	return append(append([]string(nil), s[i:]...), s[:i]...)
}

// progress waits until the load clients have n more acknowledged
// operations and the gap writer a few more writes: the ensemble serves.
func (l *migLoad) progress(n int64) {
	l.t.Helper()
	ok := l.nOK.Load()
	l.gapMu.Lock()
	g := len(l.acks)
	l.gapMu.Unlock()
	zktesting.Eventually(l.t, 60*time.Second, func() bool {
		l.gapMu.Lock()
		defer l.gapMu.Unlock()
		return l.nOK.Load() >= ok+n && len(l.acks) >= g+3
	}, "clients make progress")
}

// longestGap is the longest time between two acknowledged gap writes
// around the window [from, to], and the acknowledgement that began it.
func (l *migLoad) longestGap(from, to time.Time) (time.Duration, time.Time) {
	l.gapMu.Lock()
	defer l.gapMu.Unlock()
	var longest time.Duration
	var start time.Time
	for i := 1; i < len(l.acks); i++ {
		a, b := l.acks[i-1], l.acks[i]
		if b.Before(from) || a.After(to) {
			continue
		}
		if d := b.Sub(a); d > longest {
			longest, start = d, a
		}
	}
	return longest, start
}

// finish stops the load and checks the end state on every member.
func (l *migLoad) finish(members []*migMember) {
	t := l.t
	t.Helper()
	l.stop.Store(true)
	check, _ := connectTo(t, l.servers)
	// Every watch set before the migration fires, once.
	for _, w := range l.watchers {
		_, err := check.Set(w.path, []byte("end"), -1)
		require.NoError(t, err)
	}
	for _, w := range l.watchers {
		select {
		case ev := <-w.watch:
			assert.Equal(t, zk.EventNodeDataChanged, ev.Type, "watch on %s", w.path)
		case <-time.After(zktesting.Scale(30 * time.Second)):
			t.Errorf("the watch on %s set before the migration never fired", w.path)
		}
	}
	for mi, m := range members {
		c, _ := connectTo(t, []string{m.addr})
		for i := 0; i < linSetKeys; i++ {
			linRead(c, l.nClients+2+mi, fmt.Sprintf("/lin/k%d", i), l.rec)
		}
		for i := 0; i < linCreateKeys; i++ {
			linRead(c, l.nClients+2+mi, fmt.Sprintf("/lin/c%02d", i), l.rec)
		}
		linRead(c, l.nClients+2+mi, "/lin/gap", l.rec)
		_, err := c.Sync("/lin/u")
		require.NoError(t, err)
		kids, _, err := c.Children("/lin/u")
		require.NoError(t, err)
		have := make(map[string]bool, len(kids))
		for _, k := range kids {
			have["/lin/u/"+k] = true
		}
		lost := 0
		l.acked.Range(func(k, _ any) bool {
			if p := k.(string); strings.HasPrefix(p, "/lin/u/") && !have[p] {
				lost++
			}
			return true
		})
		assert.Zero(t, lost, "member %d (%s) lost acknowledged creates", m.id, m.kind())
		for _, w := range l.watchers {
			ok, _, err := c.Exists(w.eph)
			require.NoError(t, err)
			assert.True(t, ok, "member %d (%s): ephemeral %s of a live session", m.id, m.kind(), w.eph)
		}
		c.Close()
	}
	for _, c := range l.conns {
		c.Close()
	}
	l.wg.Wait()
	assert.Zero(t, l.expired.Load(), "sessions expired during the migration")
	h := l.rec.History()
	byKind, unknown := linearizability.Counts(h)
	t.Logf("history: %d ops (%d create, %d set, %d read), %d with unknown outcome, %d acknowledged load ops",
		len(h), byKind[linearizability.Create], byKind[linearizability.Set], byKind[linearizability.Read], unknown, l.nOK.Load())
	res := linearizability.Check(h, zktesting.Scale(60*time.Second))
	switch res.CheckResult {
	case porcupine.Illegal:
		path, err := res.Visualize(os.TempDir(), "zkit-migration-*.html")
		if err != nil {
			path = "(visualization failed: " + err.Error() + ")"
		}
		t.Fatalf("history not linearizable; visualization: %s", path)
	case porcupine.Unknown:
		t.Logf("the checker ran out of time; no violation found")
	}
}

// migStep is one replaced member, measured.
type migStep struct {
	what    string
	serving time.Duration // from starting the new server to srvr reporting its role
	gap     time.Duration // longest write gap from stopping the old one until the ensemble serves again
}

// replace stops the slot's server and starts the other kind on the same
// configuration and data.
func replace(t *testing.T, l *migLoad, members []*migMember, m *migMember, to string) migStep {
	t.Helper()
	from := m.kind()
	role := modeOf(m.addr)
	begin := time.Now()
	m.stop(t)
	started := time.Now()
	t.Logf("%s member %d (%s) %s stopped in %v, starting %s", started.Format("15:04:05.000"), m.id, role, from, started.Sub(begin).Round(time.Millisecond), to)
	switch to {
	case "zkit":
		m.startZkit(t)
	case "java":
		m.startJava(t)
	}
	waitModeOf(t, m.addr, 90*time.Second)
	serving := time.Since(started)
	for _, o := range members {
		waitModeOf(t, o.addr, 90*time.Second)
	}
	l.progress(10)
	gap, gapFrom := l.longestGap(begin, time.Now())
	st := migStep{
		what:    fmt.Sprintf("member %d (%s) %s -> %s", m.id, role, from, to),
		serving: serving,
		gap:     gap,
	}
	t.Logf("%s: serving %v after start; longest write gap %v (from %s)", st.what, st.serving.Round(time.Millisecond),
		st.gap.Round(time.Millisecond), gapFrom.Format("15:04:05.000"))
	checkGap(t, st)
	return st
}

// byRoleLeaderLast orders the members followers first, the leader last.
func byRoleLeaderLast(members []*migMember) []*migMember {
	out := slices.Clone(members)
	slices.SortStableFunc(out, func(a, b *migMember) int {
		la, lb := modeOf(a.addr) == "leader", modeOf(b.addr) == "leader"
		switch {
		case la == lb:
			return 0
		case la:
			return 1
		}
		return -1
	})
	return out
}

// migrationDir is where the members' directories go: ZKIT_MIGRATION_DIR
// keeps them (zoo.cfg, data, server.log, zkit.log) for a look after a run.
func migrationDir(t *testing.T) string {
	if d := os.Getenv("ZKIT_MIGRATION_DIR"); d != "" {
		dir, err := os.MkdirTemp(d, "migration-*")
		require.NoError(t, err)
		t.Logf("member directories in %s", dir)
		return dir
	}
	return t.TempDir()
}

// javaLogTimes makes the Java members' server.log lines carry the time
// of day, so that they can be laid beside zkit.log and the gap writer's.
var javaLogTimes = []string{
	"-Dorg.slf4j.simpleLogger.showDateTime=true",
	"-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
}

func startJavaForMigration(t *testing.T, n int, extra ...string) *clienttest.JavaEnsemble {
	t.Helper()
	je, err := clienttest.StartJavaEnsemble(migrationDir(t), n, javaLogTimes, nil, extra...)
	if errors.Is(err, clienttest.ErrNoJava) {
		t.Skip(err.Error())
	}
	require.NoError(t, err)
	t.Cleanup(je.Stop)
	return je
}

// TestMigrationRollingMixedWithObserver is the rolling migration of an
// ensemble of three voters and an observer (the leader last): on the
// way it runs with a Java leader over zkit followers and a zkit observer,
// with a zkit leader over Java members, and back.
func TestMigrationRollingMixedWithObserver(t *testing.T) {
	je, err := clienttest.StartJavaEnsembleWithObservers(migrationDir(t), 4, 1, javaLogTimes, nil)
	if errors.Is(err, clienttest.ErrNoJava) {
		t.Skip(err.Error())
	}
	require.NoError(t, err)
	t.Cleanup(je.Stop)
	var members []*migMember
	for _, jm := range je.Members {
		members = append(members, &migMember{id: jm.ID, addr: jm.Addr, cfgPath: filepath.Join(jm.Dir(), "zoo.cfg"), java: jm})
	}
	require.Equal(t, "observer", modeOf(members[3].addr))
	l := startMigLoad(t, je.Servers(), uint64(time.Now().UnixNano()))
	var steps []migStep
	leaders := map[string]bool{}
	phase := func(to string) {
		for _, m := range byRoleLeaderLast(members) {
			steps = append(steps, replace(t, l, members, m, to))
			for _, o := range members {
				if modeOf(o.addr) == "leader" {
					leaders[o.kind()] = true
				}
			}
		}
	}
	phase("zkit")
	require.Equal(t, "observer", modeOf(members[3].addr), "the zkit observer")
	phase("java")
	require.Equal(t, "observer", modeOf(members[3].addr), "the Java observer")
	require.True(t, leaders["java"] && leaders["zkit"], "both kinds led: %v", leaders)
	l.finish(members)
	reportSteps(t, steps)
}

// TestMigrationRollingJavaToZkit replaces each member of a Java ensemble
// with zkit on its own zoo.cfg, myid and dataDir (followers first, the
// leader last), then rolls back to Java the same way, under load.
func TestMigrationRollingJavaToZkit(t *testing.T) {
	n := 3
	if migrationFull() {
		n = 5
	}
	je := startJavaForMigration(t, n)
	var members []*migMember
	for _, jm := range je.Members {
		members = append(members, &migMember{id: jm.ID, addr: jm.Addr, cfgPath: filepath.Join(jm.Dir(), "zoo.cfg"), java: jm})
	}
	l := startMigLoad(t, je.Servers(), uint64(time.Now().UnixNano()))
	var steps []migStep
	phase := func(to string) {
		for _, m := range byRoleLeaderLast(members) {
			steps = append(steps, replace(t, l, members, m, to))
		}
	}
	if migrationFull() {
		phase("java") // the baseline: Java replacing Java
	}
	phase("zkit")
	for _, m := range members {
		require.Equal(t, "zkit", m.kind())
	}
	phase("java")
	l.finish(members)
	reportSteps(t, steps)
}

// maxStepGap bounds a step's longest write gap: a leader change costs a
// second or two, a follower change a reconnect. A gap of the client's
// recvTimeout (2/3 of its 20 s session timeout) means a member held the
// client's requests unanswered until the client gave up.
const maxStepGap = 10 * time.Second

func checkGap(t *testing.T, st migStep) {
	t.Helper()
	assert.Less(t, st.gap, zktesting.Scale(maxStepGap), "%s: a client's writes were held up", st.what)
}

func reportSteps(t *testing.T, steps []migStep) {
	var b strings.Builder
	for _, s := range steps {
		fmt.Fprintf(&b, "\n  %-40s serving after %6v  longest write gap %6v", s.what, s.serving.Round(10*time.Millisecond), s.gap.Round(10*time.Millisecond))
	}
	t.Logf("steps:%s", b.String())
}
