package engine

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/statemachine"
)

// Txn is a prepped txn as it crosses the replication seam: typed, with
// its log-entry encoding made once at prep (see statemachine.Txn).
type Txn = statemachine.Txn

// Role is the engine's part in its ensemble.
type Role int

// Roles.
const (
	RoleStandalone Role = iota
	RoleLeader
	RoleFollower
	RoleObserver
	// RoleReadOnly is a member cut off from its quorum serving read-only
	// clients (ZooKeeper's ReadOnlyZooKeeperServer); see readonly.go.
	RoleReadOnly
)

func (r Role) String() string {
	switch r {
	case RoleLeader:
		return "leader"
	case RoleFollower:
		return "follower"
	case RoleObserver:
		return "observer"
	case RoleReadOnly:
		return "read-only"
	}
	return "standalone"
}

func (r Role) learner() bool { return r == RoleFollower || r == RoleObserver }

// Quorum is an ensemble member's write path, implemented by the peer
// driver that owns the Zab core. Its methods queue work for the driver's
// goroutine and must not block for long.
//
// In an ensemble the engine does not log by itself: the leader's prep
// hands each txn to Replicate, learners Forward client writes to the
// leader, and the driver calls Commit with every txn a quorum has made
// durable, in zxid order, on every member. A learner completes its own
// clients' requests when their txns commit, matched by (session, cxid).
type Quorum interface {
	// Replicate (leader) proposes a prepped txn; zxids arrive in order.
	// The driver keeps the typed txn with its proposal and hands that
	// same value back to Commit, once committed.
	Replicator
	// Forward (learner) sends a client request to the leader: the REQUEST
	// packet's data (long session, int cxid, int type, request body).
	Forward(data []byte, auth []proto.ID)
	// Revalidate (learner) asks the leader whether a session lives; the
	// driver answers with Engine.Revalidated.
	Revalidate(sessionID int64, timeout int32)
	// Touch (learner) records activity on a session for the next PING.
	Touch(sessionID int64, timeout int32)
}

// LearnerSyncer is implemented by a leader's Quorum that answers a
// learner's forwarded sync in order with the proposals: SyncLearner is
// called after every txn prepped before the sync was handed to Replicate, so
// the learner gets SYNC only after the COMMITs of the writes it forwarded
// before it (Java's learners match a SYNC to the head of their queue of
// local writes: an early one stalls every later write of theirs).
type LearnerSyncer interface {
	SyncLearner(from int64)
}

// waitKey names a learner's request by the session and cxid its txn
// will carry.
type waitKey struct {
	session int64
	cxid    int32
}

// StartServing starts an ensemble member's engine; the peer that owns the
// client listener hands it connections with ServeConn.
func (e *Engine) StartServing() error {
	if e.cfg.Role == RoleStandalone || (e.cfg.Quorum == nil && e.cfg.Role != RoleReadOnly) {
		return errors.New("engine: StartServing needs an ensemble role and a Quorum")
	}
	e.started = time.Now()
	if e.cfg.Role == RoleLeader {
		e.repl = e.cfg.Quorum
		if !e.goAttach(e.prepLoop) || !e.goAttach(e.expiryLoop) || !e.goAttach(e.containerLoop) {
			return ErrClosed
		}
	}
	if e.local != nil && !e.goAttach(e.localExpiryLoop) {
		return ErrClosed
	}
	return nil
}

// ServeConn serves one client connection accepted by the caller.
func (e *Engine) ServeConn(nc net.Conn) { e.newConn(nc) }

// Role returns the engine's role.
func (e *Engine) Role() Role { return e.cfg.Role }

func (e *Engine) addWaiting(r *request) {
	e.waitMu.Lock()
	e.waiting[waitKey{r.sessionID, r.cxid}] = r
	e.waitMu.Unlock()
}

