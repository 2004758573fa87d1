package zabsim

import (
	"flag"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var seedFlag = flag.Int64("seed", -1, "replay one simulator seed (with -v for a trace)")

// randomOptions derives a run's shape from its seed.
func randomOptions(seed uint64) Options {
	o := Options{Seed: seed, Voters: 3 + 2*int(seed%2), Observers: int(seed/2) % 2,
		MaxDelay: 1 + int(seed%5), WriteRate: 0.3, CommitLog: 4 + int(seed%7), DiskSync: seed%3 == 0,
		Batch: (seed/4)%2 == 0}
	o.CrashRate = []float64{0, 0.001, 0.003}[seed%3]
	o.PartitionRate = []float64{0, 0.002, 0.005}[(seed/3)%3]
	o.DropRate = []float64{0, 0.01, 0.03}[(seed/9)%3]
	return o
}

// runSeed runs one seeded simulation: a faulty phase, then a healed phase
// that must elect a leader and commit again.
func runSeed(t *testing.T, seed uint64, trace bool) *Sim {
	opt := randomOptions(seed)
	opt.Trace = trace
	s := New(opt)
	for range 3000 {
		s.Step()
	}
	// Heal: no more faults; every member back.
	s.opt.CrashRate, s.opt.PartitionRate, s.opt.DropRate = 0, 0, 0
	s.RestartAll()
	before := s.Committed()
	for i := 0; i < 6000 && (s.Leader() == 0 || s.Committed() < before+3); i++ {
		s.Step()
	}
	if len(s.Violations) == 0 && (s.Leader() == 0 || s.Committed() < before+3) {
		s.Violations = append(s.Violations, "liveness: no leader committing after healing")
	}
	return s
}

func seedCount() int {
	if v, err := strconv.Atoi(os.Getenv("ZKIT_ZABSIM_SEEDS")); err == nil && v > 0 {
		return v
	}
	if testing.Short() {
		return 20
	}
	return 100
}

func TestSimSeeds(t *testing.T) {
	if *seedFlag >= 0 {
		s := runSeed(t, uint64(*seedFlag), true)
		for _, l := range s.Trace {
			t.Log(l)
		}
		require.Empty(t, s.Violations, "seed %d", *seedFlag)
		return
	}
	n := seedCount()
	total := 0
	stats := map[string]int{}
	for seed := range uint64(n) {
		s := runSeed(t, seed, false)
		total += s.Commits
		for k, v := range s.Stats {
			stats[k] += v
		}
		if len(s.Violations) > 0 {
			t.Fatalf("seed %d failed (replay: go test ./internal/zab/zabsim -run TestSimSeeds -seed %d -v):\n%s",
				seed, seed, strings.Join(s.Violations[:min(10, len(s.Violations))], "\n"))
		}
	}
	t.Logf("%d seeds, %d commits applied across members, events %v", n, total, stats)
}
