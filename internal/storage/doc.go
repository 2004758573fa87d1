// Package storage is zkit's FileTxnSnapLog: the on-disk layout of a
// ZooKeeper data directory and the rules that tie snapshots and txn logs
// together, on top of packages txnlog and snapshot.
//
// # Layout (the same as ZooKeeper's, so either can take over the other's)
//
//	<dataDir>/myid                          server id, decimal
//	<dataDir>/version-2/snapshot.<hex zxid>[.gz|.snappy]
//	<dataDir>/version-2/currentEpoch        decimal, no newline
//	<dataDir>/version-2/acceptedEpoch       decimal, no newline
//	<dataLogDir>/version-2/log.<hex zxid>   (dataLogDir defaults to dataDir)
//	<dataLogDir>/initialize                 "trust an empty database", consumed
//
// Epoch files are replaced atomically (name.tmp, fsync, rename, directory
// fsync). When dataDir and dataLogDir differ, Open refuses a log directory
// holding snapshots or a snapshot directory holding logs.
//
// # Startup, in order
//
//  1. Open the Store.
//  2. Restore(sink, replay): it cuts a torn log tail, loads the newest
//     valid snapshot into sink (falling back to older ones), then calls
//     replay for each logged txn after the snapshot's zxid. Any error
//     (a replay error, a log CRC error) is fatal: do not start.
//     - No snapshot and no logs: a new database (LastZxid 0,
//     NeedsInitialSnapshot: write snapshot.0 of the empty tree before
//     serving), or, with NoAutoCreateDB and no initialize file,
//     LastZxid -1.
//     - Logs without a snapshot: ErrEmptySnapshot unless
//     TrustEmptySnapshot (zookeeper.snapshot.trust.empty).
//  3. Read the epoch files (missing: create them from the last zxid's
//     epoch, as QuorumPeer.loadDataBase does).
//  4. Create a txnlog.Writer from LogOptions and append from there.
//
// # While running
//
// Snapshot(zxid, src) after rolling the log; Purge(n ≥ 3) keeps the newest
// n valid snapshots and the logs needed to replay from the oldest of them
// (PurgeTxnLog.purge, autopurge.snapRetainCount); TruncateLog(zxid) on a
// TRUNC from the leader.
package storage
