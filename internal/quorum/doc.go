// Package quorum runs a server as a member of a ZooKeeper ensemble: the
// peer driver that owns the Fast Leader Election core (package election)
// and, per epoch, a Zab leader or learner core (package zab), does their
// network and disk work, and serves clients through an engine created for
// each role, as ZooKeeper's QuorumPeer creates a Leader-, Follower- or
// ObserverZooKeeperServer.
//
// One goroutine, the peer loop, owns both cores. Everything else talks to
// it through channels: the election network's receive channel, one reader
// goroutine per quorum connection, the engine's Quorum calls (proposals,
// forwarded requests, revalidations, touches), and the tickers.
//
// The loop, in each state (State: Looking; Leading, Following or
// Observing while a role syncs; Leader, Follower or Observer once its
// engine serves; ReadOnly while looking in read-only mode):
//
//	LOOKING   run the election (ticks of 50 ms) until it decides
//	LEADING   open the quorum port, run the Zab leader; once a quorum has
//	          acknowledged NEWLEADER, create a leader engine and serve
//	FOLLOWING connect to the leader's quorum port, run the Zab learner;
//	OBSERVING on UPTODATE create a learner engine and serve
//
// and back to LOOKING when the role ends (quorum lost, leader gone, a
// protocol error, a committed reconfig): the engine hands over
// (engine.Handover: the replies already due, such as the reconfig's, are
// written, and the connections close shortly after), so its clients see
// the connection drop and reconnect, to this member or another, keeping
// their sessions. A learner's REVALIDATE that reaches a new leader before
// its engine serves waits for it (LearnerHandler waits for the leader's
// startup); only the leader's tracker may call a session expired.
//
// A role is a struct the loop runs for one term: leaderRole (leader.go)
// holds the Zab leader core, the quorum port and learner connections and,
// once established, the engine; learnerRole (learner.go) the learner
// core, the connection to the leader, a SNAP's snapshot until installed,
// and the engine. Each takes its connections' packets (handleInbound) and
// the engine's requests (handleOp), batches them, and does the core's
// work (handleReady). The rest of the package, by concern: peer.go the
// peer, its loop, the engine's lifecycle, applying and persisting;
// election.go looking for a leader; epochs.go the epoch files;
// reconfig.go configurations and dynamic reconfiguration; clients.go the
// client listener; stats.go the quorum metrics; roles.go what the roles
// share. Member lines and configuration text are package members'.
//
// Each Zab Ready is handled in the order package zab requires: a leader's
// broadcast PROPOSALs and the COMMITs of entries a quorum holds durably
// first (Ready.Early, so its followers fsync while it does), then the
// commits of entries durable here before this Ready
// (Ready.CommittedEarly: they wait for no fsync of newer proposals), then
// persist (snapshot, truncation, log entries with one fsync, epoch files),
// apply the other committed txns, send, then Advance. Sends queue on the
// connection's writer; the loop never waits for the network but to flush
// a role's last packets. Nothing is acknowledged before it is durable. A leader asks for a snapshot once a quorum has its
// history, as ZooKeeper's leader takes one as it starts leading, so that a
// restart on its dataDir (Java's too) replays only the log since.
//
// Committed txns cross to the engine typed, decoded once. A leader's
// engine hands each prepped txn (engine.Txn: header, record, log entry) to
// its roleQuorum (engine.Replicator); the loop proposes the entry bytes
// and keeps the typed txn by zxid (Peer.proposed, the role's) until it
// commits, so it comes back as the engine made it, with the request it
// answers. A learner decodes each committed entry once, at commit (a
// reconfig it logs is also read when logged, to note its configuration
// before it commits: noteLogged). A committed reconfig is recognised from
// its typed header; a leader takes the configuration its NextConfig built
// for it rather than parse the text back (a learner parses it). Committed
// txns are applied to the peer's statemachine.Machine, which owns the tree
// and the committed sessions for the peer's lifetime: through the engine's
// Commit while one serves (it completes its clients' requests), by the
// loop itself otherwise (catching up before a role, syncing). The same
// Machine seeds each role's engine and every snapshot; a SNAP or TRUNC
// sync resets it.
//
// Read-only mode (Config.ReadOnlyMode, readonlymode.enabled): a peer that
// has looked for a leader for max(2 s, tickTime) starts a read-only engine
// over the applied tree (not the logged but uncommitted tail), as
// QuorumPeer starts a ReadOnlyZooKeeperServer; it is closed as soon as
// the election decides, so its clients reconnect to the new role. Nothing
// is applied while looking, so the engine reads the tree undisturbed.
//
// The client listener belongs to the peer and outlives roles: while no
// engine serves, a four-letter word is answered with ZooKeeper's "not
// currently serving" text and other connections are closed, so clients try
// another member.
//
// Statistics. The peer keeps ZooKeeper's quorum metrics in roleStats
// (stats.go): the loop bumps atomic counters and summaries (elections,
// proposals, commits, syncs, txn latencies) and, after each leader batch,
// publishes the learner counts (zab.Leader.LearnerCounts) into atomics;
// each role's engine attaches them to its registry, with the leader's
// gauges on a leader only, so reporting never takes a peer lock.
//
// Configuration. /zookeeper/config holds the member's configuration text
// (members.ConfigText, ZooKeeper's QuorumVerifier text: "server.N=host:quorumPort:
// electionPort:participant|observer[;clientHost:clientPort]" lines in id
// order, then "version=<hex>", no final newline), set at New and after a
// SNAP or TRUNC sync with data version -1 and mzxid the configuration's
// version, as initConfigInZKDatabase does.
//
// Dynamic reconfiguration (Config.ReconfigEnabled): the leader's engine
// calls NextConfig (leaderReconfig) from its prep stage; it refuses a
// second reconfig while one is in flight (RECONFIGINPROGRESS), checks
// curConfigId (BADVERSION), parses joining/leaving/newMembers
// (BADARGUMENTS), wants at least 2 voters and a synced quorum of them
// (NEWCONFIGNOQUORUM), and returns the new text with version = the txn's
// zxid; CheckConfig runs the same checks without marking a reconfig in
// flight, so the engine can check the caller's permission after them, in
// ZooKeeper's order. The txn (type reconfig, a SetDataTxn of
// /zookeeper/config) is proposed with zab.Leader.ProposeReconfig: it and later proposals need a
// quorum of both configurations until it commits. When any member
// commits a reconfig it activates the configuration just before applying
// the txn (as ZooKeeper's processReconfig precedes the commit), so the
// client's reply finds it active: members,
// voters and observers, the election's voters, election addresses, and
// <DynamicConfigPrefix>.dynamic.<version hex> (server lines in string
// order, no version line), after which Config.ConfigWritten points the
// zoo.cfg at it. A learner whose role changes or whose leader left goes
// back to election; a leader that left steps down (zab.ErrLeftConfig) and
// hands over to the voter of the new configuration it designates
// (COMMITANDACTIVATE's sid): every member takes its role from that
// designation without an election (election.Designate, as QuorumPeer's
// reconfigFlag does), the old leader following it. A member the
// configuration drops keeps following without a vote and keeps serving,
// as ZooKeeper's does, so a later reconfig can add it back. A joiner is
// started with a configuration listing the current members and itself:
// the others answer its election notifications, it follows the leader
// (its ACKs do not count until the reconfig adding it commits) and serves.
//
// Configuration at sync. NEWLEADER carries the leader's configuration; a
// learner activates it at UPTODATE when it is newer than its own, so a
// member that missed a reconfig's commit (it was down, or synced by SNAP)
// catches up, as Learner.syncWithLeader does. A learner never activates a
// reconfig it only logged (the leader may still TRUNC it).
//
// A reconfig logged and not activated (ZooKeeper's last seen
// configuration) is written to <DynamicConfigPrefix>.dynamic.next, every
// line sorted with the version's, and found again after a restart in the
// log's tail. A member elected with one completes it as ZooKeeper's leader
// does: NEWLEADER carries it and needs a quorum of the old voters and of
// the new ones, and only then is it activated, by the leader and, at
// UPTODATE, by its learners; a leader outside it then steps down naming
// the lowest new voter that synced. Without the old configuration's
// quorum, a member cut off with the voters of the new one only would
// serve beside a leader the others elect. Unlike ZooKeeper, the election
// itself still counts the active configuration only: a member holding an
// uncommitted reconfig can then follow a leader the old quorum elected,
// whose TRUNC drops the reconfig, where ZooKeeper would wait for the new
// configuration's voters too.
//
// Configuration in elections. Each notification carries the sender's
// active configuration; a looking member takes a newer one and starts a
// new round, as FastLeaderElection's receiver does. A member that was away
// during a reconfig finds the current voters, and a joiner started with a
// partial view finds an ensemble that does not list it yet: it then votes
// for no one and follows the leader a quorum of the voters follows
// (election.SetOutsideConfig). This is how a one-voter ensemble
// (standaloneEnabled=false) takes its first joiner.
//
// With reconfig enabled, a leader whose configuration has version 0 gives
// it the NEWLEADER zxid as version once a quorum acked (ZOOKEEPER-1783),
// so every member then holds zoo.cfg.dynamic.<epoch>00000000, as Java's
// do.
package quorum
