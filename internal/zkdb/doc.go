// Package zkdb is a server's database on disk: it restores the data tree
// and sessions from a ZooKeeper data directory (newest valid snapshot plus
// the txn log after it), makes txns durable for the engine's write path,
// and takes fuzzy snapshots in the background, as ZooKeeper's ZKDatabase,
// FileTxnSnapLog and SyncRequestProcessor do together.
//
// Caller's duties, in order:
//
//  1. Open restores the database. A failure (a corrupt log, an unreadable
//     directory) is fatal: do not serve.
//  2. Hand the restored Tree, Sessions and LastZxid to the engine, and the
//     DB itself as the engine's TxnLog.
//  3. Start the snapshotter with a function that returns a consistent view
//     of the applied state (the engine's SnapshotSource).
//  4. Close after the engine has stopped appending.
//
// The write path calls Append for each txn and Sync once for the batch.
// Sync returns only when every appended txn is durable (fsync, unless
// forceSync=no); the engine acknowledges nothing before that. An Append or
// Sync error is sticky: the DB refuses every later txn, and the server
// stops. Every SnapCount/2 + rand(SnapCount/2) txns the log rolls to a new
// file and a snapshot of the applied tree is taken on the snapshotter's
// goroutine while writes go on; a snapshot still running means the next
// trigger is skipped, as in ZooKeeper.
package zkdb
