package server_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/linearizability"
	zktesting "github.com/zkit-go/zkit/testing"
)

// Concurrent clients spread over every member create, set and sync+read
// while members are killed, restarted and partitioned; porcupine checks
// the history is linearizable (ZooKeeper's guarantee: writes are, and a
// read is when its session synced just before it), and every
// acknowledged create is on every member at the end.
//
// ZKIT_LIN_RUNS (default 2) runs, ZKIT_LIN_DURATION (default 4s) of load
// each; ZKIT_LIN_SEED picks the first run's seed (the fault schedule and
// each client's choices follow from it; the interleaving does not).
func TestEnsembleLinearizableUnderFaults(t *testing.T) {
	runs := envInt(t, "ZKIT_LIN_RUNS", 2)
	dur := 4 * time.Second
	if v := os.Getenv("ZKIT_LIN_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err, "ZKIT_LIN_DURATION")
		dur = d
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("ZKIT_LIN_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "ZKIT_LIN_SEED")
		seed = s
	}
	for r := 0; r < runs; r++ {
		s := seed + uint64(r)
		t.Run(fmt.Sprintf("seed=%d", s), func(t *testing.T) { linearizabilityRun(t, s, dur) })
	}
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, name)
	return n
}

const (
	linSetKeys    = 4  // /lin/k<i>: created before the run, then set
	linCreateKeys = 40 // /lin/c<i>: created during the run, contended
)

func linKey(rng *rand.Rand) string {
	if rng.IntN(3) == 0 {
		return fmt.Sprintf("/lin/c%02d", rng.IntN(linCreateKeys))
	}
	return fmt.Sprintf("/lin/k%d", rng.IntN(linSetKeys))
}

func linearizabilityRun(t *testing.T, seed uint64, dur time.Duration) {
	rng := rand.New(rand.NewPCG(seed, 1))
	observers := int(seed % 2) // odd seeds add an observer
	ens := zktesting.StartEnsemble(t, 3+observers, zktesting.WithObservers(observers))
	ens.WaitLeader(30 * time.Second)
	setup, _ := connectTo(t, ens.Servers())
	_, err := setup.Create("/lin", nil, 0, openACL)
	require.NoError(t, err)
	for i := 0; i < linSetKeys; i++ {
		_, err := setup.Create(fmt.Sprintf("/lin/k%d", i), []byte("init"), 0, openACL)
		require.NoError(t, err)
	}
	_, err = setup.Create("/lin/u", nil, 0, openACL)
	require.NoError(t, err)

	// Client ids: 0 the setup, 1..n the load, then one per member for the
	// final reads.
	rec := linearizability.NewRecorder()
	for i := 0; i < linSetKeys; i++ {
		// The initial creates, as operations that ended before the run.
		rec.Call(0, linearizability.Input{Kind: linearizability.Create, Key: fmt.Sprintf("/lin/k%d", i), Value: "init"}).
			Ok(linearizability.Output{OK: true})
	}

	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		acked    sync.Map // created paths acknowledged
		nOK      atomic.Int64
		faultLog []string
	)
	const perMember = 2
	nClients := len(ens.Members) * perMember
	for ci := 0; ci < nClients; ci++ {
		m := ens.Members[ci%len(ens.Members)]
		servers := append([]string{m.Addr()}, ens.Servers()...)
		c, _, err := zk.Connect(servers, 10*time.Second, zk.WithLogger(nopLogger{}))
		require.NoError(t, err)
		defer c.Close()
		crng := rand.New(rand.NewPCG(seed, uint64(ci)+2))
		wg.Add(1)
		go func() {
			defer wg.Done()
			linClient(c, ci+1, crng, rec, &stop, &acked, &nOK)
		}()
	}

	// Faults, one at a time, each undone before the next.
	pace := func(lo, hi int) {
		time.Sleep(time.Duration(lo+rng.IntN(hi-lo)) * time.Millisecond) // pacing the schedule, not synchronising
	}
	start := time.Now()
	zktesting.Eventually(t, 20*time.Second, func() bool { return nOK.Load() > 20 }, "clients running")
	for time.Since(start) < dur {
		pace(200, 600)
		leader := ens.Leader()
		if leader == nil {
			ens.WaitLeader(30 * time.Second)
			continue
		}
		voters := ens.Members[:3]
		victim := voters[rng.IntN(len(voters))]
		switch f := rng.IntN(5); f {
		case 0, 1: // kill (the leader half the time), then restart
			if f == 0 {
				victim = leader
			}
			faultLog = append(faultLog, fmt.Sprintf("%v kill %d (leader %d)", time.Since(start).Round(time.Millisecond), victim.ID, leader.ID))
			victim.Kill()
			pace(300, 1200)
			victim.Restart()
		case 2, 3: // cut one voter (the leader half the time) off from the rest
			if f == 2 {
				victim = leader
			}
			faultLog = append(faultLog, fmt.Sprintf("%v isolate %d (leader %d)", time.Since(start).Round(time.Millisecond), victim.ID, leader.ID))
			ens.Partition([]int64{victim.ID})
			pace(300, 1500)
			ens.Heal()
		case 4: // restart an observer or a follower
			m := ens.Members[len(ens.Members)-1]
			faultLog = append(faultLog, fmt.Sprintf("%v restart %d (leader %d)", time.Since(start).Round(time.Millisecond), m.ID, leader.ID))
			m.Restart()
		}
		ens.WaitServing(60 * time.Second)
	}
	before := nOK.Load()
	zktesting.Eventually(t, 30*time.Second, func() bool { return nOK.Load() > before+20 }, "clients make progress after the last fault")
	stop.Store(true)
	wg.Wait()

	// The end state, read on every member after sync, is part of the
	// history: a lost acknowledged write shows as an illegal final read.
	for mi, m := range ens.Members {
		c, _ := connectTo(t, []string{m.Addr()})
		keys := []string{}
		for i := 0; i < linSetKeys; i++ {
			keys = append(keys, fmt.Sprintf("/lin/k%d", i))
		}
		for i := 0; i < linCreateKeys; i++ {
			keys = append(keys, fmt.Sprintf("/lin/c%02d", i))
		}
		for _, k := range keys {
			linRead(c, nClients+1+mi, k, rec)
		}
		_, err := c.Sync("/lin/u")
		require.NoError(t, err)
		kids, _, err := c.Children("/lin/u")
		require.NoError(t, err)
		have := make(map[string]bool, len(kids))
		for _, k := range kids {
			have["/lin/u/"+k] = true
		}
		acked.Range(func(k, _ any) bool {
			if p := k.(string); strings.HasPrefix(p, "/lin/u/") {
				assert.True(t, have[p], "member %d lost acknowledged create %s (seed %d)", m.ID, p, seed)
			}
			return true
		})
		c.Close()
	}

	h := rec.History()
	byKind, unknown := linearizability.Counts(h)
	t.Logf("seed %d: %d ops (%d create, %d set, %d read), %d with unknown outcome, %d acknowledged; faults: %s",
		seed, len(h), byKind[linearizability.Create], byKind[linearizability.Set], byKind[linearizability.Read], unknown, nOK.Load(), strings.Join(faultLog, "; "))
	assert.Positive(t, byKind[linearizability.Read], "reads recorded")
	assert.Positive(t, byKind[linearizability.Set], "sets recorded")
	res := linearizability.Check(h, zktesting.Scale(60*time.Second))
	switch res.CheckResult {
	case porcupine.Illegal:
		path, err := res.Visualize(os.TempDir(), fmt.Sprintf("zkit-linearizability-%d-*.html", seed))
		if err != nil {
			path = "(visualization failed: " + err.Error() + ")"
		}
		t.Fatalf("history not linearizable; seed %d (rerun with ZKIT_LIN_SEED=%d ZKIT_LIN_RUNS=1); visualization: %s; faults: %s",
			seed, seed, path, strings.Join(faultLog, "; "))
	case porcupine.Unknown:
		t.Logf("seed %d: the checker ran out of time; no violation found", seed)
	}
}

