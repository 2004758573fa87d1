package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/cli"
	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// TestMntrQuotaExceeded: with quotas enforced, each write a hard limit
// refuses counts under its top-level namespace, as Java's
// quota_exceeded_error_per_namespace does, and srst zeroes it.
func TestMntrQuotaExceeded(t *testing.T) {
	srv := zktesting.StartServer(t, zktesting.WithConfig(func(c *server.Config) { c.EnforceQuota = true }))
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(10*time.Second))
	defer cancel()
	c, err := client.Dial(ctx, srv.Addr())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Create(ctx, "/full", nil, 0, proto.OpenACLUnsafe)
	require.NoError(t, err)
	var out strings.Builder
	require.Zero(t, cli.Main([]string{"-server", srv.Addr(), "setquota", "-N", "1", "/full"}, strings.NewReader(""), &out, &out), out.String())
	for _, p := range []string{"/full/a", "/full/b"} {
		_, err = c.Create(ctx, p, nil, 0, proto.OpenACLUnsafe)
		require.ErrorIs(t, err, proto.ErrQuotaExceeded, p)
	}
	assert.Contains(t, fourLetter(t, srv.Addr(), "mntr"), "zk_full_quota_exceeded_error_per_namespace\t2\n")
	fourLetter(t, srv.Addr(), "srst")
	assert.Contains(t, fourLetter(t, srv.Addr(), "mntr"), "zk_full_quota_exceeded_error_per_namespace\t0\n")
}
