package engine

import (
	"sync/atomic"
	"time"

	"github.com/zkit-go/zkit/internal/datatree"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

// request is one client request (or an internal write such as a session
// expiry) on its way through the engine. It is allocated for every
// request: keep it small (small fields last, so they pack).
type request struct {
	conn      *conn // nil for internal requests
	sessionID int64
	cxid      int32
	op        proto.OpCode
	rec       jute.Record // the decoded request body; nil if it did not decode
	authInfo  []proto.ID
	received  time.Time
	// owner is who sent the request, for the session-owner check (see
	// owner.go): nil for this engine's own clients, a learnerOwner for a
	// request a learner forwarded.
	owner any
	// syncFrom is a learner's forwarded sync (its server id): prep hands it
	// to the quorum in order with the proposals before it, instead of a txn.
	syncFrom int64

	// Set by prep.
	hdr proto.TxnHeader
	txn jute.Record

	// Set when the request is complete. For a write, by apply; for a read,
	// when it runs.
	result datatree.Result

	// connect is set for the createSession request of a new connection.
	connect *connectState

	// fence is set on a resumed connection's barrier and on the writes it
	// waits for (owner.go); nil otherwise. Guarded by conn.pendMu.
	fence *fence

	// refuse answers the request with this error, in its turn among the
	// session's requests, without running it (EPHEMERALONLOCALSESSION,
	// NOTREADONLY). Such a request, and a local session's closeSession
	// (localClose), waits in the connection's queue as a read does.
	refuse     proto.Code
	localClose bool
	decodeErr  bool // the body did not decode: MARSHALLINGERROR
	internal   bool
	done       bool // guarded by conn.pendMu
}

// queuedAsRead reports whether the request is answered by the connection
// (runRead) rather than by apply.
func (r *request) queuedAsRead() bool {
	if r.fence != nil && r.fence.barrier {
		return false
	}
	return r.refuse != proto.OK || r.localClose || opKindOf(r.op) == kindRead
}

// isBarrier reports whether r is a resumed connection's barrier.
func (r *request) isBarrier() bool { return r.fence != nil && r.fence.barrier }

// fence links a resumed connection's barrier to the writes it waits for.
type fence struct {
	// barrier marks a placeholder at the head of a resumed connection's
	// queue: it answers nothing and completes once wait reaches 0.
	barrier bool
	wait    atomic.Int32
	// waiters are the barriers waiting for this request (a write of the
	// previous connection, or that connection's own barrier). Guarded by
	// conn.pendMu of the request's connection.
	waiters []*request
}

// connectState carries a new session's handshake through the pipeline.
type connectState struct {
	timeout     int32
	hasReadOnly bool
	passwd      []byte
}
