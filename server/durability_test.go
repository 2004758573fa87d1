package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

func TestRestartKeepsTreeAndSessions(t *testing.T) {
	srv := zktesting.StartServer(t, zktesting.WithConfig(func(c *server.Config) {
		c.SnapCount = 20 // snapshot and roll the log a few times along the way
	}))
	c, _, err := zk.Connect(srv.Servers(), 20*time.Second, zk.WithLogger(nopLogger{}))
	require.NoError(t, err)
	defer c.Close()
	for i := 0; i < 100; i++ {
		_, err := c.Create(fmt.Sprintf("/n%03d", i), []byte(fmt.Sprint(i)), 0, openACL)
		require.NoError(t, err)
	}
	_, err = c.Set("/n007", []byte("seven"), -1)
	require.NoError(t, err)
	require.NoError(t, c.Delete("/n099", -1))
	_, err = c.Create("/eph", nil, zk.FlagEphemeral, openACL)
	require.NoError(t, err)
	_, err = c.Create("/secret", []byte("s"), 0, zk.DigestACL(zk.PermAll, "u", "p"))
	require.NoError(t, err)
	_, before, err := c.Get("/n007")
	require.NoError(t, err)

	srv.Restart()

	// The same client reconnects with its session: its ephemeral survived a
	// restart shorter than the session timeout.
	zktesting.Eventually(t, 20*time.Second, func() bool {
		ok, _, err := c.Exists("/eph")
		return err == nil && ok
	}, "ephemeral of a live session back after restart")
	data, after, err := c.Get("/n007")
	require.NoError(t, err)
	assert.Equal(t, []byte("seven"), data)
	assert.Equal(t, *before, *after)
	kids, _, err := c.Children("/")
	require.NoError(t, err)
	assert.Len(t, kids, 99+1+1+1) // n000..n098, eph, secret, zookeeper
	_, _, err = c.Get("/secret")
	assert.ErrorIs(t, err, zk.ErrNoAuth, "ACLs survive a restart")

	// The directory is ZooKeeper's layout.
	dir := filepath.Join(srv.Server().Config().DataDir, "version-2")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var logs, snaps int
	for _, e := range entries {
		switch {
		case strings.HasPrefix(e.Name(), "log."):
			logs++
		case strings.HasPrefix(e.Name(), "snapshot."):
			snaps++
		}
	}
	assert.GreaterOrEqual(t, logs, 2)
	assert.GreaterOrEqual(t, snaps, 2)
}

func TestSessionExpiresAfterRestartWithoutClient(t *testing.T) {
	srv := zktesting.StartServer(t, zktesting.WithTickTime(100*time.Millisecond))
	c, _, err := zk.Connect(srv.Servers(), 2*time.Second, zk.WithLogger(nopLogger{}))
	require.NoError(t, err)
	_, err = c.Create("/gone", nil, zk.FlagEphemeral, openACL)
	require.NoError(t, err)
	srv.Stop()
	c.Close()
	srv.Restart()
	other, _ := connect(t, srv)
	zktesting.Eventually(t, 20*time.Second, func() bool {
		ok, _, err := other.Exists("/gone")
		return err == nil && !ok
	}, "ephemeral of a session that never came back removed after its timeout")
}
