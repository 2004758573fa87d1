// Package barrier implements Apache Curator's DistributedBarrier and
// DistributedDoubleBarrier on the recipes client, with Curator's nodes, so
// Java and Go members share a barrier (internal/curatortest checks it
// against Curator 5.4).
//
// # Nodes
//
//	Barrier:        <path>                 persistent; present = raised
//	DoubleBarrier:  <path>/<uuid>          ephemeral, one per member
//	                <path>/ready           persistent, created when n members are present,
//	                                       deleted by the members as they finish Leave
//
// # Caller duties
//
// Barrier: any process may Set, Remove or Wait. Nothing depends on a
// session, so a crashed process that set the barrier leaves it raised.
//
// DoubleBarrier: every member uses the same path and n, its own
// DoubleBarrier value, and calls Enter then Leave once. Members that
// crash are handled by session expiry: before the barrier is full a
// crashed member no longer counts; after it is full it counts as having
// left. A member whose own session is lost while in Enter re-creates its
// node on the new session; in Leave it counts as having left. Enter
// removes this member's node when it fails. If every member crashes after
// ready was created, ready stays and the next round would enter at once:
// delete it (recipes.Client.DeleteAll on path) before reusing the path.
//
// All calls block with ctx first and return ErrClosed after Close. Watches
// are one-shot and re-registered on each pass; a waiting call also wakes
// when the client's session changes.
package barrier
