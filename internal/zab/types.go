package zab

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/zkit-go/zkit/internal/proto"
)

// Quorum packet types (Leader.java).
const (
	Request           int32 = 1
	Proposal          int32 = 2
	Ack               int32 = 3
	Commit            int32 = 4
	Ping              int32 = 5
	Revalidate        int32 = 6
	Sync              int32 = 7
	Inform            int32 = 8
	CommitAndActivate int32 = 9
	NewLeaderPacket   int32 = 10
	FollowerInfo      int32 = 11
	UpToDate          int32 = 12
	Diff              int32 = 13
	Trunc             int32 = 14
	Snap              int32 = 15
	ObserverInfo      int32 = 16
	LeaderInfo        int32 = 17
	AckEpoch          int32 = 18
	InformAndActivate int32 = 19
)

// ProtocolVersion is the learner protocol version of Zab 1.0 (0x10000).
const ProtocolVersion int32 = 0x10000

// SnapSignature ends a SNAP transfer stream.
const SnapSignature = "BenWasHere"

// PacketName returns the Java name of a packet type.
func PacketName(t int32) string {
	names := [...]string{"", "REQUEST", "PROPOSAL", "ACK", "COMMIT", "PING", "REVALIDATE", "SYNC", "INFORM",
		"COMMITANDACTIVATE", "NEWLEADER", "FOLLOWERINFO", "UPTODATE", "DIFF", "TRUNC", "SNAP", "OBSERVERINFO",
		"LEADERINFO", "ACKEPOCH", "INFORMANDACTIVATE"}
	if t > 0 && int(t) < len(names) {
		return names[t]
	}
	return fmt.Sprintf("UNKNOWN(%d)", t)
}

// Errors. A role ends with one of these in Ready.Done.
var (
	ErrTimeout        = errors.New("zab: timed out")
	ErrQuorumLost     = errors.New("zab: not sufficient followers synced")
	ErrEpochBehind    = errors.New("zab: leader's epoch is older than our accepted epoch")
	ErrUnexpected     = errors.New("zab: unexpected packet")
	ErrCommitOrder    = errors.New("zab: commit does not match the next pending proposal")
	ErrNotLeading     = errors.New("zab: not established as leader")
	ErrBadZxid        = errors.New("zab: proposal zxid is not the next zxid")
	ErrZxidExhausted  = errors.New("zab: zxid counter exhausted; a new epoch is needed")
	ErrMalformed      = errors.New("zab: malformed packet body")
	ErrFollowerAhead  = errors.New("zab: follower is ahead of the leader")
	ErrStopped        = errors.New("zab: role already ended")
	ErrNoLeaderConfig = errors.New("zab: voters must include the leader")
	// ErrReconfigInProgress: a reconfig is proposed and not committed yet.
	ErrReconfigInProgress = errors.New("zab: a reconfig is in progress")
	// ErrLeftConfig ends a leader role when a committed reconfig leaves
	// the leader out of the voters.
	ErrLeftConfig = errors.New("zab: the leader is not a voter of the new configuration")
)

// Zxid helpers: epoch is the high 32 bits, counter the low 32.
func EpochOf(zxid int64) int64            { return int64(uint64(zxid) >> 32) }
func CounterOf(zxid int64) int64          { return zxid & 0xffffffff }
func MakeZxid(epoch, counter int64) int64 { return epoch<<32 | counter&0xffffffff }

// Entry is one txn: its zxid and the PROPOSAL body (TxnHeader + txn +
// optional digest, proto.EncodeTxnEntry), opaque to the core.
type Entry struct {
	Zxid int64
	Data []byte
}

// Message is a quorum packet to write to one peer's connection.
type Message struct {
	To     int64
	Packet proto.QuorumPacket
	// Snapshot (only with a SNAP packet): after the packet, stream the
	// serialized sessions and data tree as of Packet.Zxid (snapshot file body,
	// no header or seal), then the jute string "BenWasHere".
	Snapshot bool
}

// Touch is a session touch a learner reported in a PING.
type Touch struct {
	SessionID int64
	Timeout   int32
}

// ForwardedRequest is a client request a learner forwarded (REQUEST).
type ForwardedRequest struct {
	From     int64
	Data     []byte // long sessionId, int cxid, int type, request body
	AuthInfo []proto.ID
}

// RevalidateRequest asks the leader's session tracker about a session.
type RevalidateRequest struct {
	From      int64
	SessionID int64
	Timeout   int32
}

// RevalidateResult is the leader's answer as a learner received it.
type RevalidateResult struct {
	SessionID int64
	Valid     bool
}

