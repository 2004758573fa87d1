// Package datatree is zkit's in-memory ZooKeeper data tree: the znodes, the
// indexes kept beside them (ephemerals by session, containers, TTL nodes, the
// reference-counted ACL cache, quota usage), the incremental tree digest, and
// the two watch managers (package watch). It follows ZooKeeper 3.8's
// DataTree, DataNode, ReferenceCountedACLCache, DigestCalculator and
// NodeHashMapImpl rule for rule; where it differs, the doc of the function
// says so.
//
// # Caller duties
//
//  1. One goroutine (the apply loop) calls ProcessTxn, in zxid order, with
//     txns that the prep stage built. ProcessTxn reads no clock: times come
//     from the TxnHeader, so the same txns in the same order always give
//     the same tree (and the same Digest). It owns the record it is given.
//  2. After each txn the log writer may attach TxnDigest{DigestVersion,
//     Digest()}; a follower or a replay may call CompareDigest with the
//     digest that came with the txn.
//  3. Reads (GetData, Exists, GetChildren, GetACL, ...) may run on any
//     goroutine at any time. A watch passed to a read is registered
//     atomically with it. Returned data and ACL slices are shared: never
//     modify them.
//  4. The prep stage uses Lookup and Children; they may run while
//     ProcessTxn runs and see the tree before or after a txn, never inside.
//  5. watch.Watcher.Notify is called with the tree's write lock held; it
//     must only enqueue (it may check READ on the ACL it is given).
//  6. A closing connection calls RemoveWatcher.
//  7. Snapshots: Walk plus ACLCacheSnapshot write one; NewLoader, SetACLCache,
//     AddNode..., Finish read one, then SetLastProcessedZxid and
//     SetSnapshotDigest. Replaying the log from the snapshot's zxid over the
//     loaded tree gives the tree that applying everything would have.
//
// # Consistency
//
// One sync.RWMutex covers the tree. ProcessTxn write-locks it for a whole
// txn (a multi included), so a read never sees half a txn, and a read that
// starts after ProcessTxn returned sees all of it. Watch events are queued
// (Notify) before ProcessTxn unlocks, so a read that sees a change replies
// after that change's events were queued: ZooKeeper's rule that a client
// sees the event before any data reflecting the change. Reads share the lock
// and never wait for each other; LastProcessedZxid is atomic and takes no
// lock at all. Walk takes the read lock per node (or per run of up to 128
// leaves) so a snapshot does not stop writes.
//
// # Memory layout
//
// A restored znode costs about 155 bytes of heap (BenchmarkRestore in
// internal/zkdb; BenchmarkLoad here): one 96-byte node (name and data as
// pointer and length, child set pointer, packed stat with a 32-bit
// aclRef), its name, its data, and a slot in its parent's child set. There
// is no map of full paths:
// the nodes are linked by name and a lookup walks the path's components
// through each parent's child set (a packed list up to 8 children, then a
// seeded open-addressing hash table). Node digests are recomputed when a
// node changes rather than stored. Names of nodes read from a snapshot are
// packed into 16 KiB chunks that stay alive while any of their names does.
// See node.go.
//
// # Node metadata
//
// Each node stores ZooKeeper's StatPersisted; its Cversion counts the
// creates under the node (the sequential-node suffix uses it). Clients get
// Stat as DataNode.copyStat computes it: cversion = stored*2 - numChildren,
// ephemeralOwner 0 for containers and TTL nodes, plus dataLength and
// numChildren.
//
// ephemeralOwner encodes the node kind (EphemeralType): 0 persistent,
// 0x8000000000000000 container, 0xFF00000000000000|ttl a TTL node (only with
// WithExtendedTypes; otherwise such a value is an ordinary session id),
// anything else the owning session.
//
// # Digest (version 2)
//
// Node digest = CRC32 (IEEE) over
//
//	path bytes ("/" as "") | data | czxid mzxid pzxid ctime mtime (int64 BE)
//	| version cversion aversion (int32 BE) | ephemeralOwner (int64 BE)
//
// with the stored cversion. The tree digest is the wrapping int64 sum of
// node digests over every node except those under "/zookeeper/" (the
// "/zookeeper" node itself counts; the root counts once).
//
// # Counts that mirror Java's quirks
//
// NodeCount is one more than the number of nodes, because Java's map holds
// the root as "" and "/"; ApproximateDataSize counts the root twice too and
// measures paths in UTF-16 units. Children are returned sorted (Java's order
// is its HashSet's).
package datatree
