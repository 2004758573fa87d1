// Command bench measures getData throughput and latency against one or
// more ZooKeeper-compatible servers, in interleaved rounds so that both
// see the same machine conditions:
//
//	go run ./internal/difftest/bench -target zkit=127.0.0.1:2181 -target java=127.0.0.1:2182
//
// Each client is one internal/client connection (its own session) running
// -depth goroutines, each with one getData outstanding at a time: with the
// default depth 1, 32 clients keep 32 requests in flight. Before the rounds
// it creates -path with -size bytes on every target and warms each up.
// Output: one line per round, then a summary per target (median round
// throughput, p50 and p99 over all rounds) and the throughput ratio of the
// first target to the second.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
)

type target struct{ name, addr string }

type targets []target

func (t *targets) String() string { return fmt.Sprint(*t) }

func (t *targets) Set(s string) error {
	name, addr, ok := strings.Cut(s, "=")
	if !ok {
		return errors.New("want name=host:port")
	}
	*t = append(*t, target{name, addr})
	return nil
}

type roundResult struct {
	ops  int64
	dur  time.Duration
	lats []time.Duration
}

func main() {
	var ts targets
	flag.Var(&ts, "target", "name=host:port (repeat; rounds alternate in this order)")
	clients := flag.Int("clients", 32, "concurrent client connections")
	depth := flag.Int("depth", 1, "requests in flight per connection")
	size := flag.Int("size", 1024, "data size in bytes")
	path := flag.String("path", "/bench-read", "node to read")
	dur := flag.Duration("duration", 10*time.Second, "length of one round")
	warm := flag.Duration("warmup", 3*time.Second, "warm-up per target")
	rounds := flag.Int("rounds", 3, "rounds per target")
	flag.Parse()
	if len(ts) == 0 {
		fmt.Fprintln(os.Stderr, "bench: give at least one -target")
		os.Exit(2)
	}
	ctx := context.Background()
	data := make([]byte, *size)
	for i := range data {
		data[i] = byte('a' + i%26)
	}
	for _, t := range ts {
		if err := setup(ctx, t.addr, *path, data); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s: %v\n", t.name, err)
			os.Exit(1)
		}
		if _, err := round(ctx, t.addr, *path, *clients, *depth, *warm); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s warm-up: %v\n", t.name, err)
			os.Exit(1)
		}
	}
	results := map[string][]roundResult{}
	for r := range *rounds {
		for _, t := range ts {
			res, err := round(ctx, t.addr, *path, *clients, *depth, *dur)
			if err != nil {
				fmt.Fprintf(os.Stderr, "bench: %s round %d: %v\n", t.name, r+1, err)
				os.Exit(1)
			}
			results[t.name] = append(results[t.name], res)
			p50, p99 := percentiles(res.lats)
			fmt.Printf("round %d %-6s %9.0f ops/s  p50 %7.3f ms  p99 %7.3f ms\n", r+1, t.name,
				float64(res.ops)/res.dur.Seconds(), ms(p50), ms(p99))
		}
	}
	fmt.Printf("\ngetData %d B, %d clients x depth %d, %d rounds of %v (internal/client)\n",
		*size, *clients, *depth, *rounds, *dur)
	fmt.Printf("%-6s %12s %10s %10s\n", "server", "ops/s(med)", "p50 ms", "p99 ms")
	med := map[string]float64{}
	for _, t := range ts {
		rs := results[t.name]
		var tput []float64
		var all []time.Duration
		for _, r := range rs {
			tput = append(tput, float64(r.ops)/r.dur.Seconds())
			all = append(all, r.lats...)
		}
		slices.Sort(tput)
		med[t.name] = tput[len(tput)/2]
		p50, p99 := percentiles(all)
		fmt.Printf("%-6s %12.0f %10.3f %10.3f\n", t.name, med[t.name], ms(p50), ms(p99))
	}
	if len(ts) >= 2 {
		fmt.Printf("throughput ratio %s/%s: %.2f\n", ts[0].name, ts[1].name, med[ts[0].name]/med[ts[1].name])
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func percentiles(l []time.Duration) (p50, p99 time.Duration) {
	if len(l) == 0 {
		return 0, 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return s[len(s)*50/100], s[len(s)*99/100]
}

func setup(ctx context.Context, addr, path string, data []byte) error {
	c, err := client.Dial(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Create(ctx, path, data, proto.FlagPersistent, proto.OpenACLUnsafe)
	if errors.Is(err, proto.ErrNodeExists) {
		_, err = c.SetData(ctx, path, data, -1)
	}
	return err
}

// round runs clients connections for d and returns the completed reads
// and every read's latency.
func round(ctx context.Context, addr, path string, clients, depth int, d time.Duration) (roundResult, error) {
	conns := make([]*client.Conn, clients)
	for i := range conns {
		c, err := client.Dial(ctx, addr)
		if err != nil {
			return roundResult{}, err
		}
		conns[i] = c
	}
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	var (
		stop    atomic.Bool
		ops     atomic.Int64
		mu      sync.Mutex // guards lats and firstErr
		lats    []time.Duration
		firstEr error
		wg      sync.WaitGroup
	)
	start := time.Now()
	for _, c := range conns {
		for range depth {
			wg.Add(1)
			go func() {
				defer wg.Done()
				local := make([]time.Duration, 0, 1<<16)
				for !stop.Load() {
					t0 := time.Now()
					if _, _, err := c.GetData(ctx, path, false); err != nil {
						mu.Lock()
						if firstEr == nil {
							firstEr = err
						}
						mu.Unlock()
						return
					}
					local = append(local, time.Since(t0))
				}
				ops.Add(int64(len(local)))
				mu.Lock()
				lats = append(lats, local...)
				mu.Unlock()
			}()
		}
	}
	time.Sleep(d) // the measurement window
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start)
	return roundResult{ops: ops.Load(), dur: elapsed, lats: lats}, firstEr
}
