//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/testport"
	zktesting "github.com/zkit-go/zkit/testing"
)

// TestBenchCompare runs -target twice over two workloads and checks the
// summary table: one row per workload and target, the first target's
// throughput over itself 1.
func TestBenchCompare(t *testing.T) {
	a, b := zktesting.StartServer(t), zktesting.StartServer(t)
	var out, errb bytes.Buffer
	rc := runBench([]string{"-target", "zkit=" + a.Addr(), "-target", "other=" + b.Addr(), "-workload", "read,write",
		"-clients", "2", "-count", "30", "-rounds", "2", "-prime", "0", "-size", "16"}, nil, &out, &errb)
	require.Equal(t, 0, rc, "stderr: %s", errb.String())
	assert.Contains(t, errb.String(), "read round 2 other:", "rounds are reported as they end")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 6, out.String())
	assert.Contains(t, lines[0], "2 clients x 1 in flight, 16-byte values, 2 rounds")
	assert.Equal(t, []string{"workload", "target", "ops/s", "zkit/this"}, strings.Fields(lines[1])[:4])
	for i, want := range [][]string{{"read", "zkit"}, {"read", "other"}, {"write", "zkit"}, {"write", "other"}} {
		f := strings.Fields(lines[2+i])
		assert.Equal(t, want, f[:2])
		if want[1] == "zkit" {
			assert.Equal(t, "1.00", f[3])
		}
	}

	rc = runBench([]string{"-target", "nameless", "-q"}, nil, io.Discard, &errb)
	assert.Equal(t, 2, rc)
}

// TestBenchHelperServer is not a test: TestBenchFirstAnswer runs the test
// binary as a server process through it.
func TestBenchHelperServer(t *testing.T) {
	port := os.Getenv("ZKIT_BENCH_HELPER_PORT")
	if port == "" {
		t.Skip("a helper process for TestBenchFirstAnswer")
	}
	os.Exit(run([]string{"server", "-port", port, "-data-dir", os.Getenv("ZKIT_BENCH_HELPER_DIR")},
		strings.NewReader(""), io.Discard, io.Discard))
}

// TestBenchFirstAnswer starts a zkit server process with -mode
// first-answer and checks the time and memory it reports.
func TestBenchFirstAnswer(t *testing.T) {
	port, err := testport.Free()
	require.NoError(t, err)
	t.Setenv("ZKIT_BENCH_HELPER_PORT", strconv.Itoa(port))
	t.Setenv("ZKIT_BENCH_HELPER_DIR", t.TempDir())
	var out, errb bytes.Buffer
	rc := runBench([]string{"-mode", "first-answer", "-server", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		"-settle", "100ms", "-json", "--", os.Args[0], "-test.run=^TestBenchHelperServer$"}, nil, &out, &errb)
	require.Equal(t, 0, rc, "stderr: %s", errb.String())
	var res struct {
		FirstAnswerMS float64 `json:"first_answer_ms"`
		RSSAtAnswerKB int64   `json:"rss_at_answer_kb"`
		RSSPeakKB     int64   `json:"rss_peak_kb"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &res))
	assert.Positive(t, res.FirstAnswerMS)
	if _, err := os.Stat("/proc/self/status"); err == nil {
		assert.Positive(t, res.RSSAtAnswerKB)
		assert.GreaterOrEqual(t, res.RSSPeakKB, res.RSSAtAnswerKB)
	}

	rc = runBench([]string{"-mode", "first-answer", "-q"}, nil, io.Discard, &errb)
	assert.Equal(t, 1, rc, "no server command")
	rc = runBench([]string{"-mode", "nope", "-q"}, nil, io.Discard, &errb)
	assert.Equal(t, 2, rc)
}
