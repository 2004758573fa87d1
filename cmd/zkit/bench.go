package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zkit-go/zkit/internal/bench"
	"github.com/zkit-go/zkit/internal/cli"
	"github.com/zkit-go/zkit/internal/client"
)

func init() {
	register(command{
		name: "bench",
		summary: "bench [flags]      load a server and report ops/s and p50/p99/p999 latency\n" +
			"                     (-workload " + strings.Join(bench.Workloads, "|") + ", -clients, -duration|-count, -size, -json,\n" +
			"                     -client-configuration for TLS; -target name=addr to compare servers in\n" +
			"                     interleaved rounds; -mode failover|first-answer for leader kills and restarts)",
		run:     runBench,
		ownHelp: true,
	})
}

// benchModes are -mode's values.
var benchModes = []string{"load", "failover", "first-answer"}

// targetFlags collects repeated -target flags.
type targetFlags []bench.Target

func (t *targetFlags) String() string { return fmt.Sprint(*t) }

func (t *targetFlags) Set(s string) error {
	target, err := bench.ParseTarget(s)
	if err != nil {
		return err
	}
	*t = append(*t, target)
	return nil
}

// benchFlags is what runBench parsed beyond bench.Config.
type benchFlags struct {
	mode     string
	targets  targetFlags
	rounds   int
	prime    time.Duration
	pid      int
	path     string
	limit    time.Duration
	settle   time.Duration
	logPath  string
	asJSON   bool
	quiet    bool
	progress func(bench.Progress)
}

