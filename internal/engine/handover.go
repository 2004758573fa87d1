package engine

import "time"

// HandoverLinger is how long Handover keeps a role's client connections
// open after the engine stops: long enough for every reply already queued
// (the answer to the reconfig that ended the role, say) to be written, and
// for a client that answers it at once to see the connection drop under
// its next request rather than send it into a closed socket.
const HandoverLinger = 50 * time.Millisecond

// Handover closes the engine at the end of an ensemble role, as Close does,
// but gentler on its clients, as ZooKeeper's closing server is: the
// pipeline stops at once (nothing new is prepped, proposed or answered;
// what clients send meanwhile is read and dropped), the replies already
// queued are written, and the connections close linger later. A client
// never hears that its session expired because a role ended: a resume
// waiting for the leader's answer is closed without one.
func (e *Engine) Handover(linger time.Duration) error {
	e.handingOver.Store(true)
	e.stopOnce.Do(func() {
		conns := e.shutDown()
		for _, c := range conns {
			c.signal() // write what is queued
		}
		if linger > 0 {
			t := time.NewTimer(linger)
			<-t.C
		}
		e.finishClose(conns)
	})
	return e.Err()
}
