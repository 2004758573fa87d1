package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

func localSessions(upgrading bool) func(*server.Config) {
	return func(c *server.Config) {
		c.LocalSessionsEnabled = true
		c.LocalSessionsUpgradingEnabled = upgrading
	}
}

// ephemeralCreates are the writes that need a global session.
var ephemeralCreates = []struct {
	name string
	do   func(ctx context.Context, c *client.Conn, path string) error
}{
	{"create", func(ctx context.Context, c *client.Conn, p string) error {
		_, err := c.Create(ctx, p, nil, proto.FlagEphemeral, proto.OpenACLUnsafe)
		return err
	}},
	{"create2 sequential", func(ctx context.Context, c *client.Conn, p string) error {
		_, _, err := c.Create2(ctx, p, nil, proto.FlagEphemeralSequential, proto.OpenACLUnsafe)
		return err
	}},
	{"multi", func(ctx context.Context, c *client.Conn, p string) error {
		_, err := c.Multi(ctx, proto.MultiOp{Type: proto.OpCreate,
			Record: &proto.CreateRequest{Path: p, ACL: proto.OpenACLUnsafe, Flags: proto.FlagEphemeral}})
		return err
	}},
}

// TestLocalSessionsStandalone: with local sessions and no upgrading, a
// session works for everything but ephemerals (EPHEMERALONLOCALSESSION),
// is never logged (a restart forgets it), and closes without a txn.
func TestLocalSessionsStandalone(t *testing.T) {
	srv := zktesting.StartServer(t, zktesting.WithConfig(localSessions(false)))
	c := clienttest.Dial(t, srv.Addr())
	ctx := clienttest.Ctx(t)
	_, err := c.Create(ctx, "/p", []byte("x"), proto.FlagPersistent, proto.OpenACLUnsafe)
	require.NoError(t, err)
	data, _, err := c.GetData(ctx, "/p", false)
	require.NoError(t, err)
	require.Equal(t, "x", string(data))
	for _, tc := range ephemeralCreates {
		require.ErrorIs(t, tc.do(ctx, c, "/p/e"), proto.ErrEphemeralOnLocalSession, tc.name)
	}
	// The session keeps working after a refusal, in order.
	_, err = c.SetData(ctx, "/p", []byte("y"), -1)
	require.NoError(t, err)
	_, err = c.Exists(ctx, "/p/e", false)
	require.ErrorIs(t, err, proto.ErrNoNode)

	sessions := srv.Server().CommittedSessions()
	require.NotContains(t, sessions, c.SessionID(), "a local session is not a committed session")

	id, passwd := c.SessionID(), c.Passwd()
	srv.Restart()
	_, err = client.Dial(ctx, srv.Addr(), client.WithSession(id, passwd))
	require.ErrorIs(t, err, proto.ErrSessionExpired, "a restart forgets local sessions")

	// A local session closes cleanly.
	c2 := clienttest.Dial(t, srv.Addr())
	_, err = c2.Exists(ctx, "/p", false)
	require.NoError(t, err)
	require.NoError(t, c2.Close())
	_, err = client.Dial(ctx, srv.Addr(), client.WithSession(c2.SessionID(), c2.Passwd()))
	require.ErrorIs(t, err, proto.ErrSessionExpired)
}

