package main

import (
	"context"
	"encoding/json"
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
			"                     -client-configuration for TLS)",
		run: runBench,
	})
}

func runBench(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zkit bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg bench.Config
	fs.StringVar(&cfg.Server, "server", "127.0.0.1:2181", "server `host:port`, or a comma-separated list (clients spread over them)")
	fs.StringVar(&cfg.Workload, "workload", "read", "workload: "+strings.Join(bench.Workloads, ", "))
	fs.IntVar(&cfg.Clients, "clients", 32, "simulated clients, one connection each (watch: watchers)")
	fs.IntVar(&cfg.Pipeline, "pipeline", 1, "requests in flight per client")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "run length (ignored with -count)")
	fs.Int64Var(&cfg.Count, "count", 0, "stop after this many ops instead of -duration")
	fs.IntVar(&cfg.Size, "size", 32, "value size in bytes")
	fs.Float64Var(&cfg.ReadRatio, "reads", 0.9, "mixed: fraction of reads")
	fs.StringVar(&cfg.Root, "root", "", "parent node of the run (default /zkit-bench/<random>, removed afterwards)")
	clientConfig := fs.String("client-configuration", "", "zkCli client properties `file`: zookeeper.client.secure=true and zookeeper.ssl.* make every connection TLS (CLIENT_JVMFLAGS -D options are read too)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	quiet := fs.Bool("q", false, "no progress line")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
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
	if !*quiet {
		cfg.Progress = func(p bench.Progress) {
			fmt.Fprintf(stderr, "\r%6.1fs %10d ops %10.0f ops/s %6d errors", p.Elapsed.Seconds(), p.Ops, p.Rate, p.Errors)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := bench.Run(ctx, cfg)
	if !*quiet {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if err != nil {
		fmt.Fprintf(stderr, "zkit bench: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res)
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tclients\tsize\tops\terrors\tops/s\tmean\tp50\tp99\tp999\tmax\t")
	fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t\n", res.Workload, res.Clients, res.Size, res.Ops,
		res.Errors, res.OpsPerSec, ms(res.Mean), ms(res.P50), ms(res.P99), ms(res.P999), ms(res.Max))
	tw.Flush()
	return 0
}

// ms formats a latency in milliseconds with three decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.3fms", float64(d)/float64(time.Millisecond)) }
