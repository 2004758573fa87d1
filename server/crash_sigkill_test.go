package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client/clienttest"
	zktesting "github.com/zkit-go/zkit/testing"
)

// buildZkit builds cmd/zkit into a temporary directory.
func buildZkit(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping a test that builds and runs the zkit binary in -short mode")
	}
	bin := filepath.Join(t.TempDir(), "zkit")
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(3*time.Minute))
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/zkit-go/zkit/cmd/zkit").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// freeLoopbackPort picks a port outside the ephemeral range: the server
// restarts on it while clients keep dialling, and a port from the
// ephemeral range can meanwhile be taken by an outgoing connection.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	port, err := zktesting.FreePort()
	require.NoError(t, err)
	return port
}

// zkitProcess is a `zkit server` child process.
type zkitProcess struct {
	cmd  *exec.Cmd
	addr string
	log  string
}

func startZkitProcess(t *testing.T, bin, cfgPath, addr, logPath string) *zkitProcess {
	t.Helper()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	defer logf.Close()
	cmd := exec.Command(bin, "server", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(t, cmd.Start())
	p := &zkitProcess{cmd: cmd, addr: addr, log: logPath}
	t.Cleanup(p.kill)
	deadline := time.Now().Add(zktesting.Scale(30 * time.Second))
	for !strings.Contains(clienttest.FourLetter(addr, "srvr"), "Mode:") {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("zkit server did not start:\n%s", b)
		}
		time.Sleep(20 * time.Millisecond) // polling the port of a child process
	}
	return p
}

func (p *zkitProcess) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
}

// TestSIGKILL runs a real zkit server process, writes from concurrent
// clients, kills the process with SIGKILL at a random moment and restarts
// it on the same dataDir: every write acknowledged in this or an earlier
// round is there. ZKIT_SIGKILL_ROUNDS sets the number of rounds (default 5).
func TestSIGKILL(t *testing.T) {
	bin := buildZkit(t)
	rounds := 5
	if v, err := strconv.Atoi(os.Getenv("ZKIT_SIGKILL_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	const clients = 8
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", freeLoopbackPort(t))
	_, port, _ := net.SplitHostPort(addr)
	cfgPath := filepath.Join(dir, "zoo.cfg")
	require.NoError(t, os.WriteFile(cfgPath, []byte(fmt.Sprintf(
		"tickTime=2000\ndataDir=%s\nclientPort=%s\nclientPortAddress=127.0.0.1\nmaxClientCnxns=0\nsnapCount=500\nadmin.enableServer=false\n",
		filepath.Join(dir, "data"), port)), 0o644))
	logPath := filepath.Join(dir, "server.log")
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d, %d rounds", seed, rounds)

	var done []progress // acknowledged by the end of each earlier round
	for r := 0; r < rounds; r++ {
		p := startZkitProcess(t, bin, cfgPath, addr, logPath)
		setup := dialAll(t, addr, 1)[0]
		for _, prev := range done {
			verify(t, setup, prev, fmt.Sprintf("round %d after restart (seed %d)", r, seed))
		}
		w := setupWorkloadAt(t, setup, clients, fmt.Sprintf("/r%d-", r))
		conns := dialAll(t, addr, clients)
		stop := make(chan struct{})
		w.start(conns, stop)
		// Kill at a random moment, once some writes went through.
		zktesting.Eventually(t, 30*time.Second, func() bool { return w.acked().total() >= 20 }, "first writes")
		<-time.After(time.Duration(rng.IntN(400)) * time.Millisecond) // the random moment, not synchronisation
		p.kill()
		// After the process is gone, every acknowledgement it sent is in.
		for i, err := range w.wait() {
			require.Error(t, err, "client %d", i)
			require.True(t, isConnLoss(err), "client %d: %v", i, err)
		}
		close(stop)
		final := w.acked()
		final.sent = w.sentNow()
		t.Logf("round %d: killed after %d acknowledged writes", r, final.total())
		done = append(done, final)
	}
	p := startZkitProcess(t, bin, cfgPath, addr, logPath)
	c := dialAll(t, addr, 1)[0]
	for _, prev := range done {
		verify(t, c, prev, fmt.Sprintf("after the last kill (seed %d)", seed))
	}
	if t.Failed() {
		b, _ := os.ReadFile(logPath)
		t.Logf("server log:\n%s", b)
	}
	p.kill()
}