// TestLocalSessionUpgradeStandalone: with upgrading, an ephemeral create
// makes the session global first, so the session and its node survive a
// restart (they are in the log).
func TestLocalSessionUpgradeStandalone(t *testing.T) {
	for _, tc := range ephemeralCreates {
		t.Run(tc.name, func(t *testing.T) {
			srv := zktesting.StartServer(t, zktesting.WithConfig(localSessions(true)))
			ctx := clienttest.Ctx(t)
			c := clienttest.Dial(t, srv.Addr(), client.WithSessionTimeout(30*time.Second))
			sessions := srv.Server().CommittedSessions()
			require.NotContains(t, sessions, c.SessionID())
			require.NoError(t, tc.do(ctx, c, "/e"))
			sessions = srv.Server().CommittedSessions()
			require.Contains(t, sessions, c.SessionID(), "upgraded to a global session")
			eph, err := c.GetEphemerals(ctx, "/")
			require.NoError(t, err)
			require.Len(t, eph, 1)
			_, st, err := c.GetData(ctx, eph[0], false)
			require.NoError(t, err)
			require.Equal(t, c.SessionID(), st.EphemeralOwner)
			// A second ephemeral needs no second upgrade.
			require.NoError(t, tc.do(ctx, c, "/e2"))

			id, passwd := c.SessionID(), c.Passwd()
			srv.Restart()
			c2, err := client.Dial(ctx, srv.Addr(), client.WithSession(id, passwd))
			require.NoError(t, err, "the upgraded session was logged")
			defer c2.Close()
			_, err = c2.Exists(ctx, eph[0], false)
			require.NoError(t, err)
			require.NoError(t, c2.Close())
			// Closing the global session deletes its ephemerals.
			c3 := clienttest.Dial(t, srv.Addr())
			_, err = c3.Exists(ctx, eph[0], false)
			require.ErrorIs(t, err, proto.ErrNoNode)
		})
	}
}

// TestLocalSessionsEnsemble: a follower's local session writes through the
// leader, is refused ephemerals without upgrading, upgrades with it, and
// cannot be resumed on another member while local.
func TestLocalSessionsEnsemble(t *testing.T) {
	for _, upgrading := range []bool{false, true} {
		t.Run(map[bool]string{false: "no upgrading", true: "upgrading"}[upgrading], func(t *testing.T) {
			ens := zktesting.StartEnsemble(t, 3, zktesting.WithMemberConfig(func(_ int64, c *server.Config) {
				localSessions(upgrading)(c)
			}))
			leader := ens.WaitLeader(30 * time.Second)
			ens.WaitServing(30 * time.Second)
			var follower, other *zktesting.Member
			for _, m := range ens.Members {
				if m == leader {
					continue
				}
				if follower == nil {
					follower = m
				} else {
					other = m
				}
			}
			ctx := clienttest.Ctx(t)
			c := clienttest.Dial(t, follower.Addr(), client.WithSessionTimeout(30*time.Second))
			_, err := c.Create(ctx, "/p", []byte("x"), proto.FlagPersistent, proto.OpenACLUnsafe)
			require.NoError(t, err, "a local session writes through the leader")
			sessions := leader.Server().CommittedSessions()
			require.NotContains(t, sessions, c.SessionID(), "the leader never heard of the local session")

			// Resuming a local session on another member fails: only its
			// own member knows it.
			_, err = client.Dial(ctx, other.Addr(), client.WithSession(c.SessionID(), c.Passwd()))
			require.ErrorIs(t, err, proto.ErrSessionExpired)

			err = ephemeralCreates[0].do(ctx, c, "/p/e")
			if !upgrading {
				require.ErrorIs(t, err, proto.ErrEphemeralOnLocalSession)
				return
			}
			require.NoError(t, err)
			_, st, err := c.GetData(ctx, "/p/e", false)
			require.NoError(t, err)
			require.Equal(t, c.SessionID(), st.EphemeralOwner)
			zktesting.Eventually(t, 10*time.Second, func() bool {
				s := leader.Server().CommittedSessions()
				_, ok := s[c.SessionID()]
				return ok
			}, "the leader tracks the upgraded session")
			// Global now: expiring it on the leader removes its ephemeral.
			ens.ExpireSession(c.SessionID())
			r := clienttest.Dial(t, leader.Addr())
			zktesting.Eventually(t, 10*time.Second, func() bool {
				_, err := r.Exists(ctx, "/p/e", false)
				return err == proto.ErrNoNode
			}, "the ephemeral of the expired upgraded session goes")
		})
	}
}
