package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// TestReadOnlyMode cuts a follower off from its quorum: after the grace
// period it serves read-only clients (reads work; writes and sync fail with
// NOTREADONLY; isro says ro; srvr says read-only) and refuses other
// clients. Once healed it follows again and its clients reconnect to a
// read-write session.
func TestReadOnlyMode(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 3, zktesting.WithMemberConfig(func(_ int64, c *server.Config) {
		c.ReadOnlyModeEnabled = true
	}))
	leader := ens.WaitLeader(30 * time.Second)
	ens.WaitServing(30 * time.Second)
	var f *zktesting.Member
	for _, m := range ens.Members {
		if m != leader {
			f = m
			break
		}
	}
	ctx := clienttest.Ctx(t)
	rw := clienttest.Dial(t, f.Addr())
	_, err := rw.Create(ctx, "/ro", []byte("data"), proto.FlagPersistent, proto.OpenACLUnsafe)
	require.NoError(t, err)
	require.Equal(t, "rw", f.Server().FourLetterWord("isro"))

	ens.Partition([]int64{f.ID})
	zktesting.Eventually(t, 30*time.Second, func() bool { return f.Role() == server.RoleReadOnly },
		"the cut-off follower serves read-only")
	require.Equal(t, "ro", f.Server().FourLetterWord("isro"))
	require.Contains(t, f.Server().FourLetterWord("srvr"), "Mode: read-only\n")

	// A client that did not ask for read-only is refused.
	_, err = client.Dial(ctx, f.Addr())
	require.Error(t, err)

	ro := clienttest.Dial(t, f.Addr(), client.WithReadOnly(true))
	require.True(t, ro.ReadOnly(), "the connect response says read-only")
	data, _, err := ro.GetData(ctx, "/ro", false)
	require.NoError(t, err)
	assert.Equal(t, "data", string(data))
	children, err := ro.GetChildren(ctx, "/", false)
	require.NoError(t, err)
	assert.Contains(t, children, "ro")
	for name, write := range map[string]func() error{
		"create": func() error {
			_, err := ro.Create(ctx, "/x", nil, proto.FlagPersistent, proto.OpenACLUnsafe)
			return err
		},
		"ephemeral": func() error {
			_, err := ro.Create(ctx, "/x", nil, proto.FlagEphemeral, proto.OpenACLUnsafe)
			return err
		},
		"setData": func() error { _, err := ro.SetData(ctx, "/ro", nil, -1); return err },
		"delete":  func() error { return ro.Delete(ctx, "/ro", -1) },
		"sync":    func() error { _, err := ro.Sync(ctx, "/ro"); return err },
	} {
		assert.ErrorIs(t, write(), proto.ErrNotReadOnly, name)
	}
	// Reads after refused writes still answer, in order.
	_, err = ro.Exists(ctx, "/ro", false)
	require.NoError(t, err)

	// The majority goes on writing meanwhile.
	maj := clienttest.Dial(t, leader.Addr())
	_, err = maj.Create(ctx, "/during", nil, proto.FlagPersistent, proto.OpenACLUnsafe)
	require.NoError(t, err)

	ens.Heal()
	zktesting.Eventually(t, 60*time.Second, func() bool { return f.Role() == server.RoleFollower },
		"the member follows again once healed")
	select {
	case <-ro.Done():
	case <-time.After(zktesting.Scale(10 * time.Second)):
		t.Fatal("the read-only connection was not dropped when the member rejoined")
	}
	// The client reconnects and gets a read-write session.
	back := clienttest.Dial(t, f.Addr(), client.WithReadOnly(true))
	require.False(t, back.ReadOnly())
	_, err = back.Create(ctx, "/after", nil, proto.FlagPersistent, proto.OpenACLUnsafe)
	require.NoError(t, err)
	_, err = back.Exists(ctx, "/during", false)
	require.NoError(t, err, "the member caught up with what the majority wrote")
	require.Equal(t, "rw", f.Server().FourLetterWord("isro"))
	require.False(t, strings.Contains(f.Server().FourLetterWord("srvr"), "read-only"))
}

// TestReadOnlyModeOff: without readonlymode.enabled a cut-off member
// serves nobody.
func TestReadOnlyModeOff(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 3)
	leader := ens.WaitLeader(30 * time.Second)
	ens.WaitServing(30 * time.Second)
	var f *zktesting.Member
	for _, m := range ens.Members {
		if m != leader {
			f = m
			break
		}
	}
	ens.Partition([]int64{f.ID})
	zktesting.Eventually(t, 30*time.Second, func() bool { return f.Role() == server.RoleLooking }, "the cut-off member looks")
	_, err := client.Dial(clienttest.Ctx(t), f.Addr(), client.WithReadOnly(true))
	require.Error(t, err)
}
