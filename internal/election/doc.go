// Package election is ZooKeeper's Fast Leader Election (electionAlg=3): the
// election-port wire formats and a deterministic state machine.
//
// # Wire formats (all big-endian)
//
// Handshake, sent once by the connection initiator; there is no reply:
//
//	+---------------------+-----------+-------------+------------------------+
//	| long version        | long sid  | int addrLen | addrLen bytes "h:p"    |
//	| -65536 (V1)         |           | 1..2048     | V2: "h:p|h:p|…"        |
//	+---------------------+-----------+-------------+------------------------+
//
// A first long ≥ 0 is a legacy peer's sid with nothing after it. Only the
// connection initiated by the larger sid survives (KeepsConnection): the
// acceptor closes a connection from a smaller sid and dials back.
//
// Every message after the handshake is framed as int length (1..512 KiB)
// followed by the payload (AppendFrame, ReadFrame). The payload is a
// notification:
//
//	int state | long leader | long zxid | long electionEpoch | long peerEpoch |
//	int version (2) | int configLength | configLength bytes of config text
//
// DecodeNotification also accepts the 28-byte form (no peerEpoch: it is the
// zxid's epoch), the 40-byte form (no version) and version 1 (no config).
//
// # State machine
//
// Election is FastLeaderElection.lookForLeader plus its WorkerReceiver
// replies, with no goroutines, clocks or I/O: time is Tick, input is Step.
// The caller's loop:
//
//  1. Start(lastLoggedZxid, currentEpoch) when the peer turns LOOKING.
//  2. Step(from, n) for each decoded notification, Tick() every tick.
//  3. If HasReady: rd := Ready(); send every rd.Messages[i] to its To (a
//     message addressed to this peer's own id must be looped back into Step,
//     as QuorumCnxManager does); if rd.Decision != nil the peer takes the role
//     it names (run Zab as leader, follower or observer); then Advance().
//  4. When the role ends, call Start again. Between rounds Step keeps
//     answering LOOKING peers with the decided vote.
//
// Nothing here is persisted: the logical clock lives in memory, as in Java.
// Votes are ranked by (peerEpoch, zxid, sid); a quorum is a strict majority
// of Config.Voters; observers never vote and are never proposed.
package election
