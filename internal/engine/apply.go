package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/zkit-go/zkit/internal/proto"
)

func asCode(err error, c *proto.Code) bool { return errors.As(err, c) }

// Replicator is the write path after prep, the one seam between the
// engine and what makes txns durable: prep hands it every txn, in zxid
// order, and it hands them back committed, in zxid order, to Commit.
// Standalone's is the group-commit log (localLog); an ensemble leader's is
// its Quorum, whose driver runs Zab and calls Commit on every member.
// Replicate must not block for long.
type Replicator interface {
	Replicate(t *Txn)
}

// maxBatch bounds how many txns one sync covers.
const maxBatch = 1000

// localLog is a standalone server's Replicator: it appends every txn that
// has arrived and syncs once for all of them (group commit), and only then
// hands them to Commit. A log error stops the engine: nothing after it is
// applied or acknowledged. Two goroutines, so that the next batch's fsync
// runs while this one is applied.
type localLog struct {
	e         *Engine
	log       TxnLog
	raw       rawLog // log, when it takes prep's encoding as is; else nil
	in        chan *Txn
	committed chan []*Txn
}

// rawLog is a TxnLog that appends an entry already encoded (zkdb.DB), so
// the log writes the encoding prep made.
type rawLog interface {
	AppendRaw(zxid int64, entry []byte) error
}

func newLocalLog(e *Engine, log TxnLog) *localLog {
	l := &localLog{e: e, log: log, in: make(chan *Txn, 1024), committed: make(chan []*Txn, 64)}
	l.raw, _ = log.(rawLog)
	return l
}

// Replicate queues t for the next group commit; it gives up if the
// engine stops.
func (l *localLog) Replicate(t *Txn) {
	select {
	case l.in <- t:
	case <-l.e.stop:
	}
}

// logLoop is the durability stage.
func (l *localLog) logLoop() {
	e := l.e
	for {
		var first *Txn
		select {
		case first = <-l.in:
		case <-e.stop:
			return
		}
		batch := []*Txn{first}
	drain:
		for len(batch) < maxBatch {
			select {
			case t := <-l.in:
				batch = append(batch, t)
			default:
				break drain
			}
		}
		for _, t := range batch {
			var err error
			if l.raw != nil {
				err = l.raw.AppendRaw(t.Hdr.Zxid, t.Entry)
			} else {
				err = l.log.Append(&t.Hdr, t.Record, nil)
			}
			if err != nil {
				e.fail(fmt.Errorf("engine: txn log append 0x%x: %w", t.Hdr.Zxid, err))
				return
			}
		}
		syncStart := time.Now()
		if err := l.log.Sync(); err != nil {
			e.fail(fmt.Errorf("engine: txn log sync: %w", err))
			return
		}
		e.stats.fsyncTime.Observe(time.Since(syncStart).Milliseconds())
		e.stats.syncBatch.Observe(int64(len(batch)))
		e.stats.syncQueued.Add(int64(len(batch)))
		select {
		case l.committed <- batch:
		case <-e.stop:
			return
		}
	}
}

// commitLoop hands durable batches to Commit, in zxid order.
func (l *localLog) commitLoop() {
	for {
		select {
		case batch := <-l.committed:
			l.e.Commit(batch)
		case <-l.e.stop:
			return
		}
	}
}

// Commit is the one apply owner: it applies committed txns in zxid order
// and completes the requests waiting for them, whichever Replicator
// committed them. It is called by one goroutine at a time (standalone's
// commitLoop, or an ensemble's peer driver). A txn prep made here comes
// back with its request (Txn.Origin); a learner's own clients' writes,
// forwarded to the leader, come back as another member's bytes and are
// found by (session, cxid).
func (e *Engine) Commit(txns []*Txn) {
	for _, t := range txns {
		r, _ := t.Origin.(*request)
		if r == nil && e.cfg.Role.learner() {
			r = e.takeWaiting(t.Hdr.ClientID, t.Hdr.Cxid)
		}
		e.applyTxn(t, r)
	}
}

// applyTxn applies one committed txn, through the committed state (which
// also keeps the committed sessions), and completes the local request that
// asked for it, if any (r may be nil: another member's client, or an
// internal request such as an expiry).
func (e *Engine) applyTxn(t *Txn, r *request) {
	hdr := &t.Hdr
	res := e.state.Apply(t)
	if hdr.Type == proto.OpCreateSession && e.cfg.Role != RoleStandalone {
		// An ensemble member's live tracker learns a committed session
		// here: a learner's only way (a leader's prep added it already).
		if cs, ok := t.Record.(*proto.CreateSessionTxn); ok {
			e.sessions.Add(hdr.ClientID, cs.TimeOut, time.Now().UnixMilli())
		}
	}
	e.prep.applied(hdr.Zxid)
	if hdr.Type == proto.OpCloseSession {
		e.sessions.Remove(hdr.ClientID)
		c := e.forgetSession(hdr.ClientID)
		if c != nil && (r == nil || r.conn == nil) {
			// An expiry (or a close asked for elsewhere): drop the
			// connection still holding the session.
			c.close()
		}
	}
	if r == nil {
		return
	}
	r.hdr = *hdr
	r.txn = t.Record
	r.result = res
	if r.conn != nil {
		r.conn.complete(r)
	}
}
