//go:build unix

package bench

import (
	"context"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	zktesting "github.com/zkit-go/zkit/testing"
)

// TestFailover kills a stand-in process (the real leader's kill is
// scripts/bench-ensemble.sh's) and times the first write on the survivors.
func TestFailover(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep command to stand in for the leader's process")
	}
	ens := zktesting.StartEnsemble(t, 3)
	leader := exec.Command(sleep, "600")
	require.NoError(t, leader.Start())
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(60*time.Second))
	defer cancel()
	res, err := Failover(ctx, FailoverConfig{Survivors: ens.Servers()[1:], LeaderPID: leader.Process.Pid, Path: "/probe"})
	require.NoError(t, err)
	assert.Positive(t, res.FirstWrite)
	assert.InDelta(t, float64(res.FirstWrite.Microseconds())/1000, res.FirstWriteMS, 1e-9)
	err = leader.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	status, ok := exit.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	assert.Equal(t, syscall.SIGKILL, status.Signal(), "the leader was killed")

	_, err = Failover(ctx, FailoverConfig{Survivors: ens.Servers()})
	assert.ErrorIs(t, err, ErrConfig)
}
