package engine

import (
	"time"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/session"
)

// Local sessions (localSessionsEnabled), as ZooKeeper's
// UpgradeableSessionTracker and its Leader-/LearnerSessionTracker:
//
//   - Every new session is local: this engine's own tracker (e.local)
//     creates it and expires it; no createSession txn is logged or sent to
//     the leader, and no other member knows it. Its closeSession is no txn
//     either.
//   - A local session's reads and writes go the usual way; the leader lets
//     a write through from a session it does not know when the session id
//     carries another member's id (LeaderSessionTracker.checkSession).
//   - A create of an ephemeral node (create, create2, or a multi holding
//     one) from a local session first upgrades it: the session leaves the
//     local tracker and a createSession (cxid 0) goes down the write path
//     ahead of the create, so it commits first and the session is global
//     from then on. Without localSessionsUpgradingEnabled the create fails
//     with EPHEMERALONLOCALSESSION instead.
//   - A local session dies with this engine (a role change, a restart); a
//     client that resumes it anywhere else is told it expired, because the
//     leader does not know it.

// isLocal reports whether id is one of this engine's local sessions.
func (e *Engine) isLocal(id int64) bool {
	return e.local != nil && e.local.Contains(id)
}

// newLocalTracker builds the local session tracker of an engine with
// local sessions enabled.
func newLocalTracker(cfg Config, serverID, now int64) (*session.Tracker, error) {
	if !cfg.LocalSessions {
		return nil, nil
	}
	return session.New(session.Config{
		TickTime: int32(cfg.TickTime.Milliseconds()),
		ServerID: serverID,
		IDTimeMs: now,
		Now:      now,
	})
}

// createsEphemeral reports whether a write would create an ephemeral node
// (QuorumZooKeeperServer.checkUpgradeSession looks at create, create2 and
// the creates of a multi).
func createsEphemeral(op proto.OpCode, rec jute.Record) bool {
	isEph := func(rec jute.Record) bool {
		cr, ok := rec.(*proto.CreateRequest)
		return ok && (cr.Flags == proto.FlagEphemeral || cr.Flags == proto.FlagEphemeralSequential)
	}
	switch op {
	case proto.OpCreate, proto.OpCreate2:
		return isEph(rec)
	case proto.OpMulti:
		m, ok := rec.(*proto.MultiRequest)
		if !ok {
			return false
		}
		for _, o := range m.Ops {
			if (o.Type == proto.OpCreate || o.Type == proto.OpCreate2) && isEph(o.Record) {
				return true
			}
		}
	}
	return false
}

// upgradeSession makes local session id global, ahead of the request that
// needs it: its createSession is handed to the write path before that
// request is. It runs on the session's connection reader, so the two keep
// their order on the way to prep (or to the leader).
func (e *Engine) upgradeSession(id int64) bool {
	timeout, ok := e.local.Timeout(id)
	if !ok {
		return false
	}
	e.local.Remove(id)
	e.log.Info("upgrading local session to global", "session", hex(id), "timeout_ms", timeout)
	switch {
	case e.cfg.Role.learner():
		var body jute.Encoder
		body.Int(timeout)
		e.cfg.Quorum.Forward(forwardData(id, 0, proto.OpCreateSession, body.Bytes()), nil)
		return true
	default:
		// Tracked globally at once, so the session's next touch finds it.
		e.sessions.Add(id, timeout, time.Now().UnixMilli())
		return e.submit(&request{
			sessionID: id,
			op:        proto.OpCreateSession,
			internal:  true,
			received:  time.Now(),
			connect:   &connectState{timeout: timeout},
		})
	}
}

// localExpiryLoop expires local sessions, on every member with local
// sessions, in the same tick buckets as global ones. An expired local
// session needs no txn: its connection is closed and it is forgotten.
func (e *Engine) localExpiryLoop() {
	timer := time.NewTimer(e.cfg.TickTime)
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
		case <-e.stop:
			return
		}
		for _, s := range e.local.Expired(time.Now().UnixMilli()) {
			e.log.Info("local session expired", "session", hex(s.ID), "timeout_ms", s.Timeout)
			e.local.Remove(s.ID)
			if c := e.forgetSession(s.ID); c != nil {
				c.close()
			}
		}
		wait := e.cfg.TickTime
		if next := e.local.NextExpiry(); next > 0 {
			if d := time.Until(time.UnixMilli(next)); d < wait {
				wait = d
			}
		}
		timer.Reset(max(wait, time.Millisecond))
	}
}