func runBench(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zkit bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: zkit bench [flags]
       zkit bench -target zkit=A -target java=B [-workload read,write] [-rounds 3] [flags]
       zkit bench -mode failover -server survivor,survivor -pid LEADER [flags]
       zkit bench -mode first-answer -server A [flags] -- server command...

Loads a server and reports ops/s and latency percentiles. With -target
(repeated) it runs each workload on every target in interleaved rounds and
reports medians and, per target, the first target's throughput divided
by its own.
-mode failover SIGKILLs the leader's process and times the first write a
survivor acknowledges; -mode first-answer starts a server and times its
first answer and its memory.

flags:
`)
		fs.PrintDefaults()
	}
	var cfg bench.Config
	var f benchFlags
	fs.StringVar(&f.mode, "mode", "load", "what to measure: "+strings.Join(benchModes, ", "))
	fs.StringVar(&cfg.Server, "server", "127.0.0.1:2181", "server `host:port`, or a comma-separated list (clients spread over them; failover: the survivors)")
	fs.StringVar(&cfg.Workload, "workload", "read", "workload: "+strings.Join(bench.Workloads, ", ")+" (with -target, a comma-separated list)")
	fs.IntVar(&cfg.Clients, "clients", 32, "simulated clients, one connection each (watch: watchers)")
	fs.IntVar(&cfg.Pipeline, "pipeline", 1, "requests in flight per client")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "run length (ignored with -count)")
	fs.Int64Var(&cfg.Count, "count", 0, "stop after this many ops instead of -duration (populate: the nodes to create)")
	fs.DurationVar(&cfg.Warmup, "warmup", 0, "untimed lead-in of every run, before -duration or -count starts")
	fs.IntVar(&cfg.Size, "size", 32, "value size in bytes")
	fs.Float64Var(&cfg.ReadRatio, "reads", 0.9, "mixed: fraction of reads")
	fs.StringVar(&cfg.Root, "root", "", "parent node of the run (default /zkit-bench/<random>, removed afterwards except by populate)")
	fs.DurationVar(&cfg.SessionTimeout, "session-timeout", 0, "requested session timeout (default: the client's 10s)")
	fs.Var(&f.targets, "target", "`name=host:port[,...]` to compare (repeat; rounds alternate in this order)")
	fs.IntVar(&f.rounds, "rounds", 3, "with -target: rounds per workload and target")
	fs.DurationVar(&f.prime, "prime", 3*time.Second, "with -target: one untimed mixed run per target before the rounds (0: none)")
	fs.IntVar(&f.pid, "pid", 0, "failover: process id of the leader to SIGKILL")
	fs.StringVar(&f.path, "path", "/failover-probe", "failover: node to write")
	fs.DurationVar(&f.limit, "limit", 0, "failover, first-answer: give up after this long (default 1m, 10m)")
	fs.DurationVar(&f.settle, "settle", 5*time.Second, "first-answer: wait before the second memory reading")
	fs.StringVar(&f.logPath, "log", os.DevNull, "first-answer: `file` for the server's output")
	clientConfig := fs.String("client-configuration", "", "zkCli client properties `file`: zookeeper.client.secure=true and zookeeper.ssl.* make every connection TLS (CLIENT_JVMFLAGS -D options are read too)")
	fs.BoolVar(&f.asJSON, "json", false, "print the result as JSON")
	fs.BoolVar(&f.quiet, "q", false, "no progress output")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if f.mode != "first-answer" && fs.NArg() > 0 {
		fmt.Fprintf(stderr, "zkit bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	props, err := cli.ClientProperties(os.Getenv("CLIENT_JVMFLAGS"), *clientConfig)
	if err != nil {
		fmt.Fprintf(stderr, "zkit bench: %v\n", err)
		return 2
	}
	tlsCfg, err := cli.ClientTLS(props)
	if err != nil {
		fmt.Fprintf(stderr, "zkit bench: %v\n", err)
		return 2
	}
	if tlsCfg != nil {
		cfg.DialOptions = append(cfg.DialOptions, client.WithTLS(tlsCfg))
	}
	if !f.quiet {
		f.progress = func(p bench.Progress) {
			fmt.Fprintf(stderr, "\r%6.1fs %10d ops %10.0f ops/s %6d errors", p.Elapsed.Seconds(), p.Ops, p.Rate, p.Errors)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	switch {
	case f.mode == "failover":
		return benchFailover(ctx, cfg, f, stdout, stderr)
	case f.mode == "first-answer":
		return benchFirstAnswer(ctx, cfg, f, fs.Args(), stdout, stderr)
	case f.mode != "load":
		fmt.Fprintf(stderr, "zkit bench: -mode %q (want one of %s)\n", f.mode, strings.Join(benchModes, ", "))
		return 2
	case len(f.targets) > 0:
		return benchCompare(ctx, cfg, f, stdout, stderr)
	}
	cfg.Progress = f.progress
	res, err := bench.Run(ctx, cfg)
	if !f.quiet {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if err != nil {
		fmt.Fprintf(stderr, "zkit bench: %v\n", err)
		return 1
	}
	if f.asJSON {
		return printJSON(stdout, res)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tclients\tsize\tops\terrors\tops/s\tmean\tp50\tp99\tp999\tmax\t")
	fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t\n", res.Workload, res.Clients, res.Size, res.Ops,
		res.Errors, res.OpsPerSec, ms(res.Mean), ms(res.P50), ms(res.P99), ms(res.P999), ms(res.Max))
	tw.Flush()
	return 0
}

// benchCompare runs the interleaved rounds of -target and prints each
// round as it ends (stderr) and the medians with ratios (stdout).
func benchCompare(ctx context.Context, cfg bench.Config, f benchFlags, stdout, stderr io.Writer) int {
	cc := bench.CompareConfig{Targets: f.targets, Workloads: strings.Split(cfg.Workload, ","),
		Rounds: f.rounds, Prime: f.prime, Run: cfg}
	if !f.quiet {
		cc.Round = func(r bench.RoundResult) {
			fmt.Fprintf(stderr, "  %s round %d %s: %.0f ops/s, p50 %s, p99 %s\n", r.Workload, r.Round, r.Target,
				r.OpsPerSec, ms(r.P50), ms(r.P99))
		}
	}
	cmp, err := bench.Compare(ctx, cc)
	if err != nil {
		fmt.Fprintf(stderr, "zkit bench: %v\n", err)
		return 1
	}
	if f.asJSON {
		return printJSON(stdout, cmp)
	}
	fmt.Fprintf(stdout, "%d clients x %d in flight, %d-byte values, %d rounds of %v, medians of rounds\n",
		cfg.Clients, max(cfg.Pipeline, 1), cfg.Size, max(f.rounds, 1), cfg.Duration)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "workload\ttarget\tops/s\t%s/this\tp50\tp99\tp999\trounds ops/s\t\n", f.targets[0].Name)
	for _, s := range cmp.Summary {
		rounds := make([]string, len(s.Rounds))
		for i, r := range s.Rounds {
			rounds[i] = fmt.Sprintf("%.0f", r)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.2f\t%s\t%s\t%s\t%s\t\n", s.Workload, s.Target, s.OpsPerSec, s.FirstOverThis,
			ms(s.P50), ms(s.P99), ms(s.P999), strings.Join(rounds, " "))
	}
	tw.Flush()
	return 0
}

func benchFailover(ctx context.Context, cfg bench.Config, f benchFlags, stdout, stderr io.Writer) int {
	res, err := bench.Failover(ctx, bench.FailoverConfig{Survivors: strings.Split(cfg.Server, ","), LeaderPID: f.pid,
		Path: f.path, Limit: f.limit, DialOptions: cfg.DialOptions})
	if err != nil {
		fmt.Fprintf(stderr, "zkit bench: %v\n", err)
		return 1
	}
	if f.asJSON {
		return printJSON(stdout, res)
	}
	fmt.Fprintf(stdout, "leader killed, first write acknowledged after %.3fms\n", res.FirstWriteMS)
	return 0
}

func benchFirstAnswer(ctx context.Context, cfg bench.Config, f benchFlags, command []string, stdout, stderr io.Writer) int {
	logFile, err := os.Create(f.logPath)
	if err != nil {
		fmt.Fprintf(stderr, "zkit bench: %v\n", err)
		return 1
	}
	defer logFile.Close()
	res, err := bench.FirstAnswer(ctx, bench.FirstAnswerConfig{Server: cfg.Server, Command: command, Output: logFile,
		Settle: f.settle, Limit: f.limit, DialOptions: cfg.DialOptions})
	if err != nil {
		fmt.Fprintf(stderr, "zkit bench: %v\n", err)
		return 1
	}
	if f.asJSON {
		return printJSON(stdout, res)
	}
	fmt.Fprintf(stdout, "first-answer=%v rss-at-answer=%d kB rss-after-%v=%d kB rss-peak=%d kB\n",
		res.FirstAnswer.Round(time.Millisecond), res.RSSAtAnswerKB, res.Settle, res.RSSSettledKB, res.RSSPeakKB)
	return 0
}

func printJSON(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return 1
	}
	return 0
}

// ms formats a latency in milliseconds with three decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.3fms", float64(d)/float64(time.Millisecond)) }
