// Package counter implements shared counters on ZooKeeper in the manner of
// Apache Curator's SharedCount and DistributedAtomicLong, on the recipes
// client.
//
// # Data
//
//	SharedCount  node data: 4 bytes, int32, big-endian two's complement
//	AtomicLong   node data: 8 bytes, int64, big-endian two's complement
//	             (empty data or a missing node reads as 0)
//
// Both are what Curator writes, so Java and Go clients can share a counter
// (internal/curatortest checks it against Curator 5.4, concurrent
// additions and session expiry on either side included).
//
// # SharedCount
//
// NewSharedCount, then Start: the node is created with the seed if absent
// and watched (a recipes.Watcher keeps the watch armed). Count and
// Versioned return the last value read; Listen is told of changes.
// SetCount writes unconditionally; TrySetCount writes only if the node is
// still at the version given (compare-and-set), and reports false when
// another client won. A value read is taken only if its Mzxid is not
// older than the one held, so a slow watch read never replaces a newer
// value written by this client.
//
// # AtomicLong
//
// Every change is read-modify-write with Set at the version read. When
// another client wins the race, the operation reads again and retries
// with the WithOptimisticRetry policy. With WithLock, once those retries
// are used up it takes the lock (a Locker: any distributed mutex, such as
// zkit's lock package; this package does not depend on one) and retries
// again while holding it, as Curator's PromotedToLock does. Writers that do
// not take the lock still use compare-and-set, so the lock only reduces
// contention; it is never needed for correctness.
//
// A write whose reply is lost is retried by the recipes client. If the
// retry then finds the version changed, the change may be this write or
// another client's, and later writes may hide which; retrying could apply
// the change twice. The operation then returns ErrUncertain (the value
// may or may not include it) instead of guessing. Compare-and-set on the
// version alone cannot tell; a caller that must know can keep its own
// record (the queue package's claim records show how).
//
// # Connection states
//
// Suspended: operations wait for the connection and retry (recipes
// client); SharedCount keeps its last value, which may be stale.
// Lost: nothing is held by a session (no ephemeral nodes), so nothing is
// lost; SharedCount reads the node again on the new session and tells
// listeners of any change made meanwhile.
package counter
