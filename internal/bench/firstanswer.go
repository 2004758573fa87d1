package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/zkit-go/zkit/internal/client"
)

// FirstAnswerConfig describes one restart measurement.
type FirstAnswerConfig struct {
	Server  string   // the address the started server answers on
	Command []string // the server's command line
	Output  io.Writer
	// Settle is the wait after the first answer before the second RSS
	// reading; default 5s.
	Settle time.Duration
	Limit  time.Duration // give up after this long; default 10m
	// Dial options for the probing connections (TLS).
	DialOptions []client.Option
}

// FirstAnswerResult is a restart's cost: time and memory. Memory comes
// from /proc (Linux); elsewhere it is 0.
type FirstAnswerResult struct {
	FirstAnswer   time.Duration `json:"first_answer_ns"`
	FirstAnswerMS float64       `json:"first_answer_ms"`
	RSSAtAnswerKB int64         `json:"rss_at_answer_kb"`
	RSSSettledKB  int64         `json:"rss_settled_kb"`
	RSSPeakKB     int64         `json:"rss_peak_kb"`
	Settle        time.Duration `json:"settle_ns"`
}

// FirstAnswer starts the server command, measures the time until a new
// session's getData("/") succeeds and the process's resident memory then
// and after Settle, and stops the server (SIGTERM, then SIGKILL after 30s).
func FirstAnswer(ctx context.Context, cfg FirstAnswerConfig) (res FirstAnswerResult, err error) {
	if len(cfg.Command) == 0 || cfg.Server == "" {
		return res, fmt.Errorf("%w: first-answer needs a server address and a server command", ErrConfig)
	}
	if cfg.Settle <= 0 {
		cfg.Settle = 5 * time.Second
	}
	if cfg.Limit <= 0 {
		cfg.Limit = 10 * time.Minute
	}
	cmd := exec.Command(cfg.Command[0], cfg.Command[1:]...)
	cmd.Stdout, cmd.Stderr = cfg.Output, cfg.Output
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("bench: start server: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	pace := time.NewTicker(5 * time.Millisecond)
	defer pace.Stop()
	for {
		if err := probe(ctx, cfg.Server, cfg.DialOptions); err == nil {
			break
		} else if time.Since(start) > cfg.Limit {
			return res, fmt.Errorf("bench: no answer within %v: %w", cfg.Limit, err)
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-exited:
			return res, errors.New("bench: the server exited before it answered")
		case <-pace.C:
		}
	}
	res.FirstAnswer = time.Since(start)
	res.FirstAnswerMS = float64(res.FirstAnswer.Microseconds()) / 1000
	res.RSSAtAnswerKB, _ = procMemory(cmd.Process.Pid)
	res.Settle = cfg.Settle
	select {
	case <-ctx.Done():
		return res, ctx.Err()
	case <-exited:
		return res, errors.New("bench: the server exited while settling")
	case <-time.After(cfg.Settle):
	}
	res.RSSSettledKB, res.RSSPeakKB = procMemory(cmd.Process.Pid)
	return res, nil
}

// probe is one attempt: a new session and getData("/").
func probe(ctx context.Context, addr string, opts []client.Option) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	c, err := client.Dial(ctx, addr, opts...)
	if err != nil {
		return err
	}
	defer c.Close()
	_, _, err = c.GetData(ctx, "/", false)
	return err
}

// procMemory reads a process's resident and peak resident set in KiB from
// /proc/<pid>/status; 0 where it cannot.
func procMemory(pid int) (rss, peak int64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			rss, _ = strconv.ParseInt(f[1], 10, 64)
		case "VmHWM:":
			peak, _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	return rss, peak
}