// Ready is the work the caller must do, in this order (see the package doc):
// send Early, persist (Truncate, Snapshot, Entries + fsync, AcceptedEpoch,
// CurrentEpoch), apply Committed, send Messages, act on the rest, then call
// Advance.
type Ready struct {
	// Truncate the txn log to TruncateTo (keep entries ≤ it) when HasTruncate.
	HasTruncate bool
	TruncateTo  int64
	// SnapshotZxid, when HasSnapshot, says: make the snapshot received after
	// SNAP durable as snapshot.<zxid> (learner only).
	HasSnapshot  bool
	SnapshotZxid int64
	// Entries to append to the txn log and fsync.
	Entries []Entry
	// Epoch files to write atomically, after the log is durable.
	HasAcceptedEpoch bool
	AcceptedEpoch    int64
	HasCurrentEpoch  bool
	CurrentEpoch     int64

	// Committed txns to apply, in zxid order (already durable at a quorum,
	// this member included).
	Committed []Entry
	// CommittedEarly is how many of Committed (a prefix) were durable here
	// before this Ready: the driver applies them right after sending
	// Early, before persisting, so their commit does not wait for the
	// fsync of newer entries. The rest are applied after persisting.
	CommittedEarly int

	// Early are broadcast-phase messages that depend on nothing this
	// Ready persists, to send before persisting anything. Leader:
	// PROPOSALs of this Ready's Entries (the learners' fsyncs run while
	// the leader's does) and the COMMITs and INFORMs of the early
	// Committed entries (durable at a quorum already); each goes to a
	// learner no message of Messages goes to ahead of it, so every
	// connection keeps its order. Learner: forwarded REQUESTs and
	// REVALIDATEs, which the leader handles apart from the ACKs they may
	// overtake.
	Early []Message
	// Messages are sent after persisting and applying.
	Messages []Message
	// Disconnect: learner connections the leader dropped.
	Disconnect []int64

	Requests      []ForwardedRequest  // leader: REQUESTs for the prep stage
	Touches       []Touch             // leader: touches from learner PINGs
	Revalidations []RevalidateRequest // leader: answer with RevalidateReply
	Revalidated   []RevalidateResult  // learner: answers to Revalidate
	Syncs         int                 // learner: SYNC packets (answer pending client syncs, FIFO)

	// Established: the role is serving (leader: a quorum acked NEWLEADER;
	// learner: UPTODATE arrived). EstablishedZxid is the last zxid of the
	// history the new epoch starts from.
	Established     bool
	EstablishedZxid int64
	// Designated is the leader a committed reconfig named for its new
	// configuration (COMMITANDACTIVATE's sid; the leader's own choice),
	// when it is not the current leader: the driver goes to that role
	// without an election, as QuorumPeer does with its reconfigFlag.
	Designated int64
	// LeaderConfig (learner, with Established) is the configuration text
	// NEWLEADER carried: the leader's, to activate when newer than the
	// learner's (it may have missed a reconfig's commit).
	LeaderConfig []byte

	// Done ends the role: the caller closes connections and goes LOOKING.
	Done error
}

func (r *Ready) empty() bool {
	return !r.HasTruncate && !r.HasSnapshot && len(r.Entries) == 0 && !r.HasAcceptedEpoch &&
		!r.HasCurrentEpoch && len(r.Committed) == 0 && len(r.Early) == 0 && len(r.Messages) == 0 && len(r.Disconnect) == 0 &&
		len(r.Requests) == 0 && len(r.Touches) == 0 && len(r.Revalidations) == 0 &&
		len(r.Revalidated) == 0 && r.Syncs == 0 && !r.Established && r.Done == nil && r.Designated == 0
}

func quorum(voters []int64, acks map[int64]bool) bool {
	n := 0
	for _, v := range voters {
		if acks[v] {
			n++
		}
	}
	return n > len(voters)/2
}

func isVoter(voters []int64, sid int64) bool { return slices.Contains(voters, sid) }

func intBytes(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

// EncodeTouches encodes a learner PING body.
// The result is never nil, even without touches: a Java 3.8 leader
// (LearnerHandler) wraps the PING body in a stream without a null check,
// so a null buffer makes it drop the follower.
func EncodeTouches(ts []Touch) []byte {
	b := make([]byte, 0, 12*len(ts))
	for _, t := range ts {
		b = binary.BigEndian.AppendUint64(b, uint64(t.SessionID))
		b = binary.BigEndian.AppendUint32(b, uint32(t.Timeout))
	}
	return b
}

// DecodeTouches decodes a learner PING body.
func DecodeTouches(b []byte) ([]Touch, error) {
	if len(b)%12 != 0 {
		return nil, fmt.Errorf("%w: ping body of %d bytes", ErrMalformed, len(b))
	}
	ts := make([]Touch, 0, len(b)/12)
	for ; len(b) > 0; b = b[12:] {
		ts = append(ts, Touch{SessionID: int64(binary.BigEndian.Uint64(b)), Timeout: int32(binary.BigEndian.Uint32(b[8:]))})
	}
	return ts, nil
}
