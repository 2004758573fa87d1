package engine_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/engine"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/session"
	zktesting "github.com/zkit-go/zkit/testing"
)

// silentQuorum is a learner's quorum whose leader never answers a
// REVALIDATE (it stepped down, or the member's role ended first).
type silentQuorum struct{ asked chan int64 }

func (q *silentQuorum) Replicate(*engine.Txn)        {}
func (q *silentQuorum) Forward([]byte, []proto.ID)   {}
func (q *silentQuorum) Revalidate(id int64, _ int32) { q.asked <- id }
func (q *silentQuorum) Touch(int64, int32)           {}

// A learner whose role ends while a client's resume waits for the leader
// closes that connection without an answer: it must not tell the client
// its session expired (only the leader knows), so the client tries
// another member and resumes there. Before Handover existed the role's end
// answered "expired" on a connection that was still open during the
// handover, or after the session timeout with no answer.
func TestHandoverNeverExpiresAnUnansweredResume(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(30*time.Second))
	defer cancel()
	q := &silentQuorum{asked: make(chan int64, 4)}
	e, err := engine.New(engine.Config{Role: engine.RoleFollower, Quorum: q, ServerID: 2,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	require.NoError(t, e.StartServing())
	t.Cleanup(func() { e.Close() })

	const sid = int64(0x0300000000000001)
	dialed := make(chan error, 1)
	go func() {
		c, err := client.Dial(ctx, "learner", pipeDialer(e), client.WithSession(sid, session.GeneratePasswd(sid)))
		if err == nil {
			c.Drop()
		}
		dialed <- err
	}()
	select {
	case id := <-q.asked:
		require.Equal(t, sid, id)
	case <-ctx.Done():
		t.Fatal("the resume never asked the leader")
	}
	require.NoError(t, e.Handover(engine.HandoverLinger))
	select {
	case err := <-dialed:
		require.Error(t, err, "nobody validated the session")
		require.False(t, errors.Is(err, proto.ErrSessionExpired), "a learner must not call a session expired: %v", err)
	case <-ctx.Done():
		t.Fatal("the resume was neither answered nor closed")
	}
}

// The reply a commit queued just before the role ended (the reconfig that
// ended it) reaches the client: Handover writes what is due before the
// connections close. Close, used when the server stops, does not wait.
func TestHandoverWritesRepliesAlreadyDue(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(30*time.Second))
	defer cancel()
	e, q := startMember(t, engine.RoleFollower)
	zxid := int64(0)
	commitNext := func() {
		select {
		case data := <-q.forwarded:
			zxid++
			e.Commit([]*engine.Txn{txnOfForwarded(t, data, zxid)})
		case <-ctx.Done():
			t.Fatal("nothing forwarded")
		}
	}
	dialed := make(chan error, 1)
	var c *client.Conn
	go func() {
		var err error
		c, err = client.Dial(ctx, "learner", pipeDialer(e))
		dialed <- err
	}()
	commitNext()
	require.NoError(t, <-dialed)
	t.Cleanup(c.Drop)

	created := make(chan error, 1)
	go func() {
		_, err := c.Create(ctx, "/due", nil, proto.FlagPersistent, proto.OpenACLUnsafe)
		created <- err
	}()
	commitNext()
	// The peer loop ends the role right after the commit that queued the
	// reply.
	require.NoError(t, e.Handover(engine.HandoverLinger))
	require.NoError(t, <-created, "the reply queued before the handover is written")
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("the connection stayed open after the handover")
	}
}
