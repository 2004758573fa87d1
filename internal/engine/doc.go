// Package engine is the request engine of a zkit server: client
// connections, the prep stage that turns writes into transactions, the
// replication seam that makes them durable, and the one apply owner that
// changes the tree.
//
// The pipeline, one path for standalone and ensemble:
//
//		conn reader ──► prep ──► Replicator ──► Commit (apply) ──► conn writer
//		 per conn       one       standalone: group-commit log    per conn
//		                goroutine ensemble leader: the Zab peer
//
//	  - A connection's reader goroutine decodes requests. Writes go to prep in
//	    arrival order (a learner forwards them to its leader instead). Reads
//	    run at once when the session has no write in
//	    flight, otherwise they wait in the connection's queue behind that
//	    write, so a session always reads its own writes (ZooKeeper's
//	    per-session FIFO). A client that resumes its session on a new
//	    connection of this engine while the old one still has writes in
//	    flight gets a barrier at the head of the new queue: nothing on the
//	    new connection is answered before those writes complete (owner.go).
//	  - Prep (one goroutine) validates a write, checks ACLs against the tree
//	    plus the changes still in flight (ZooKeeper's outstanding changes),
//	    and builds a deterministic txn with the next zxid, the wall-clock time,
//	    sequence numbers and the ephemeral owner. A write that fails prep
//	    still becomes a txn (an error txn) and takes a zxid, as in ZooKeeper.
//	    The txn is typed (Txn: header, record, and its log-entry encoding,
//	    made here once) and carries its request (Txn.Origin).
//	  - Prep hands every txn to one Replicator (apply.go), whatever the
//	    role. Standalone's is the local log: it appends every txn that
//	    arrived meanwhile and syncs once (group commit). An ensemble
//	    leader's is its Quorum: the peer driver proposes the txn, keeping
//	    it typed, and commits it once a quorum has it durable. Nothing is
//	    applied, and so nothing acknowledged, before its txn is durable.
//	  - Commit, the one apply owner, gets committed txns in zxid order
//	    from either (standalone's commit goroutine, or the peer driver's on
//	    every member) and applies them under the tree's write lock; watch
//	    events are queued on the watchers' connections inside that lock, so
//	    an event always precedes any reply that reflects its change. A
//	    txn's request comes back with it; a learner finds its own clients'
//	    forwarded writes by (session, cxid).
//	  - Each connection's writer goroutine sends, in request order, the
//	    replies whose requests are done, running waiting reads when their
//	    turn comes, batching writes to the socket.
//
// Apply goes through the committed state, a statemachine.Machine: the
// tree and the committed sessions (what a snapshot records), changed
// together by one Apply per txn. A standalone engine builds its own; an
// ensemble member's peer owns one across roles and lends it to each role's
// engine (Config.State). The engine's live session tracker (expiry,
// touches, owners) is its own.
//
// Lock order: conn.pendMu → Engine.treeMu (the Machine's lock) →
// conn.outMu. Apply holds treeMu for writing only around one txn; reads
// hold it for reading while they read the tree and queue their reply.
//
// # Quotas, local sessions, read-only mode
//
//   - Quotas (quota.go): the tree keeps each quota's usage; with
//     EnforceQuota, prep refuses a create or setData that would pass a hard
//     limit (QUOTAEXCEEDED) and logs, rate-limited, one that passes a soft
//     limit, as ZooKeeperServer.checkQuota. The usage checked is the applied
//     tree's, so writes in flight together may overshoot (as in ZooKeeper).
//   - Local sessions (local.go): with LocalSessions every new session lives
//     in this engine's own tracker, with no txn, until an ephemeral create
//     upgrades it (LocalSessionsUpgrading) or is refused
//     (EPHEMERALONLOCALSESSION).
//   - Read-only mode (RoleReadOnly): an engine over a member's applied tree
//     while the member has no quorum. Only clients whose ConnectRequest asks
//     for read-only are served (others are closed, as NOT_READ_ONLY_CLIENT);
//     the connect response says readOnly; new sessions are local; a global
//     session's reconnection is closed (ZOOKEEPER-3863); every write
//     and sync is answered NOTREADONLY; a closeSession ends the connection
//     without a txn; isro answers "ro" and srvr's Mode is "read-only".
//
// # Session owners (owner.go)
//
// The engine that preps writes (standalone, leader) records which member
// holds each session: itself, or the learner that created or revalidated
// it. A resume elsewhere moves the owner; prep turns a write from the old
// owner into a SESSIONMOVED error txn, and the member holding that write's
// connection closes it without a reply, as ZooKeeper does. Moves between
// connections of one member are not fenced (one member is one owner).
//
// A connection that has not sent its ConnectRequest (or four-letter word)
// within SessionlessCnxnTimeout of being accepted is closed, as
// NIOServerCnxnFactory closes sessionless connections, so idle sockets
// cannot exhaust file descriptors. A check (opcode 13) outside a multi is
// answered UNIMPLEMENTED and the connection closed, as in ZooKeeper 3.9.3+
// (ZOOKEEPER-2623); one forwarded by an older learner becomes an
// UNIMPLEMENTED error txn. No top-level check txn is ever logged.
//
// # Role changes (handover.go)
//
// An ensemble member's engine lives for one role. Handover ends it gently:
// the pipeline stops, the replies already queued are written, what clients
// send meanwhile is dropped, and the connections close HandoverLinger
// later. A resume waiting for the leader's REVALIDATE answer is closed
// without an answer when none comes: a learner never calls a session
// expired on its own.
//
// A refused request (EPHEMERALONLOCALSESSION, NOTREADONLY) takes no zxid:
// it waits in the connection's queue as a read does and is answered in
// its turn, so replies stay in request order.
//
// # Observability
//
// Each Engine owns a metrics.Registry (Metrics) holding ZooKeeper's server
// gauges (znode_count, packets_received, num_alive_connections, ...) and
// summaries (readlatency, updatelatency, fsynctime, ...). The four-letter
// words (fourlw.go), the AdminServer (package admin) and the Prometheus
// endpoint read the same numbers through Stats, Connections, the watch and
// session accessors and the registry (report.go), so the three never
// disagree. The registry reports Java 3.8's metric names in Java's mntr
// order (metrics.Java38): the ones the engine keeps, Java's metrics that
// are truly 0 here (for a standalone engine also the quorum pipeline's),
// the statistics others keep and attach (the tree's per-namespace and
// watch counts, the database's load and snapshot times, a member's quorum
// statistics), and none that zkit does not measure. mntr and the
// AdminServer's monitor add peer_state for a quorum role (PeerState). The texts follow ZooKeeper 3.8
// byte for byte where values allow; srst resets the server counters and every registry counter and
// summary, as ZooKeeper's ServerMetrics.resetAll does. A session's
// creation counts as a request (cons: lop=SESS), a resume does not. dump's
// session part takes the shape of the role's ZooKeeper tracker: a
// leader's "Local Session Sets"/"Global Session Sets" (plain "Session
// Sets" without local sessions, and standalone), a learner's or read-only
// member's local sets and then "Global Sessions(n):" with each id's
// timeout.
package engine
