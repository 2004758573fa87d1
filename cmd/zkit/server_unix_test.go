//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/internal/testport"
	zktesting "github.com/zkit-go/zkit/testing"
)

// TestServerRunsWithFlags runs `zkit server` with flags and no zoo.cfg,
// checks it serves on the flag's port with JSON logs, and stops it with
// SIGTERM (exit 0).
func TestServerRunsWithFlags(t *testing.T) {
	port, err := testport.Free()
	require.NoError(t, err)
	dir := t.TempDir()
	var stderr syncWriter
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"server", "-port", strconv.Itoa(port), "-data-dir", dir, "-log-format", "json", "-log-level", "debug"},
			strings.NewReader(""), io.Discard, &stderr)
	}()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(zktesting.Scale(20 * time.Second))
	for !strings.Contains(clienttest.FourLetter(addr, "srvr"), "Mode: standalone") {
		select {
		case code := <-done:
			t.Fatalf("server exited with %d:\n%s", code, stderr.String())
		default:
		}
		require.True(t, time.Now().Before(deadline), "server not serving on %s:\n%s", addr, stderr.String())
		time.Sleep(20 * time.Millisecond) // polling the port
	}
	assert.Contains(t, clienttest.FourLetter(addr, "srvr"), "Zookeeper version: 3.8.0-zkit")
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
	select {
	case code := <-done:
		assert.Equal(t, 0, code, stderr.String())
	case <-time.After(zktesting.Scale(20 * time.Second)):
		t.Fatal("server did not stop on SIGTERM")
	}
	var starting bool
	for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &rec), "a JSON log line: %s", l)
		if rec["msg"] == "zkit starting" {
			starting = true
		}
	}
	assert.True(t, starting)
	_, err = os.Stat(filepath.Join(dir, "version-2"))
	assert.NoError(t, err, "data in the -data-dir")
}

// syncWriter is a bytes.Buffer safe for the server's goroutines.
type syncWriter struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
