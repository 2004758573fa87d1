package engine_test

import (
	"context"
	"errors"
	"fmt"
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

// A session moves from one member to another while its old connection
// stays open: a write from the old connection is refused (the leader
// makes it a SESSIONMOVED error txn), the old member closes that
// connection without a reply, and the tree is unchanged. Then the race
// itself: a write sent on the old connection as the client resumes
// elsewhere is applied exactly when the client was told so.
func TestEnsembleSessionMove(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an ensemble")
	}
	ens := zktesting.StartEnsemble(t, 3)
	ens.WaitServing(30 * time.Second)
	leader := ens.WaitLeader(30 * time.Second)
	var followers []*zktesting.Member
	for _, m := range ens.Members {
		if m != leader {
			followers = append(followers, m)
		}
	}
	require.Len(t, followers, 2)

	for i, tc := range []struct {
		name     string
		from, to *zktesting.Member
	}{
		{"follower to follower", followers[0], followers[1]},
		{"leader to follower", leader, followers[0]},
		{"follower to leader", followers[1], leader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, server.RoleLeader, leader.Role(), "the leader changed; the cases assume a stable ensemble")
			ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(60*time.Second))
			defer cancel()
			path := fmt.Sprintf("/moved%d", i)

			a := clienttest.Dial(t, tc.from.Addr())
			_, err := a.Create(ctx, path, []byte("a"), proto.FlagPersistent, proto.OpenACLUnsafe)
			require.NoError(t, err)
			b := clienttest.Dial(t, tc.to.Addr(), client.WithSession(a.SessionID(), a.Passwd()))

			// The move has reached the leader once b's handshake is done
			// (a learner revalidates there; the leader moves it itself).
			_, err = a.SetData(ctx, path, []byte("stale"), -1)
			require.Error(t, err, "the old connection's write is refused")
			assert.False(t, errors.Is(err, proto.ErrSessionMoved), "no -118 reply: the connection is closed")
			select {
			case <-a.Done():
			case <-ctx.Done():
				t.Fatal("the old member did not close the moved session's connection")
			}
			_, err = b.Sync(ctx, path)
			require.NoError(t, err)
			data, _, err := b.GetData(ctx, path, false)
			require.NoError(t, err)
			assert.Equal(t, "a", string(data), "the refused write changed nothing")
			_, err = b.SetData(ctx, path, []byte("b"), -1)
			require.NoError(t, err, "the new connection owns the session")

			// The race: the write and the resume go out together.
			c := clienttest.Dial(t, tc.from.Addr())
			set := asyncSet(ctx, c, path, []byte("raced"))
			d := clienttest.Dial(t, tc.to.Addr(), client.WithSession(c.SessionID(), c.Passwd()))
			setErr := <-set
			_, err = d.Sync(ctx, path)
			require.NoError(t, err)
			data, _, err = d.GetData(ctx, path, false)
			require.NoError(t, err)
			if setErr == nil {
				assert.Equal(t, "raced", string(data), "an acknowledged write is applied")
			} else {
				assert.Equal(t, "b", string(data), "a refused write is not applied")
				select {
				case <-c.Done():
				case <-ctx.Done():
					t.Fatal("a refused write left its connection open")
				}
			}
		})
	}
}
