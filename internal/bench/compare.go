package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Target is one server (or ensemble) in a comparison.
type Target struct {
	Name   string // a label: zkit, java, ...
	Server string // as Config.Server: host:port or a comma-separated ensemble
}

// ParseTarget reads name=host:port[,host:port...].
func ParseTarget(s string) (Target, error) {
	name, server, ok := strings.Cut(s, "=")
	if !ok || name == "" || server == "" {
		return Target{}, fmt.Errorf("%w: target %q (want name=host:port[,host:port...])", ErrConfig, s)
	}
	return Target{Name: name, Server: server}, nil
}

// CompareConfig describes interleaved rounds over several targets: for
// each workload, round after round, each target in turn, so that every
// target sees the same machine conditions.
type CompareConfig struct {
	Targets   []Target
	Workloads []string
	Rounds    int // per workload and target; default 3
	// Prime is one untimed mixed run per target before the first round
	// (the JVM's JIT, caches); 0 skips it.
	Prime time.Duration
	// Run is the template of every run; Server and Workload are set per run.
	Run Config
	// Round, when set, is called after each run.
	Round func(RoundResult)
}

// RoundResult is one run of a comparison.
type RoundResult struct {
	Target string `json:"target"`
	Round  int    `json:"round"`
	Result
}

// Summary is one workload on one target: medians over its rounds.
type Summary struct {
	Workload  string        `json:"workload"`
	Target    string        `json:"target"`
	Rounds    []float64     `json:"rounds_ops_per_sec"`
	OpsPerSec float64       `json:"ops_per_sec"`
	P50       time.Duration `json:"p50_ns"`
	P99       time.Duration `json:"p99_ns"`
	P999      time.Duration `json:"p999_ns"`
	// FirstOverThis is the first target's OpsPerSec over this one's: how
	// many times the first target's throughput this is (1 for the first).
	FirstOverThis float64 `json:"first_over_this"`
}

// Comparison is Compare's outcome.
type Comparison struct {
	Runs    []RoundResult `json:"runs"`
	Summary []Summary     `json:"summary"` // by workload, then target, in the config's order
}

// Compare runs the rounds and reports, per workload and target, the
// median of the rounds' throughput and of their p50, p99 and p999 (a
// median of rounds, so that one round spoilt by a neighbour on a shared
// machine does not move it), and the first target's throughput over each.
func Compare(ctx context.Context, cfg CompareConfig) (Comparison, error) {
	if len(cfg.Targets) == 0 || len(cfg.Workloads) == 0 {
		return Comparison{}, fmt.Errorf("%w: a comparison needs targets and workloads", ErrConfig)
	}
	if cfg.Rounds <= 0 {
		cfg.Rounds = 3
	}
	for _, w := range cfg.Workloads {
		if !slices.Contains(Workloads, w) || w == "populate" {
			return Comparison{}, fmt.Errorf("%w: workload %q cannot be compared", ErrConfig, w)
		}
	}
	if cfg.Prime > 0 {
		for _, t := range cfg.Targets {
			run := cfg.Run
			run.Server, run.Workload, run.Duration, run.Count, run.Warmup, run.Progress = t.Server, "mixed", cfg.Prime, 0, 0, nil
			if _, err := Run(ctx, run); err != nil {
				return Comparison{}, fmt.Errorf("bench: prime %s: %w", t.Name, err)
			}
		}
	}
	var out Comparison
	for _, w := range cfg.Workloads {
		for round := 1; round <= cfg.Rounds; round++ {
			for _, t := range cfg.Targets {
				run := cfg.Run
				run.Server, run.Workload = t.Server, w
				res, err := Run(ctx, run)
				if err != nil {
					return out, fmt.Errorf("bench: %s round %d on %s: %w", w, round, t.Name, err)
				}
				rr := RoundResult{Target: t.Name, Round: round, Result: res}
				out.Runs = append(out.Runs, rr)
				if cfg.Round != nil {
					cfg.Round(rr)
				}
			}
		}
		for _, t := range cfg.Targets {
			out.Summary = append(out.Summary, summarize(w, t.Name, out.Runs))
		}
		first := out.Summary[len(out.Summary)-len(cfg.Targets)]
		for i := len(out.Summary) - len(cfg.Targets); i < len(out.Summary); i++ {
			out.Summary[i].FirstOverThis = Ratio(first.OpsPerSec, out.Summary[i].OpsPerSec)
		}
	}
	return out, nil
}

func summarize(workload, target string, runs []RoundResult) Summary {
	s := Summary{Workload: workload, Target: target}
	var p50, p99, p999 []time.Duration
	for _, r := range runs {
		if r.Workload != workload || r.Target != target {
			continue
		}
		s.Rounds = append(s.Rounds, r.OpsPerSec)
		p50, p99, p999 = append(p50, r.P50), append(p99, r.P99), append(p999, r.P999)
	}
	s.OpsPerSec = median(slices.Clone(s.Rounds))
	s.P50, s.P99, s.P999 = median(p50), median(p99), median(p999)
	return s
}

// median is the middle value (the lower middle of an even count, as the
// scripts' jq did), 0 for none. It sorts v.
func median[T float64 | time.Duration](v []T) T {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[(len(v)-1)/2]
}
