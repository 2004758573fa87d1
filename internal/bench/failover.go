package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
)

// FailoverConfig describes one leader-kill measurement.
type FailoverConfig struct {
	Survivors []string // client addresses of the members that stay up
	LeaderPID int      // the leader's process, killed (SIGKILL) at the start
	Path      string   // node written before and after; default /failover-probe
	Limit     time.Duration
	// Dial options for every connection (TLS, session timeout).
	DialOptions []client.Option
}

// FailoverResult is the time from the kill to the first acknowledged write.
type FailoverResult struct {
	FirstWrite time.Duration `json:"first_write_ns"`
	// FirstWriteMS is FirstWrite in milliseconds (the scripts read it).
	FirstWriteMS float64 `json:"first_write_ms"`
}

// Failover measures how long an ensemble takes to accept a write after its
// leader is killed: it holds a session on the first survivor, writes Path
// to warm it, kills the leader's process, and retries setData (moving the
// session to the next survivor whenever its connection drops) until one
// sent after the kill is acknowledged.
func Failover(ctx context.Context, cfg FailoverConfig) (FailoverResult, error) {
	if len(cfg.Survivors) == 0 || cfg.LeaderPID <= 0 {
		return FailoverResult{}, fmt.Errorf("%w: failover needs survivors and the leader's pid", ErrConfig)
	}
	if cfg.Path == "" {
		cfg.Path = "/failover-probe"
	}
	if cfg.Limit <= 0 {
		cfg.Limit = time.Minute
	}
	opts := append([]client.Option{client.WithSessionTimeout(30 * time.Second)}, cfg.DialOptions...)
	c, err := client.Dial(ctx, cfg.Survivors[0], opts...)
	if err != nil {
		return FailoverResult{}, fmt.Errorf("bench: connect to %s: %w", cfg.Survivors[0], err)
	}
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	if _, err := c.Create(ctx, cfg.Path, nil, 0, proto.OpenACLUnsafe); err != nil && !errors.Is(err, proto.ErrNodeExists) {
		return FailoverResult{}, fmt.Errorf("bench: create %s: %w", cfg.Path, err)
	}
	for range 20 {
		if _, err := c.SetData(ctx, cfg.Path, []byte("warm"), -1); err != nil {
			return FailoverResult{}, fmt.Errorf("bench: warm-up write: %w", err)
		}
	}
	sid, passwd := c.SessionID(), c.Passwd()
	leader, err := os.FindProcess(cfg.LeaderPID)
	if err != nil {
		return FailoverResult{}, fmt.Errorf("bench: leader %d: %w", cfg.LeaderPID, err)
	}

	t0 := time.Now()
	if err := leader.Kill(); err != nil {
		return FailoverResult{}, fmt.Errorf("bench: kill %d: %w", cfg.LeaderPID, err)
	}
	opts = append(opts, client.WithSession(sid, passwd))
	pace := time.NewTicker(5 * time.Millisecond) // a member not serving yet is retried at this pace
	defer pace.Stop()
	for next := 1; time.Since(t0) < cfg.Limit; next++ {
		if c != nil {
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := c.SetData(wctx, cfg.Path, []byte("after"), -1)
			cancel()
			if err == nil {
				d := time.Since(t0)
				return FailoverResult{FirstWrite: d, FirstWriteMS: float64(d.Microseconds()) / 1000}, nil
			}
			c.Close()
			c = nil
		}
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		c, err = client.Dial(dctx, cfg.Survivors[next%len(cfg.Survivors)], opts...)
		cancel()
		if err != nil {
			c = nil
			select {
			case <-ctx.Done():
				return FailoverResult{}, ctx.Err()
			case <-pace.C:
			}
		}
	}
	return FailoverResult{}, fmt.Errorf("bench: no write acknowledged within %v of the kill", cfg.Limit)
}
