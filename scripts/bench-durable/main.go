// Command bench-durable is the load generator of scripts/bench-durable.sh:
// write throughput with fsync on, and restart time and memory with a big
// tree, against any ZooKeeper-compatible server (zkit or Java).
//
//	bench-durable load -addr A -op set|create [-clients 32 -depth 1 -duration 10s -size 100]
//	bench-durable populate -addr A -n 1000000 [-clients 32 -depth 16 -size 32]
//	bench-durable firstanswer -addr A [-settle 5s] -- server command...
//
// load prints throughput and latency percentiles; populate makes
// /pop/d<i/1000>/n<i>; firstanswer starts the server command, reports the
// time until a new session's getData("/") succeeds and the process's RSS
// (at that moment and after -settle), then stops it with SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bench-durable load|populate|firstanswer ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "load":
		err = load(os.Args[2:])
	case "populate":
		err = populate(os.Args[2:])
	case "firstanswer":
		err = firstAnswer(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-durable:", err)
		os.Exit(1)
	}
}

func dialN(ctx context.Context, addr string, n int) ([]*client.Conn, error) {
	conns := make([]*client.Conn, n)
	for i := range conns {
		c, err := client.Dial(ctx, addr, client.WithSessionTimeout(30*time.Second))
		if err != nil {
			return nil, err
		}
		conns[i] = c
	}
	return conns, nil
}

func ensure(ctx context.Context, c *client.Conn, path string) error {
	_, err := c.Create(ctx, path, nil, proto.FlagPersistent, proto.OpenACLUnsafe)
	if errors.Is(err, proto.ErrNodeExists) {
		return nil
	}
	return err
}

func load(args []string) error {
	fl := flag.NewFlagSet("load", flag.ExitOnError)
	addr := fl.String("addr", "127.0.0.1:2181", "server address")
	op := fl.String("op", "set", "set or create")
	clients := fl.Int("clients", 32, "sessions")
	depth := fl.Int("depth", 1, "requests in flight per session")
	dur := fl.Duration("duration", 10*time.Second, "measured time")
	warm := fl.Duration("warmup", 2*time.Second, "unmeasured time first")
	size := fl.Int("size", 100, "data bytes per write")
	label := fl.String("label", "", "name printed with the result")
	_ = fl.Parse(args)
	ctx := context.Background()
	conns, err := dialN(ctx, *addr, *clients)
	if err != nil {
		return err
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	root := "/bench-" + *op + "-" + run
	if err := ensure(ctx, conns[0], root); err != nil {
		return err
	}
	data := make([]byte, *size)
	for i := range data {
		data[i] = byte('a' + i%26)
	}
	for ci := range conns {
		for g := 0; g < *depth; g++ {
			if *op == "set" {
				if _, err := conns[ci].Create(ctx, fmt.Sprintf("%s/%d-%d", root, ci, g), data, proto.FlagPersistent, proto.OpenACLUnsafe); err != nil {
					return err
				}
			}
		}
	}
	var (
		measuring atomic.Bool
		stop      atomic.Bool
		mu        sync.Mutex // guards lat and firstErr
		lat       []time.Duration
		firstErr  error
		wg        sync.WaitGroup
	)
	for ci, c := range conns {
		for g := 0; g < *depth; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mine := make([]time.Duration, 0, 1<<16)
				path := fmt.Sprintf("%s/%d-%d", root, ci, g)
				for k := 0; !stop.Load(); k++ {
					start := time.Now()
					var err error
					if *op == "set" {
						_, err = c.SetData(ctx, path, data, -1)
					} else {
						_, err = c.Create(ctx, fmt.Sprintf("%s-%d", path, k), data, proto.FlagPersistent, proto.OpenACLUnsafe)
					}
					if err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
						return
					}
					if measuring.Load() {
						mine = append(mine, time.Since(start))
					}
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
		}
	}
	time.Sleep(*warm)
	measuring.Store(true)
	t0 := time.Now()
	time.Sleep(*dur)
	measuring.Store(false)
	elapsed := time.Since(t0)
	stop.Store(true)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))]
	}
	fmt.Printf("%s op=%s clients=%d depth=%d size=%d ops=%d ops/s=%.0f p50=%v p99=%v p999=%v\n",
		*label, *op, *clients, *depth, *size, len(lat), float64(len(lat))/elapsed.Seconds(),
		pct(0.50).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), pct(0.999).Round(10*time.Microsecond))
	return nil
}

func populate(args []string) error {
	fl := flag.NewFlagSet("populate", flag.ExitOnError)
	addr := fl.String("addr", "127.0.0.1:2181", "server address")
	n := fl.Int("n", 1_000_000, "znodes")
	clients := fl.Int("clients", 32, "sessions")
	depth := fl.Int("depth", 16, "requests in flight per session")
	size := fl.Int("size", 32, "data bytes per znode")
	_ = fl.Parse(args)
	ctx := context.Background()
	conns, err := dialN(ctx, *addr, *clients)
	if err != nil {
		return err
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	if err := ensure(ctx, conns[0], "/pop"); err != nil {
		return err
	}
	for d := 0; d < (*n+999)/1000; d++ {
		if err := ensure(ctx, conns[0], fmt.Sprintf("/pop/d%d", d)); err != nil {
			return err
		}
	}
	data := make([]byte, *size)
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	start := time.Now()
	for _, c := range conns {
		for g := 0; g < *depth; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= int64(*n) {
						return
					}
					_, err := c.Create(ctx, fmt.Sprintf("/pop/d%d/n%d", i/1000, i), data, proto.FlagPersistent, proto.OpenACLUnsafe)
					if err != nil && !errors.Is(err, proto.ErrNodeExists) {
						select {
						case errc <- err:
						default:
						}
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
	}
	fmt.Printf("populated %d znodes in %v (%.0f/s)\n", *n, time.Since(start).Round(time.Millisecond), float64(*n)/time.Since(start).Seconds())
	return nil
}

func rss(pid int) (cur, peak string) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?", "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 {
			switch f[0] {
			case "VmRSS:":
				cur = f[1] + " kB"
			case "VmHWM:":
				peak = f[1] + " kB"
			}
		}
	}
	return cur, peak
}

func firstAnswer(args []string) error {
	fl := flag.NewFlagSet("firstanswer", flag.ExitOnError)
	addr := fl.String("addr", "127.0.0.1:2181", "server address")
	settle := fl.Duration("settle", 5*time.Second, "wait before the second RSS reading")
	label := fl.String("label", "", "name printed with the result")
	logPath := fl.String("log", "/dev/null", "server output")
	_ = fl.Parse(args)
	if fl.NArg() == 0 {
		return errors.New("firstanswer: no server command")
	}
	logf, err := os.Create(*logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(fl.Arg(0), fl.Args()[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	deadline := start.Add(10 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := client.Dial(ctx, *addr)
		if err == nil {
			_, _, err = c.GetData(ctx, "/", false)
			c.Close()
		}
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("firstanswer: no answer after 10m: %w", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	took := time.Since(start)
	r1, _ := rss(cmd.Process.Pid)
	time.Sleep(*settle)
	r2, peak := rss(cmd.Process.Pid)
	fmt.Printf("%s first-answer=%v rss-at-answer=%s rss-after-%v=%s rss-peak=%s\n", *label, took.Round(time.Millisecond), r1, *settle, r2, peak)
	return nil
}
