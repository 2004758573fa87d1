// Package lock provides distributed locks on ZooKeeper, built on the
// recipes client: a re-entrant Mutex, a read-write RWMutex, a counting
// Semaphore and a MultiLock that takes several locks as one. Their nodes
// are laid out as Apache Curator's, so a Curator lock and a zkit lock on
// the same path exclude each other.
//
//	m := lock.NewMutex(c, "/locks/orders")
//	if err := m.Lock(ctx); err != nil { ... }     // ctx ends the wait; our node is removed
//	defer m.Unlock(context.WithoutCancel(ctx))
//	token := m.Token()                            // pass to the guarded resource
//	select {
//	case <-m.Lost():                              // session lost while held: stop now
//	case <-work.Done():
//	}
//
// # How a lock is taken
//
// Each contender creates an ephemeral-sequential node under the lock path
// with Curator's protection prefix (recipes.CreateProtected), lists the
// children, sorts them by their sequence suffix and, if its node is not
// the one that may hold, watches exactly one node ahead of it (its
// predecessor; for a reader, the nearest writer ahead), so a release wakes
// one waiter and not all of them. Waiters are served in the order their
// nodes were created (FIFO). Children whose names do not end in a
// 10-digit sequence are ignored.
//
// # Node layout
//
//	Mutex      <path>/_c_<uuid>-lock-<seq>                 Curator InterProcessMutex
//	RWMutex    <path>/_c_<uuid>-__READ__<seq>               Curator InterProcessReadWriteLock
//	           <path>/_c_<uuid>-__WRIT__<seq>
//	           <path>/_c_<uuid>-__READ__<seq of our writer>  read taken under our own write lock
//	                                                        (plain ephemeral, as Curator does)
//	Semaphore  <path>/locks/_c_<uuid>-lock-<seq>            Curator InterProcessSemaphoreV2:
//	           <path>/leases/_c_<uuid>-lease-<seq>          gate mutex, then lease nodes
//
// <uuid> is a fresh random UUID per node; <seq> is ZooKeeper's %010d
// sequence. Node data is empty unless WithData is given (Curator stores the
// client's IP address by default; nobody reads it for locking). Parents
// are created as container nodes, which the server removes once empty.
// Unlike Curator's semaphore, an acquirer keeps the gate mutex for all n of
// its leases, so partial acquisitions cannot deadlock; a Curator semaphore
// on the same path still counts our leases correctly.
//
// # Failure, cancellation and orphans
//
// If Lock fails for any reason, including ctx ending, our node is removed
// before Lock returns. A connection loss while the node is being created is
// handled by the protected create: the client finds its own node by its
// UUID instead of leaving it behind, and if ctx ends before the outcome is
// known, a background task of the client deletes the node once the server
// is reachable. Removing a node after ctx has ended goes on for up to
// about a session timeout while the server is unreachable (then the
// session ends and the server removes the node itself), so Lock may return
// that much later than ctx.
//
// If the session is lost while waiting, Lock queues again with a new node
// (at the back) and deletes the old one if the server still has it.
//
// # Connection states
//
//   - Suspended: nothing is released. A held lock may be lost: the session
//     may be expiring on the server. Code that must not act without the
//     lock should Listen for Suspended on the client and pause, or check
//     its fencing token at the resource. Waiters keep waiting.
//   - Reconnected (same session): nothing changes; holders still hold,
//     waiters keep their place (go-zookeeper/zk re-arms their watches).
//   - Lost: Lost() of every lock held by that session is closed. The lock
//     is gone: another client may hold it already. Unlock still works (it
//     deletes the node if the server still has it) and must be called
//     before the value is locked again; a re-entrant Lock returns ErrLost.
//     Waiters queue again on the new session.
//
// Lost is also closed when our node is deleted by someone else, and when
// the Client is closed.
//
// # Fencing
//
// Lost is closed only when the client learns of the loss, which may be
// after the server has expired the session and given the lock to another.
// Token returns the creation zxid (czxid) of the holder's node. Holders
// are served in creation order, so tokens grow from one holder to the
// next; a resource that remembers the highest token it has accepted and
// refuses lower ones cannot be written by a holder that has lost the lock
// without knowing it. MultiLock's token is the largest of its parts (also
// growing, since parts are taken one after another). Semaphore leases
// carry the czxid of their node; with one lease it is a fencing token too.
//
// # Re-entrancy and values
//
// Mutex, the two sides of RWMutex and MultiLock are re-entrant per value:
// the value is the owner. Goroutines that must exclude each other use
// separate values (several values may share one Client). Calls on one
// value are serialised.
//
// # Goroutines and locks
//
// While a lock or lease is held, one goroutine watches its node and
// session; Unlock or Release stops and joins it, and it exits by itself
// when the Client closes. No lock is held across I/O. Errors from the
// server pass through wrapped (errors.Is(err, zk.ErrNoNode) works); this
// package's own errors are ErrNotLocked, ErrLost and ErrBadArgument.
//
// # Not yet covered
//
// Revocation (Curator's Revocable) is not implemented. (The contract
// suite runs every lock kind on a standalone server and, with
// testing.StartEnsemble, through the loss of each member of a
// three-member ensemble.)
package lock
