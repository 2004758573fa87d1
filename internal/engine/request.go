package engine

import (
	"sync/atomic"
	"time"

	"github.com/zkit-go/zkit/internal/datatree"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

// request is one client request (or an internal write such as a session
// expiry) on its way through the engine.
type request struct {
	conn      *conn // nil for internal requests
	sessionID int64
	cxid      int32
	op        proto.OpCode
	rec       jute.Record // the decoded request body; nil if it did not decode
	decodeErr bool        // the body did not decode: MARSHALLINGERROR
	authInfo  []proto.ID
	internal  bool
	received  time.Time
	// owner is who sent the request, for the session-owner check (see
	// owner.go): nil for this engine's own clients, a learnerOwner for a
	// request a learner forwarded.
	owner any

	// Set by prep.
	hdr proto.TxnHeader
	txn jute.Record

	// Set when the request is complete. For a write, by apply; for a read,
	// when it runs.
	done   bool // guarded by conn.pendMu
	result datatree.Result

	// connect is set for the createSession request of a new connection.
	connect *connectState

	// refuse answers the request with this error, in its turn among the
	// session's requests, without running it (EPHEMERALONLOCALSESSION,
	// NOTREADONLY). Such a request, and a local session's closeSession
	// (localClose), waits in the connection's queue as a read does.
	refuse     proto.Code
	localClose bool

	// fences are the barriers of connections that later resumed this
	// request's session on this engine: each waits for this request to
	// complete. Guarded by conn.pendMu of the request's connection.
	fences []*request
	// barrier marks a placeholder at the head of a resumed connection's
	// queue: it completes, answering nothing, once the session's writes
	// still in flight on the previous connection have (wait reaches 0).
	barrier bool
	wait    atomic.Int32
}

// queuedAsRead reports whether the request is answered by the connection
// (runRead) rather than by apply.
func (r *request) queuedAsRead() bool {
	if r.barrier {
		return false
	}
	return r.refuse != proto.OK || r.localClose || opKindOf(r.op) == kindRead
}

// connectState carries a new session's handshake through the pipeline.
type connectState struct {
	timeout     int32
	hasReadOnly bool
	passwd      []byte
}
