package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// memberLogs captures each ensemble member's log lines, so a test can see
// which sync (DIFF, TRUNC, SNAP) a member went through. With ZKIT_TEST_LOG
// set, lines also go to stderr.
type memberLogs struct {
	mu    sync.Mutex // guards lines
	lines map[int64][]string
}

func newMemberLogs() *memberLogs { return &memberLogs{lines: make(map[int64][]string)} }

// option installs a capturing logger on every member.
func (l *memberLogs) option() zktesting.EnsembleOption {
	return zktesting.WithMemberConfig(func(id int64, c *server.Config) {
		c.Logger = slog.New(&captureHandler{logs: l, id: id})
	})
}

// has reports whether member id logged a line containing every part.
func (l *memberLogs) has(id int64, parts ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
next:
	for _, line := range l.lines[id] {
		for _, p := range parts {
			if !strings.Contains(line, p) {
				continue next
			}
		}
		return true
	}
	return false
}

// forget drops every line captured so far, so has sees only what follows.
func (l *memberLogs) forget() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.lines)
}

// grep returns member id's lines containing s, for failure messages.
func (l *memberLogs) grep(id int64, s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range l.lines[id] {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

type captureHandler struct {
	logs  *memberLogs
	id    int64
	attrs []slog.Attr
}

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	add := func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	line := b.String()
	if os.Getenv("ZKIT_TEST_LOG") != "" {
		fmt.Fprintf(os.Stderr, "member %d: %s %s\n", h.id, r.Level, line)
	}
	h.logs.mu.Lock()
	h.logs.lines[h.id] = append(h.logs.lines[h.id], line)
	h.logs.mu.Unlock()
	return nil
}

func (h *captureHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

func (h *captureHandler) WithGroup(string) slog.Handler { return h }

// followers returns the members that are not the leader.
func followersOf(ens *zktesting.Ensemble, leader *zktesting.Member) []*zktesting.Member {
	var out []*zktesting.Member
	for _, m := range ens.Members {
		if m != leader {
			out = append(out, m)
		}
	}
	return out
}

func idsOf(ms []*zktesting.Member) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// createMany creates n children of parent with workers goroutines; it
// fails the test on any error.
func createMany(t *testing.T, c *zk.Conn, parent string, n, workers int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if _, err := c.Create(fmt.Sprintf("%s/n%05d", parent, i), []byte(fmt.Sprint(i)), 0, openACL); err != nil {
					errs <- fmt.Errorf("create %d: %w", i, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// syncedChildren lists parent's children on member m after a sync, sorted.
func syncedChildren(t *testing.T, m *zktesting.Member, parent string) []string {
	t.Helper()
	c, _ := connectTo(t, []string{m.Addr()})
	defer c.Close()
	_, err := c.Sync(parent)
	require.NoError(t, err, "sync on member %d", m.ID)
	kids, _, err := c.Children(parent)
	require.NoError(t, err, "children on member %d", m.ID)
	sort.Strings(kids)
	return kids
}

// timeout scales a test timeout by ZKIT_TEST_TIMEOUT_SCALE.
func timeout(d time.Duration) time.Duration { return zktesting.Scale(d) }
