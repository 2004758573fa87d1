// Package node keeps nodes in ZooKeeper that re-create themselves, as
// Apache Curator's PersistentNode and PersistentTtlNode do, with their
// layouts, so Java and Go processes see the same nodes.
//
//   - Persistent (Curator's PersistentNode): a node of any mode
//     (persistent, ephemeral, sequential, TTL), optionally protected,
//     that Start creates and that is re-created, with the data last given
//     to SetData, whenever it is found missing: deleted by someone, gone
//     with an expired session, or after any Reconnected. WaitReady is
//     Curator's waitForInitialCreate. Close deletes it.
//
//   - TTL (Curator's PersistentTtlNode): a persistent TTL node kept alive
//     by touching a TTL child "touch" every ttl/2, for presence without a
//     session: it outlives connection losses and session expiry, and the
//     server removes it about 2*ttl after its owner stops. Close leaves it
//     to its TTL.
//
//     n, err := node.NewPersistent(c, "/workers/w1", zk.FlagEphemeral, []byte("10.0.0.7:8080"))
//     if err != nil { ... }
//     if err := n.Start(); err != nil { ... }
//     defer n.Close(context.Background())
//     if err := n.WaitReady(ctx); err != nil { ... }
//
// # Nodes
//
//	Persistent  <path>                             as asked
//	            <parent>/_c_<uuid>-<name><seq>      WithProtection, sequential
//	TTL         <path>          mode TTL (5), ttl as asked, the data given
//	            <path>/touch    mode TTL (5), same ttl, empty data, written every ttl/2
//
// A sequential node keeps the name its first create gave it: it is
// re-created under that name, without the sequential flag. Missing parents
// are created as container nodes unless WithoutParents is given.
//
// # Connection states
//
// Suspended: nothing is done; the node may still be there. Reconnected
// (after Suspended or Lost): the node is checked and re-created if it is
// missing. An ephemeral node of a lost session that the server has not yet
// deleted is adopted (its data set to ours) and re-created when the server
// deletes it. Errors are retried with backoff until Close; the node then
// converges to existing with our data.
//
// # Goroutines
//
// Start starts one goroutine (two for TTL); Close stops and waits for
// them. No lock is held across I/O.
package node
