// Package election chooses a leader among processes on ZooKeeper, built on
// the recipes client, with Apache Curator's two recipes and node layouts:
//
//   - Latch (Curator's LeaderLatch): join with Start, lead until Close or
//     until leadership is lost, and learn of changes through Leader,
//     NotLeader, IsLeader, Await and Listen.
//
//   - Selector (Curator's LeaderSelector): run a function while leading;
//     its ctx is cancelled when leadership ends; optionally queue again.
//
//     l := election.NewLatch(c, "/services/indexer/leader", hostname)
//     if err := l.Start(); err != nil { ... }
//     defer l.Close(context.Background())
//     for {
//     if err := l.Await(ctx); err != nil { return err }
//     work(l.NotLeader())  // stop when this channel closes
//     }
//
//     s := election.NewSelector(c, "/services/indexer/leader", hostname,
//     func(ctx context.Context) { runUntil(ctx) }, election.WithAutoRequeue())
//     s.Start()
//     defer s.Close(context.Background())
//
// # Nodes
//
//	Latch     <path>/_c_<uuid>-latch-<seq>   data: the participant id
//	Selector  <path>/_c_<uuid>-lock-<seq>    data: the participant id (a lock.Mutex)
//
// Both are ephemeral-sequential protected nodes (see recipes.CreateProtected),
// so a connection loss during the create leaves no orphan. The first node
// by sequence leads; every other participant watches only the node just
// ahead of it, so a change wakes one participant, not all. Participants
// and LeaderID read the nodes (the leader's view may lag: a leader that
// has just been Suspended may already have stepped down).
//
// # Connection states
//
// What happens on Suspended is a policy (WithSuspendPolicy):
//
//   - DropOnSuspend (default, as Curator's standard policy): leadership
//     ends as soon as the client reports Suspended, before the server can
//     expire the session and pass leadership on. A leader therefore never
//     overlaps with the next one, at the price of stepping down on every
//     short connection blip. After Reconnected with the same session our
//     node is still in line and, if first, leads again; a Selector's
//     function has returned by then and it queues again (at the back) if
//     requeueing.
//   - KeepUntilLost: leadership continues through Suspended and ends on
//     Lost. The client reports Lost after being Suspended for a session
//     timeout, while the server may have expired the session (and elected
//     another) up to that long before; so two participants may both
//     believe they lead for up to about one session timeout. Use fencing
//     (the czxid of the leader's node) where that matters.
//
// On Lost leadership ends at once under either policy, and the participant
// queues again with a new node once the client has a new session
// (deleting its old node if the server still has it). Leadership also ends
// when our node is deleted by someone else. Close ends leadership first
// (a Latch's listeners hear false unless its CloseMode is Silent, a
// Selector's ctx is cancelled and its function awaited) and then deletes
// our node, so the next participant takes over at once.
//
// # Close modes
//
// A Latch closes with its CloseMode (WithCloseMode, or CloseWithMode for
// one call), Curator's LeaderLatch.CloseMode: NotifyLeader calls the
// listeners with false when a leader closes; Silent removes them first, so
// none is called. zkit's default is NotifyLeader (Curator's is SILENT).
//
// # Observing
//
// Observe follows an election's leader without taking part (etcd's
// Election.Observe): a channel that yields the current leader and every
// change, in order, always ending on the latest state however slowly it
// is read. It works on any Latch's or Selector's election, Curator's too.
//
//	for p := range election.Observe(ctx, c, "/services/indexer/leader") {
//		if p.Node == "" { /* nobody leads */ } else { route(p.ID) }
//	}
//
// # Goroutines and locks
//
// A Latch has a goroutine that keeps its place in line and one that calls
// listeners, in order; a Selector has one that queues and runs the
// function. Close stops and joins them. Listeners and functions must not
// call Close themselves. No lock is held across I/O or a callback.
package election
