// Package queue implements distributed queues on ZooKeeper in the manner
// of Apache Curator's DistributedQueue, DistributedPriorityQueue,
// DistributedDelayQueue and DistributedIdQueue, on the recipes client.
//
// # Layout
//
// Every item is a persistent sequential node under the queue path. For
// Queue, PriorityQueue, DelayQueue and IDQueue the payload is the node's
// data, unchanged, and names are Curator's behind the protection prefix
// recipes.CreateProtected adds, so that a Put retried after a lost reply
// never adds an item twice (Curator's consumers skip such names: use Typed
// to share a queue with Java):
//
//	<path>/_c_<uuid>-queue-<seq>                 Queue (FIFO)
//	<path>/_c_<uuid>-queue-<1|0><%08X prio><seq>   PriorityQueue ("1" for prio >= 0)
//	<path>/_c_<uuid>-queue-|<%08X due ms>|<seq>   DelayQueue (Unix milliseconds)
//	<path>/_c_<uuid>-queue-|<id>|<seq>            IDQueue ('/' and '|' in id become '_')
//	<path>/_locks/<item>                         Consume's per-item lock (ephemeral)
//	<path>/_claims/<item>-<uuid>                 claim record (persistent, short-lived)
//
// <seq> is ZooKeeper's 10-digit counter. Children that do not parse are
// ignored. The queue, lock and claim nodes are containers created on
// demand; the server may reap them when empty.
//
// # Sharing a queue with Curator: Typed
//
// Typed[T], TypedPriority[T], TypedDelay[T] and TypedID[T] are Curator's
// DistributedQueue<T>, DistributedPriorityQueue<T>, DistributedDelayQueue<T>
// and DistributedIdQueue<T> on the wire. Their nodes are named exactly as
// Curator's, without the protection prefix (Curator's consumers skip any
// child whose name does not start with "queue-"):
//
//	<path>/queue-<seq>                           Typed
//	<path>/queue-<1|0><%08X prio><seq>            TypedPriority
//	<path>/queue-|<%08X due ms>|<seq>             TypedDelay
//	<path>/queue-|<id>|<seq>                      TypedID
//	<path>_locks/<item>                          Consume's item lock (default)
//	<path>_claims/<item>-<uuid>                  claim record (default)
//
// Locks and claims default to nodes beside the queue node, so that only
// items are under it (Curator logs any other child). Each node holds
// Curator's multi-item format (its ItemSerializer), each item the bytes of
// a Serializer[T] (Curator's QueueSerializer<T>):
//
//	offset  size  field
//	0       4     version 0x00010001, big-endian
//	4       1     0x01: an item follows
//	5       4     item length n, big-endian
//	9       n     item bytes (Serializer.Marshal of one value)
//	...           more 0x01 / length / bytes, one per item (putMulti)
//	end     1     0x02: end of items; anything after it is ignored
//
// JSON, Bytes and String are provided serializers; the Java side must use
// the matching QueueSerializer. Curator consumers with a lock path
// (QueueBuilder.lockPath) and Typed.Consume with WithLockPath set to the
// same path lock an item through the same node, <lock path>/<item name>,
// an ephemeral node, so they never process one item at once. A Curator
// consumer that finds an item locked skips it until the queue's children
// next change. EncodeItems and DecodeItems give the format to callers of
// Queue that frame data themselves. A typed Put is not protected against
// a lost reply (the prefix would hide it from Curator): retried, it may
// add its node twice, as Curator's own put may. internal/curatortest
// checks the four typed queues against Curator 5.4 in both directions.
//
// # Taking items
//
// Take (at-most-once): list the items with a children watch, and for the
// first available one read it and remove it in one transaction that also
// creates a claim record <item>-<uuid>. If the reply to that transaction
// is lost, the claim record says whether this consumer removed the item
// or another one did, so an item is never removed without being returned
// and never returned twice. The caller's ctx does not interrupt a removal
// once started (WithOperationTimeout bounds it); Take may return an item
// even though ctx ended meanwhile. An item is lost if the process dies
// between removing and using it: use Consume for that.
//
// Consume (Curator's lock-safe mode, QueueSafety with a lock path): lock
// the first available unlocked item with an ephemeral node, call fn, and
// only when fn returns nil remove the item, its lock and create the claim
// record in one transaction, after checking that the lock still belongs to
// the session that created it. fn's error releases the lock and leaves the
// item for the next consumer. The guarantee: for every item exactly one
// Consume returns nil, unless the item is removed by Take or
// IDQueue.Remove. fn may run more than once for an item (at-least-once
// processing): when its consumer dies, or its session is lost before the
// removal (Consume then returns ErrLockLost). Do not mix Take and Consume
// on one queue unless at-most-once for Take's items is what you want.
//
// Take and Consume block until an item is available, watching the
// children again after every change (one-shot watches re-registered on
// each pass), and also wake when a DelayQueue item falls due or the
// session changes. Consumers compete for the first item; one wins, the
// others move to the next.
//
// # Connection states
//
// Suspended: calls in progress wait for the connection (the recipes
// client retries) until their ctx ends. A Consume's fn keeps running: its
// lock is probably still held.
//
// Lost: the locks of this client's Consume calls are gone with the
// session; fn's ctx is cancelled, and another consumer may take the item
// over. A Take or Consume waiting for items lists them again on the new
// session. Items and claim records are persistent and unaffected.
//
// # Goroutines
//
// A queue starts no goroutine of its own except one per running fn (to
// cancel its ctx). Close makes blocked calls return ErrClosed and waits
// for calls in progress, including a removal under way.
package queue
