// Package zab is ZooKeeper's atomic broadcast (Zab 1.0 as ZooKeeper 3.8
// implements it) as two deterministic state machines: Leader (Leader.java
// plus LearnerHandler) and Learner (Learner, Follower, Observer). Neither
// has goroutines, clocks or I/O: packets and ticks go in; messages to send,
// entries and epochs to persist, and commits to apply come out in a Ready,
// the shape of etcd-io/raft's Step/Ready/Advance.
//
// # Phases and packets (QuorumPacket{type, zxid, data, authinfo})
//
//	learner                                   leader
//	FOLLOWERINFO(acceptedEpoch<<32, LearnerInfo) ──►  epoch = max(acceptedEpochs of a quorum)+1
//	                                         ◄──  LEADERINFO(epoch<<32, int 0x10000)
//	ACKEPOCH(lastLoggedZxid, int currentEpoch|-1) ──►  quorum → currentEpoch = epoch
//	                                         ◄──  DIFF | TRUNC | SNAP (+snapshot stream),
//	                                              PROPOSAL+COMMIT…, outstanding PROPOSALs,
//	                                              NEWLEADER(epoch<<32, config text)
//	ACK(epoch<<32)  (after making sync durable) ──►  quorum → established
//	                                         ◄──  UPTODATE(-1)
//	broadcast: PROPOSAL(z) ◄──, ACK(z) ──►, COMMIT(z) ◄── (INFORM(z, txn) to observers),
//	           PING both ways (learner's reply carries session touches: long id, int timeout),
//	           REQUEST ──► (forwarded client requests), REVALIDATE both ways, SYNC ◄──.
//
// PlanSync chooses DIFF / TRUNC / TRUNC+DIFF / SNAP exactly as
// LearnerHandler.syncFollower does from the leader's in-memory committed log
// (CommitLogCount entries) and, optionally, older logged history.
//
// # The caller's loop (the driver)
//
// One goroutine owns a core. It calls Step for each decoded packet, Tick
// once per tickTime, Propose/Sync/RevalidateReply on the leader and
// Forward/Revalidate/Touch on a learner. Then, while HasReady:
//
//  1. rd := Ready(). Leader: send Early (broadcast PROPOSALs of
//     rd.Entries, and the COMMITs and INFORMs of the early committed
//     entries), before persisting. Sending queues: nothing waits for
//     the network (a write error closes the connection, and its reader
//     reports it). Learner: send Early (forwarded REQUESTs and
//     REVALIDATEs: they depend on nothing persisted, and the leader
//     handles them apart from the ACKs they overtake). Then apply
//     Committed[:CommittedEarly] in order: entries
//     this member held durably before this Ready (see "Commits before the
//     fsync of newer proposals").
//  2. Persist, in this order, and stop the server if any step fails:
//     a. HasSnapshot: write the snapshot received after SNAP (held in memory
//     since the SNAP packet; the driver reads the stream and checks
//     "BenWasHere" before it calls Step with the SNAP packet) as
//     snapshot.<SnapshotZxid>, fsync it.
//     b. HasTruncate: truncate the txn log to TruncateTo (keep ≤), then
//     reload the in-memory tree from disk (it may hold truncated txns).
//     c. Entries: append to the txn log and fsync (group commit is fine).
//     d. HasAcceptedEpoch / HasCurrentEpoch: write the epoch files
//     atomically (tmp + rename), after the log is durable.
//  3. Apply the rest of Committed (Committed[CommittedEarly:]) in order
//     to the data tree. On a leader this is before sending so a SNAP
//     message streams a tree that holds every commit so far. A learner
//     may send first (its messages never carry the tree): its ACKs then
//     do not wait for the apply.
//  4. Send Messages in order on each peer's connection (a Snapshot message:
//     the SNAP packet, then the snapshot body, then "BenWasHere"). Close the
//     connections in Disconnect. Hand Requests to prep, Touches to the session
//     tracker, answer Revalidations, complete Syncs pending client syncs.
//  5. Established: start serving; update the election's reported vote
//     (election.UpdatePeerEpoch with the new epoch) on leader and learner.
//  6. Done != nil: the role is over; close its connections and go LOOKING.
//     Otherwise call Advance.
//
// Advance is what tells the leader that its own proposals and its
// currentEpoch are durable; only then do they count as its own ACKs. The
// driver Steps nothing between Ready and Advance, so every ACK it hands
// the leader arrives after the leader's own copy of that Ready is durable.
// The core also checks it: a proposal commits only once its own ACK is
// in (tryCommit), so Committed is always durable at the leader, from an
// earlier Ready than the one that reports it.
//
// # Sending before the leader's fsync
//
// A leader's PROPOSAL leaves before its own append and fsync (Ready.Early),
// so the followers' fsyncs run while the leader's does: one fsync on the
// path of a write instead of two in series. Java's leader does the same,
// handing a proposal to its LearnerHandlers and its SyncRequestProcessor at
// once. It is safe because nothing counts the leader's copy before it is
// durable:
//
//   - A txn commits only with a quorum of durable copies: a follower ACKs
//     after its fsync, the leader's own ACK is added at Advance.
//   - A leader that crashes after sending and before its fsync is, for that
//     proposal, a follower that never acked it. If the followers holding it
//     make a quorum, election (which prefers the highest epoch and zxid)
//     picks one of them and the proposal is in the new leader's history,
//     committed in the new epoch (a txn a quorum logged may be committed,
//     as Zab allows). If they do not, it may be in no quorum's history: a
//     leader without it is elected and sends TRUNC (or SNAP) to those that
//     hold it; the txn was never acknowledged to a client, as no quorum had
//     it. The restarted old leader syncs like any follower.
//   - Only broadcast-phase PROPOSALs, COMMITs and INFORMs move ahead, and
//     only to a learner that has no earlier message in the same Ready, so
//     each connection's order is the core's order. Discovery and sync
//     (LEADERINFO, DIFF, TRUNC, SNAP, the sync proposals, NEWLEADER,
//     UPTODATE), a reconfig's COMMITANDACTIVATE/INFORMANDACTIVATE, SYNC
//     and PING stay in Messages, after persisting and applying; epochs are
//     written before anything that depends on them is sent, as before.
//
// # Commits before the fsync of newer proposals
//
// A Ready can hold both new entries to log and commits of older ones (the
// driver batches). Without care a commit would wait for the fsync of
// proposals newer than it: on a follower a write would wait on four
// fsyncs in series (leader's and follower's for its proposal, then the
// next batch's at the leader before the COMMIT leaves, and at the follower
// before it applies) where Zab needs two in parallel. So:
//
//   - Leader: every entry of Committed was durable here before this Ready
//     (the invariant above) and at a quorum (the ACKs), so its COMMITs
//     and INFORMs go in Early and it is applied (CommittedEarly) before
//     this Ready's persist. A committed reconfig and what follows it in
//     the Ready keep the old order: activating a configuration may drop
//     learners or end the role. Epoch work never shares a Ready with a
//     commit (commits happen only in broadcast), and the core does not
//     apply early in one that has it.
//   - Learner: a COMMIT for an entry logged durably in an earlier Ready is
//     applied before this Ready's persist (CommittedEarly counts them); an
//     entry logged in this same Ready is applied after its fsync, as
//     before (Java's follower applies without waiting for its own fsync;
//     this keeps the conservative rule), and so is everything after it, a
//     reconfig, and every commit of a Ready that truncates, installs a
//     snapshot or writes an epoch.
//
// Nothing here counts an ACK early: a learner ACKs after its fsync, the
// leader counts itself at Advance. A crash after the early COMMITs and
// before the fsync loses only this Ready's new entries, which were never
// acknowledged by this member; the COMMITs it sent are for entries a
// quorum holds durably, which any elected leader has (election prefers
// the highest epoch and zxid, and a quorum of voters intersects every
// electing quorum). The simulator (zabsim) runs this order with crashes
// between the early sends and the fsync, and checks at each leader apply
// that a quorum of voters logged the entry.
//
// Batching: the driver takes every queued packet and request before each
// Ready, so one Ready is one fsync for a batch. A learner's ACKs for the
// batch (one per proposal, as a Java leader expects) and a leader's
// COMMITs for every zxid a batch of ACKs committed go out in one write per
// connection; client replies are batched the same way by the engine's
// per-connection writer.
//
// # What is durable before which ACK
//
//   - A learner ACKs PROPOSAL(z) only after z is fsync'd (same Ready).
//   - The leader may send PROPOSAL(z) before z is fsync'd (Early), but
//     counts itself for z only at Advance, once it is.
//   - A learner ACKs NEWLEADER only after, in one Ready: the truncation or
//     snapshot, every proposal it received during sync, then currentEpoch.
//     This designs out the sync-phase data-loss bugs ZOOKEEPER-3911, 4394,
//     4643, 4646 and 4785, where a learner acknowledged NEWLEADER (or wrote
//     currentEpoch) while synced txns were still only in memory or queued.
//     The leader counts a NEWLEADER ACK only from a learner it has sent the
//     full sync and NEWLEADER to, so every counted ACK stands for a durable
//     copy of the leader's history.
//   - A learner writes acceptedEpoch before sending ACKEPOCH; the leader
//     writes acceptedEpoch before LEADERINFO and currentEpoch before
//     counting itself towards the NEWLEADER quorum.
//
// Zxid epochs are the high 32 bits; a leader whose counter reaches
// 0xffffffff ends its role (ErrZxidExhausted) to force a new epoch.
// Reconfiguration (COMMITANDACTIVATE, INFORMANDACTIVATE) is not handled.
//
// Reconfiguration: Leader.ProposeReconfig proposes a reconfig txn with the
// configuration it activates. Until it commits, it and every later
// proposal commit only with a quorum of the old voters and of the new. At
// its commit followers get COMMITANDACTIVATE (body: the designated leader's
// sid, 8 bytes) and observers INFORMANDACTIVATE (that sid, then the txn);
// the leader counts the new voters from then on, drops learners the new
// configuration leaves out or moves between voter and observer, and ends
// its role with ErrLeftConfig when it is not a voter any more. A learner
// core treats the two packets as COMMIT and INFORM: the driver sees the
// reconfig txn among the committed entries. A FOLLOWERINFO from a server
// outside the voters (a joiner) makes a follower whose ACKs count once a
// configuration lists it.
package zab
