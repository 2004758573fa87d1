package engine

import (
	"errors"
	"fmt"

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
		if err := e.txnlog.Sync(); err != nil {
			e.fail(fmt.Errorf("engine: txn log sync: %w", err))
			return
		}
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
	e.treeMu.Lock()
	res := e.tree.ProcessTxn(&r.hdr, r.txn)
	switch r.hdr.Type {
	case proto.OpCreateSession:
		if cs, ok := r.txn.(*proto.CreateSessionTxn); ok {
			e.committed[r.hdr.ClientID] = cs.TimeOut
		}
	case proto.OpCloseSession:
		delete(e.committed, r.hdr.ClientID)
	}
	e.treeMu.Unlock()
	e.prep.applied(r.hdr.Zxid)
	switch r.hdr.Type {
	case proto.OpCloseSession:
		e.sessions.Remove(r.sessionID)
		if r.conn == nil {
			// An expiry: drop the connection still holding the session.
			if c := e.connForSession(r.sessionID); c != nil {
				c.close()
			}
		}
	}
	r.result = res
	if r.conn != nil {
		r.conn.complete(r)
	}
}
