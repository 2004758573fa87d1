package server_test

import (
	"testing"
	"time"

	"github.com/zkit-go/zkit/internal/client/clienttest"
	zktesting "github.com/zkit-go/zkit/testing"
)

// TestConformance runs the client scenarios that pin Java ZooKeeper 3.8's
// behaviour (they pass against Java itself in internal/client) against zkit.
func TestConformance(t *testing.T) {
	srv := zktesting.StartServer(t, zktesting.WithTickTime(2*time.Second))
	clienttest.RunAll(t, srv.Addr())
}
