package engine

import "github.com/zkit-go/zkit/internal/proto"

// Session owners and session moves, as ZooKeeper's SessionTracker owner
// (SessionTrackerImpl.setOwner/checkSession):
//
//   - The session tracker of the engine that preps writes (standalone, the
//     leader) records an owner per session: selfOwner for a session held
//     by one of this engine's own connections (ZooKeeper's ServerCnxn.me,
//     one value for every connection), learnerOwner(sid) for a session
//     held through learner sid (ZooKeeper's LearnerHandler).
//   - The owner is set when the session is created (its createSession is
//     prepped with the creator's owner) and moved when a client resumes
//     it: on this engine by the handshake, on a learner by the leader's
//     answer to its REVALIDATE (RevalidateSession).
//   - Prep checks every write's owner against the session's: a write from
//     the member the session moved away from becomes an error txn with
//     SESSIONMOVED, so it changes nothing.
//   - The member holding the connection of such a write answers nothing
//     and closes the connection once the replies before it are written
//     (ZooKeeper's FinalRequestProcessor and sendCloseSession): the client
//     sees a lost connection, not -118.
//
// As in ZooKeeper, a session moving between two connections of one member
// keeps its owner, so such a move is never fenced; instead the handshake
// closes the old connection and the new one waits for the old one's writes
// (fenceBehind), so the session's requests stay in order on that member.

// selfOwner owns the sessions held by this engine's own connections.
type selfOwner struct{}

// learnerOwner owns the sessions a learner holds: its server id.
type learnerOwner int64

// ownerOf returns the owner a request's session check compares.
func (r *request) ownerOf() any {
	if r.owner != nil {
		return r.owner
	}
	return selfOwner{}
}

// sessionMoved reports whether a write was refused because its session
// had moved to another member (for a multi: one of its ops was).
func (r *request) sessionMoved() bool {
	return r.result.Err == proto.ErrSessionMoved &&
		(r.hdr.Type == proto.OpError || r.hdr.Type == proto.OpMulti)
}

// fenceBehind makes c, which has just resumed its session from old (now
// closed), answer nothing until the writes old still has in flight have
// completed: a read on c then sees them, as ZooKeeper's CommitProcessor
// keeps a session's requests in order whichever connection sent them.
// It runs in c's handshake, before c reads any request.
func (c *conn) fenceBehind(old *conn, id int64) {
	b := &request{conn: c, sessionID: id, fence: &fence{barrier: true}}
	// One count for this function, so the barrier cannot complete before
	// every write of old is counted; dropped by the complete below.
	b.fence.wait.Store(1)
	c.pendMu.Lock()
	c.pending = append(c.pending, b)
	c.pendMu.Unlock()
	old.pendMu.Lock()
	for _, r := range old.pending {
		if r.done || r.queuedAsRead() {
			continue
		}
		b.fence.wait.Add(1)
		if r.fence == nil {
			r.fence = &fence{}
		}
		r.fence.waiters = append(r.fence.waiters, b)
	}
	old.pendMu.Unlock()
	c.complete(b)
}

// inFlightLocked reports whether c has a write not yet completed. pendMu
// must be held.
func (c *conn) inFlightLocked() bool {
	for _, r := range c.pending {
		if !r.done && !r.queuedAsRead() {
			return true
		}
	}
	return false
}
