package recipes

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	stopSharedServer()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines left behind: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// scaled multiplies d by ZKIT_TEST_TIMEOUT_SCALE (default 1) so slow
// machines can be given more time without touching the tests.
func scaled(d time.Duration) time.Duration {
	if s := os.Getenv("ZKIT_TEST_TIMEOUT_SCALE"); s != "" {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 {
			return time.Duration(float64(d) * f)
		}
	}
	return d
}

// eventually polls cond until it holds or the scaled timeout passes.
func eventually(t testing.TB, timeout time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(scaled(timeout))
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v: "+format, append([]any{scaled(timeout)}, args...)...)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// eventuallyMsg is eventually with a message built at failure time.
func eventuallyMsg(t testing.TB, timeout time.Duration, cond func() bool, msg func() string) {
	t.Helper()
	deadline := time.Now().Add(scaled(timeout))
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v: %s", scaled(timeout), msg())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), scaled(d))
	t.Cleanup(cancel)
	return ctx
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("ZKIT_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
}

var namespaces struct {
	mu   sync.Mutex
	next int
	m    map[testing.TB]map[string]string
}

// testNS returns a namespace unique to this test run (tests share a
// server, also across -count repeats), the same for every call with the
// same t and base.
func testNS(t testing.TB, base string) string {
	namespaces.mu.Lock()
	defer namespaces.mu.Unlock()
	if namespaces.m == nil {
		namespaces.m = map[testing.TB]map[string]string{}
	}
	m := namespaces.m[t]
	if m == nil {
		m = map[string]string{}
		namespaces.m[t] = m
	}
	if ns, ok := m[base]; ok {
		return ns
	}
	namespaces.next++
	ns := fmt.Sprintf("%s-%d-%d", base, os.Getpid(), namespaces.next)
	m[base] = ns
	return ns
}

// connect makes a client closed at the end of the test.
func connect(t testing.TB, servers []string, opts ...Option) *Client {
	t.Helper()
	opts = append([]Option{WithLogger(testLogger(t))}, opts...)
	c, err := Connect(testCtx(t, 30*time.Second), servers, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// stateLog records the states a client reports.
type stateLog struct {
	mu     sync.Mutex
	states []State
}

func recordStates(c *Client) *stateLog {
	l := &stateLog{}
	c.Listen(func(s State) {
		l.mu.Lock()
		l.states = append(l.states, s)
		l.mu.Unlock()
	})
	return l
}

func (l *stateLog) get() []State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]State(nil), l.states...)
}

// waitFor waits until the log ends with want.
func (l *stateLog) waitFor(t testing.TB, timeout time.Duration, want ...State) {
	t.Helper()
	eventually(t, timeout, func() bool {
		got := l.get()
		if len(got) < len(want) {
			return false
		}
		for i := range want {
			if got[len(got)-len(want)+i] != want[i] {
				return false
			}
		}
		return true
	}, "states %v, want suffix %v", l, want)
}

func (l *stateLog) String() string { return fmt.Sprint(l.get()) }