// linClient runs one client's closed loop until stop.
func linClient(c *zk.Conn, id int, rng *rand.Rand, rec *linearizability.Recorder, stop *atomic.Bool, acked *sync.Map, nOK *atomic.Int64) {
	for seq := 0; !stop.Load(); seq++ {
		value := fmt.Sprintf("%d-%d", id, seq)
		switch r := rng.IntN(20); {
		case r < 8:
			k := fmt.Sprintf("/lin/k%d", rng.IntN(linSetKeys))
			if rng.IntN(4) == 0 {
				k = fmt.Sprintf("/lin/c%02d", rng.IntN(linCreateKeys))
			}
			p := rec.Call(id, linearizability.Input{Kind: linearizability.Set, Key: k, Value: value})
			_, err := c.Set(k, []byte(value), -1)
			switch {
			case err == nil:
				p.Ok(linearizability.Output{OK: true})
				nOK.Add(1)
			case errors.Is(err, zk.ErrNoNode):
				p.Ok(linearizability.Output{})
			default:
				p.Unknown()
			}
		case r < 11:
			k := fmt.Sprintf("/lin/c%02d", rng.IntN(linCreateKeys))
			p := rec.Call(id, linearizability.Input{Kind: linearizability.Create, Key: k, Value: value})
			_, err := c.Create(k, []byte(value), 0, openACL)
			switch {
			case err == nil:
				p.Ok(linearizability.Output{OK: true})
				nOK.Add(1)
			case errors.Is(err, zk.ErrNodeExists):
				p.Ok(linearizability.Output{})
			default:
				p.Unknown()
			}
		case r < 13:
			// A unique create, checked for loss at the end.
			k := fmt.Sprintf("/lin/u/%d-%d", id, seq)
			if _, err := c.Create(k, nil, 0, openACL); err == nil {
				acked.Store(k, true)
				nOK.Add(1)
			}
		default:
			if linRead(c, id, linKey(rng), rec) {
				nOK.Add(1)
			}
		}
	}
}

// linRead records sync(key) then getData(key) as one read.
func linRead(c *zk.Conn, id int, k string, rec *linearizability.Recorder) bool {
	p := rec.Call(id, linearizability.Input{Kind: linearizability.Read, Key: k})
	if _, err := c.Sync(k); err != nil && !errors.Is(err, zk.ErrNoNode) {
		p.Forget()
		return false
	}
	data, _, err := c.Get(k)
	switch {
	case err == nil:
		p.Ok(linearizability.Output{OK: true, Value: string(data)})
	case errors.Is(err, zk.ErrNoNode):
		p.Ok(linearizability.Output{})
	default:
		p.Forget()
		return false
	}
	return true
}
