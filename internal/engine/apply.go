package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

func asCode(err error, c *proto.Code) bool { return errors.As(err, c) }

// maxBatch bounds how many txns one sync covers.
const maxBatch = 1000

// logLoop is the write path's durability stage: it appends every txn that
// has arrived and syncs once for all of them (group commit), and only then
// hands them to apply. A log error stops the engine: nothing after it is
// applied or acknowledged.
func (e *Engine) logLoop() {
	for {
		var first *request
		select {
		case first = <-e.logCh:
		case <-e.stop:
			return
		}
		batch := []*request{first}
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-e.logCh:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		for _, r := range batch {
			if err := e.txnlog.Append(&r.hdr, r.txn, nil); err != nil {
				e.fail(fmt.Errorf("engine: txn log append 0x%x: %w", r.hdr.Zxid, err))
				return
			}
		}
		syncStart := time.Now()
		if err := e.txnlog.Sync(); err != nil {
			e.fail(fmt.Errorf("engine: txn log sync: %w", err))
			return
		}
		e.stats.fsyncTime.Observe(time.Since(syncStart).Milliseconds())
		e.stats.syncBatch.Observe(int64(len(batch)))
		e.stats.syncQueued.Add(int64(len(batch)))
		select {
		case e.applyCh <- batch:
		case <-e.stop:
			return
		}
	}
}

// applyLoop applies durable txns in zxid order.
func (e *Engine) applyLoop() {
	for {
		select {
		case batch := <-e.applyCh:
			for _, r := range batch {
				e.apply(r)
			}
		case <-e.stop:
			return
		}
	}
}

func (e *Engine) apply(r *request) {
	e.applyTxn(&r.hdr, r.txn, r)
}

// applyTxn applies one committed txn and completes the local request that
// asked for it, if any (r may be nil: another member's client, or an
// internal request such as an expiry).
func (e *Engine) applyTxn(hdr *proto.TxnHeader, txn jute.Record, r *request) {
	e.treeMu.Lock()
	res := e.tree.ProcessTxn(hdr, txn)
	switch hdr.Type {
	case proto.OpCreateSession:
		if cs, ok := txn.(*proto.CreateSessionTxn); ok {
			e.committed[hdr.ClientID] = cs.TimeOut
			if e.cfg.Role != RoleStandalone {
				e.sessions.Add(hdr.ClientID, cs.TimeOut, time.Now().UnixMilli())
			}
		}
	case proto.OpCloseSession:
		delete(e.committed, hdr.ClientID)
	}
	e.treeMu.Unlock()
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
	r.txn = txn
	r.result = res
	if r.conn != nil {
		r.conn.complete(r)
	}
}
