package engine_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/engine"
	"github.com/zkit-go/zkit/internal/proto"
)

// A top-level check forwarded by a learner that still accepts one (Java
// before 3.9.3) becomes an UNIMPLEMENTED error txn on the leader, which
// every log reader replays, never a check txn outside a multi.
func TestForwardedTopLevelCheckIsAnErrorTxn(t *testing.T) {
	e, q := startMember(t, engine.RoleLeader)
	const learner = int64(2)
	sid := learner<<56 | 1
	_, err := e.SubmitForwarded(createSessionRequest(sid, 30000), nil, learner)
	require.NoError(t, err)
	_, err = e.SubmitForwarded(forwardedRequest(sid, 1, proto.OpCheck,
		&proto.CheckVersionRequest{Path: "/", Version: -1}), nil, learner)
	require.NoError(t, err)
	p := q.proposal(t, sid, 1)
	assert.Equal(t, proto.OpError, p.hdr.Type)
	assert.Equal(t, proto.ErrUnimplemented, txnErr(p))
}
