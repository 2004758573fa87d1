// Command bench-ensemble measures how long an ensemble takes to accept a
// write after its leader is killed: it holds a session on a surviving
// member, SIGKILLs the leader's process, and retries setData (moving the
// session to the next survivor whenever its connection drops) until one
// invoked after the kill is acknowledged. It prints one JSON line.
// scripts/bench-ensemble.sh runs it against zkit and Java ZooKeeper.
//
// usage: go run ./scripts/bench-ensemble -survivors host:port,host:port -pid N
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
)

func main() {
	survivors := flag.String("survivors", "", "client addresses of the members that stay up, comma-separated")
	pid := flag.Int("pid", 0, "process id of the leader to SIGKILL")
	path := flag.String("path", "/failover-probe", "node to write")
	limit := flag.Duration("limit", 60*time.Second, "give up after this long")
	flag.Parse()
	if *survivors == "" || *pid <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	ms, err := run(strings.Split(*survivors, ","), *pid, *path, *limit)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-ensemble:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{"first_write_ms": ms})
}

func run(addrs []string, pid int, path string, limit time.Duration) (float64, error) {
	ctx := context.Background()
	c, err := client.Dial(ctx, addrs[0], client.WithSessionTimeout(30*time.Second))
	if err != nil {
		return 0, err
	}
	if _, err := c.Create(ctx, path, nil, 0, proto.OpenACLUnsafe); err != nil && !errors.Is(err, proto.ErrNodeExists) {
		return 0, fmt.Errorf("create %s: %w", path, err)
	}
	for i := 0; i < 20; i++ { // warm the path
		if _, err := c.SetData(ctx, path, []byte("warm"), -1); err != nil {
			return 0, fmt.Errorf("warm-up write: %w", err)
		}
	}
	sid, pw := c.SessionID(), c.Passwd()

	t0 := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return 0, fmt.Errorf("kill %d: %w", pid, err)
	}
	next := 1
	for time.Since(t0) < limit {
		if c != nil {
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := c.SetData(wctx, path, []byte("after"), -1)
			cancel()
			if err == nil {
				c.Close()
				return float64(time.Since(t0).Microseconds()) / 1000, nil
			}
			c.Close()
			c = nil
		}
		addr := addrs[next%len(addrs)]
		next++
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		nc, err := client.Dial(dctx, addr, client.WithSessionTimeout(30*time.Second), client.WithSession(sid, pw))
		cancel()
		if err != nil {
			time.Sleep(5 * time.Millisecond) // the member is not serving yet; pace the retries
			continue
		}
		c = nc
	}
	return 0, fmt.Errorf("no write acknowledged within %v of the kill", limit)
}
