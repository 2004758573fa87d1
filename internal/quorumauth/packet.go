package quorumauth

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Names shared with Java's QuorumAuth.
const (
	// Magic starts every QuorumAuthPacket (QUORUM_AUTH_MAGIC_NUMBER, written
	// -0xa0dbcafecafe1234L in Java: the literal is already negative as a
	// long, so the negation makes the magic positive).
	Magic int64 = 0x5f2435013501edcc
	// Protocol is the SASL protocol (service) name.
	Protocol = "zookeeper-quorum"
	// ServerName is the SASL server name for DIGEST-MD5.
	ServerName = "zk-quorum-sasl-md5"
	// MaxRounds is how many IN_PROGRESS challenges a server sends before
	// giving up (SaslQuorumAuthServer.MAX_RETRIES).
	MaxRounds = 5
	// MaxToken bounds a received token: jute.maxbuffer's default.
	MaxToken = 0xfffff
)

// Status is a QuorumAuthPacket's status.
type Status int32

// Statuses (QuorumAuth.Status).
const (
	InProgress Status = 0
	Success    Status = 1
	Error      Status = -1
)

func (s Status) String() string {
	switch s {
	case InProgress:
		return "IN_PROGRESS"
	case Success:
		return "SUCCESS"
	case Error:
		return "ERROR"
	}
	return fmt.Sprintf("status(%d)", int32(s))
}

// Errors.
var (
	// ErrTokenSize reports a token length out of range.
	ErrTokenSize = errors.New("quorumauth: unreasonable token length")
	// ErrBadMagic reports a reply that is not a QuorumAuthPacket.
	ErrBadMagic = errors.New("quorumauth: not a quorum auth packet")
	// ErrNotAuthenticating reports a learner that sent no auth packet to
	// a server that requires one.
	ErrNotAuthenticating = errors.New("quorumauth: learner not trying to authenticate and authentication is required")
	// ErrRejected reports a server's ERROR status.
	ErrRejected = errors.New("quorumauth: authentication failed (server answered ERROR)")
	// ErrProtocol reports an exchange that does not follow the protocol.
	ErrProtocol = errors.New("quorumauth: protocol error")
	// ErrRounds reports a server out of rounds (MaxRounds).
	ErrRounds = errors.New("quorumauth: too many SASL rounds")
)

// Packet is a QuorumAuthPacket. A nil Token is jute's null buffer.
type Packet struct {
	Magic  int64
	Status Status
	Token  []byte
}

// NewPacket returns a packet with the magic.
func NewPacket(s Status, token []byte) Packet { return Packet{Magic: Magic, Status: s, Token: token} }

// AppendPacket appends p's encoding to b.
func AppendPacket(b []byte, p Packet) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(p.Magic))
	b = binary.BigEndian.AppendUint32(b, uint32(p.Status))
	if p.Token == nil {
		return binary.BigEndian.AppendUint32(b, 0xffffffff)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(p.Token)))
	return append(b, p.Token...)
}

// ReadPacket reads one packet, refusing tokens longer than MaxToken before
// allocating them.
func ReadPacket(r io.Reader) (Packet, error) {
	var h [16]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return Packet{}, fmt.Errorf("quorumauth: read packet: %w", err)
	}
	p := Packet{
		Magic:  int64(binary.BigEndian.Uint64(h[0:8])),
		Status: Status(int32(binary.BigEndian.Uint32(h[8:12]))),
	}
	n := int32(binary.BigEndian.Uint32(h[12:16]))
	switch {
	case n == -1:
		return p, nil
	case n < 0 || n > MaxToken:
		return Packet{}, fmt.Errorf("%w: %d", ErrTokenSize, n)
	}
	p.Token = make([]byte, n)
	if _, err := io.ReadFull(r, p.Token); err != nil {
		return Packet{}, fmt.Errorf("quorumauth: read token: %w", err)
	}
	return p, nil
}

// StartsWithMagic reports whether b (at least 8 bytes, the connection's
// first) begins with the magic (QuorumAuth.nextPacketIsAuth).
func StartsWithMagic(b []byte) bool {
	return len(b) >= 8 && int64(binary.BigEndian.Uint64(b)) == Magic
}
