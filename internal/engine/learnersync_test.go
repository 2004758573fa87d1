package engine_test

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/engine"
	"github.com/zkit-go/zkit/internal/proto"
	zktesting "github.com/zkit-go/zkit/testing"
)

// orderQuorum records the order in which a leader engine hands proposals
// and learners' syncs to its quorum.
type orderQuorum struct {
	mu    sync.Mutex
	calls []string
}

func (q *orderQuorum) note(s string) {
	q.mu.Lock()
	q.calls = append(q.calls, s)
	q.mu.Unlock()
}

func (q *orderQuorum) Replicate(t *engine.Txn)    { q.note("propose " + t.Hdr.Type.String()) }
func (q *orderQuorum) Forward([]byte, []proto.ID) {}
func (q *orderQuorum) Revalidate(int64, int32)    {}
func (q *orderQuorum) Touch(int64, int32)         {}
func (q *orderQuorum) SyncLearner(from int64)     { q.note("sync") }
func (q *orderQuorum) recorded() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]string(nil), q.calls...)
}

// A learner's sync reaches the quorum after the writes the learner
// forwarded before it have been proposed, as in Java, where the sync goes
// through the leader's request pipeline behind them. Answered at once
// instead, the SYNC reached a Java follower before those writes' COMMITs;
// Java matches a SYNC to the head of its queue of local writes, so the
// sync then stuck at the head and every later write of that follower's
// clients went unanswered.
func TestLeaderSyncsLearnerAfterItsEarlierWrites(t *testing.T) {
	q := &orderQuorum{}
	e, err := engine.New(engine.Config{Role: engine.RoleLeader, Quorum: q, ServerID: 1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	require.NoError(t, e.StartServing())
	t.Cleanup(func() { e.Close() })

	const sid = int64(0x0200000000000001)
	isSync, err := e.SubmitForwarded(createSessionRequest(sid, 10000), nil, 2)
	require.NoError(t, err)
	require.False(t, isSync)
	for i := int32(1); i <= 3; i++ {
		isSync, err = e.SubmitForwarded(forwardedRequest(sid, i, proto.OpCreate,
			&proto.CreateRequest{Path: "/x", ACL: proto.OpenACLUnsafe}), nil, 2)
		require.NoError(t, err)
		require.False(t, isSync)
	}
	isSync, err = e.SubmitForwarded(forwardedRequest(sid, 4, proto.OpSync, &proto.SyncRequest{Path: "/"}), nil, 2)
	require.NoError(t, err)
	require.False(t, isSync, "the sync goes through prep, not straight to the driver")
	zktesting.Eventually(t, 10*time.Second, func() bool { return len(q.recorded()) == 5 }, "every request reached the quorum")
	got := q.recorded()
	require.Equal(t, "sync", got[4], "the sync after the writes before it: %v", got)
	for _, c := range got[:4] {
		require.Contains(t, c, "propose")
	}
}