func (e *Engine) takeWaiting(session int64, cxid int32) *request {
	e.waitMu.Lock()
	defer e.waitMu.Unlock()
	k := waitKey{session, cxid}
	r := e.waiting[k]
	delete(e.waiting, k)
	return r
}

// SubmitForwarded (leader) preps a request learner from (its server id)
// forwarded. A sync goes through prep to the Quorum's SyncLearner when it
// has one (in order with the proposals); otherwise SubmitForwarded reports
// it, and the driver answers it itself (Zab's SYNC). A write of a session that has moved to another member
// since becomes a SESSIONMOVED error txn (see owner.go).
func (e *Engine) SubmitForwarded(data []byte, auth []proto.ID, from int64) (isSync bool, err error) {
	d := jute.NewDecoder(data)
	d.SetMaxLength(e.cfg.MaxBuffer)
	sid, cxid, op := d.Long(), d.Int(), proto.OpCode(d.Int())
	if d.Err() != nil {
		return false, fmt.Errorf("engine: forwarded request: %w", d.Err())
	}
	if op == proto.OpSync {
		if _, ok := e.cfg.Quorum.(LearnerSyncer); !ok {
			return true, nil
		}
		e.submit(&request{sessionID: sid, cxid: cxid, op: op, syncFrom: from, internal: true, received: time.Now()})
		return false, nil
	}
	r := &request{sessionID: sid, cxid: cxid, op: op, authInfo: auth, received: time.Now(), owner: learnerOwner(from)}
	switch op {
	case proto.OpCreateSession:
		r.connect = &connectState{timeout: d.Int()}
		if d.Err() != nil {
			return false, fmt.Errorf("engine: forwarded createSession: %w", d.Err())
		}
	case proto.OpCloseSession:
	default:
		if opKindOf(op) != kindWrite {
			return false, fmt.Errorf("engine: forwarded request of type %v", op)
		}
		r.rec, r.decodeErr = decodeRequest(op, d)
	}
	e.submit(r)
	return false, nil
}

// forwardData builds a REQUEST packet's data.
func forwardData(sid int64, cxid int32, op proto.OpCode, body []byte) []byte {
	var enc jute.Encoder
	enc.Long(sid)
	enc.Int(cxid)
	enc.Int(int32(op))
	enc.Raw(body)
	return enc.Bytes()
}

// RevalidateSession (leader) answers the REVALIDATE of learner from (its
// server id): whether the session lives. If it does, it is touched and
// the learner becomes its owner (Leader.revalidateSession): the client
// moved there, so writes still coming from where it was get SESSIONMOVED.
func (e *Engine) RevalidateSession(id int64, timeout int32, from int64) bool {
	if !e.sessions.Touch(id, time.Now().UnixMilli()) {
		return false
	}
	return e.sessions.SetOwner(id, learnerOwner(from)) == nil
}

// TouchSessions (leader) records the session activity learners reported.
func (e *Engine) TouchSessions(ids []int64, timeouts []int32) {
	now := time.Now().UnixMilli()
	for i, id := range ids {
		e.sessions.TouchTimeout(id, timeouts[i], now)
	}
}

// Revalidated (learner) is the leader's answer about a session a client
// resumed on this member.
func (e *Engine) Revalidated(id int64, valid bool) {
	e.waitMu.Lock()
	conns := e.revalidating[id]
	delete(e.revalidating, id)
	e.waitMu.Unlock()
	for _, c := range conns {
		select {
		case c.revalidated <- valid:
		default:
		}
	}
}

// SyncsDone (learner) completes the oldest n client syncs: the leader has
// answered them, so every write before them is applied here.
func (e *Engine) SyncsDone(n int) {
	for ; n > 0; n-- {
		e.waitMu.Lock()
		if len(e.syncs) == 0 {
			e.waitMu.Unlock()
			return
		}
		r := e.syncs[0]
		e.syncs = e.syncs[1:]
		e.waitMu.Unlock()
		r.conn.complete(r)
	}
}
