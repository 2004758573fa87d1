package server_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	zktesting "github.com/zkit-go/zkit/testing"
)

// TestChildWatchSurvivesRestarts: a client's child watch is re-registered
// with setWatches after each restart and fires for a change made then.
func TestChildWatchSurvivesRestarts(t *testing.T) {
	srv := zktesting.StartServer(t)
	c, _ := connect(t, srv)
	w, _ := connect(t, srv)
	_, err := c.Create("/s", nil, 0, openACL)
	require.NoError(t, err)
	for i := 0; i < 5; i++ {
		_, _, ch, err := w.ChildrenW("/s")
		require.NoError(t, err)
		srv.Restart()
		p := fmt.Sprintf("/s/n%d", i)
		zktesting.Eventually(t, 20*time.Second, func() bool {
			_, err := c.Create(p, nil, 0, openACL)
			return err == nil || err == zk.ErrNodeExists
		}, "create after restart")
		select {
		case ev := <-ch:
			require.Equal(t, zk.EventNodeChildrenChanged, ev.Type, "round %d: %+v", i, ev)
		case <-time.After(zktesting.Scale(20 * time.Second)):
			t.Fatalf("round %d: no child event after restart", i)
		}
	}
}
