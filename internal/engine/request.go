package engine

import (
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

	// Set by prep.
	hdr proto.TxnHeader
	txn jute.Record

	// Set when the request is complete. For a write, by apply; for a read,
	// when it runs.
	done   bool // guarded by conn.pendMu
	result datatree.Result

	// connect is set for the createSession request of a new connection.
	connect *connectState
}

// connectState carries a new session's handshake through the pipeline.
type connectState struct {
	timeout     int32
	hasReadOnly bool
	passwd      []byte
}
