package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// After the leader dies, the others elect a new one and serve a write in
// well under a tickTime: failover costs the election (about 200 ms of
// finalize wait) and a sync, never a whole tick of waiting. ZooKeeper's
// own ensemble takes about half a second with default settings.
func TestEnsembleFailoverTakesLessThanATick(t *testing.T) {
	const tick = time.Second
	ens := zktesting.StartEnsemble(t, 3, zktesting.WithMemberConfig(func(_ int64, c *server.Config) {
		c.TickTime = tick
		c.InitLimit, c.SyncLimit = 10, 5
	}))
	for round := 0; round < 3; round++ {
		ens.WaitServing(60 * time.Second)
		leader := ens.WaitLeader(30 * time.Second)
		var survivors []string
		for _, m := range followersOf(ens, leader) {
			survivors = append(survivors, m.Addr())
		}
		c, err := client.Dial(context.Background(), survivors[0], client.WithSessionTimeout(20*time.Second))
		require.NoError(t, err)
		p := fmt.Sprintf("/failover-%d", round)
		_, err = c.Create(context.Background(), p, nil, 0, proto.OpenACLUnsafe)
		require.NoError(t, err)

		// Move the session to each survivor in turn until a write is
		// acknowledged (the go client would wait a second after failing
		// every address).
		sid, pw := c.SessionID(), c.Passwd()
		t0 := time.Now()
		leader.Kill()
		var took time.Duration
		zktesting.Eventually(t, 30*time.Second, func() bool {
			for _, a := range survivors {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				pc, err := client.Dial(ctx, a, client.WithSession(sid, pw), client.WithSessionTimeout(20*time.Second))
				if err == nil {
					_, err = pc.SetData(ctx, p, []byte("after"), -1)
					pc.Close()
				}
				cancel()
				if err == nil {
					took = time.Since(t0)
					return true
				}
			}
			return false
		}, "a write acknowledged after the leader died")
		c.Close()
		t.Logf("round %d: leader %d killed, first write after %v", round, leader.ID, took)
		assert.Less(t, took, zktesting.Scale(tick), "failover took a tick or more")
		leader.Restart()
	}
}
