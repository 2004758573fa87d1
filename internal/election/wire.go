package election

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Handshake protocol versions sent as the first long on the election port.
const (
	ProtocolV1 int64 = -65536 // single "host:port"
	ProtocolV2 int64 = -65535 // "host:port|host:port…" (multiAddress.enabled)
)

// Wire limits, as QuorumCnxManager enforces them.
const (
	MaxHandshakeAddr = 2048       // InitialMessage.parse: 0 < addrLen ≤ 2048
	MaxFrame         = 512 * 1024 // PACKETMAXSIZE: message length 1..512 KiB
)

// NotificationVersion is the notification format we send (version 2, with config).
const NotificationVersion = 2

// Errors returned by the codecs.
var (
	ErrBadVersion = errors.New("election: unrecognised handshake protocol version")
	ErrBadAddrLen = errors.New("election: handshake address length out of range")
	ErrFrameSize  = errors.New("election: message length out of range")
	ErrShort      = errors.New("election: notification shorter than 28 bytes")
	ErrMalformed  = errors.New("election: malformed notification")
)

// Handshake is the initiator's opening message on an election connection.
// A legacy peer (Version ≥ 0) sends only its sid, in the Version slot.
type Handshake struct {
	Version int64    // ProtocolV1, ProtocolV2, or the sid of a legacy peer
	SID     int64    // sender's server id
	Addrs   []string // "host:port" election addresses (V1: exactly one)
}

// AppendHandshake appends h in wire form to b.
func AppendHandshake(b []byte, h Handshake) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(h.Version))
	if h.Version >= 0 {
		return b
	}
	b = binary.BigEndian.AppendUint64(b, uint64(h.SID))
	addr := strings.Join(h.Addrs, "|")
	b = binary.BigEndian.AppendUint32(b, uint32(len(addr)))
	return append(b, addr...)
}

// ReadHandshake reads a handshake from r as the acceptor does. A first long
// ≥ 0 is a legacy sid with no address.
func ReadHandshake(r io.Reader) (Handshake, error) {
	var buf [8]byte
	if _, err := io.ReadFull(r, buf[:]); err != nil {
		return Handshake{}, err
	}
	v := int64(binary.BigEndian.Uint64(buf[:]))
	if v >= 0 {
		return Handshake{Version: v, SID: v}, nil
	}
	if v != ProtocolV1 && v != ProtocolV2 {
		return Handshake{}, fmt.Errorf("%w: %d", ErrBadVersion, v)
	}
	if _, err := io.ReadFull(r, buf[:]); err != nil {
		return Handshake{}, err
	}
	sid := int64(binary.BigEndian.Uint64(buf[:]))
	if _, err := io.ReadFull(r, buf[:4]); err != nil {
		return Handshake{}, err
	}
	n := int32(binary.BigEndian.Uint32(buf[:4]))
	if n <= 0 || n > MaxHandshakeAddr {
		return Handshake{}, fmt.Errorf("%w: %d", ErrBadAddrLen, n)
	}
	addr := make([]byte, n)
	if _, err := io.ReadFull(r, addr); err != nil {
		return Handshake{}, err
	}
	return Handshake{Version: v, SID: sid, Addrs: strings.Split(string(addr), "|")}, nil
}

// DecodeHandshake decodes a complete handshake held in b (for fuzzing and tests).
func DecodeHandshake(b []byte) (Handshake, error) {
	return ReadHandshake(&sliceReader{b: b})
}

type sliceReader struct{ b []byte }

func (s *sliceReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}

// KeepsConnection reports whether a connection initiated by initiator to
// acceptor survives: only the larger sid's outgoing connection is kept.
func KeepsConnection(initiator, acceptor int64) bool { return initiator > acceptor }

// AppendFrame appends one election message (int length + payload) to b.
func AppendFrame(b, payload []byte) ([]byte, error) {
	if len(payload) < 1 || len(payload) > MaxFrame {
		return b, fmt.Errorf("%w: %d", ErrFrameSize, len(payload))
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
	return append(b, payload...), nil
}

// ReadFrame reads one election message payload from r.
func ReadFrame(r io.Reader) ([]byte, error) {
	var buf [4]byte
	if _, err := io.ReadFull(r, buf[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(buf[:]))
	if n <= 0 || n > MaxFrame {
		return nil, fmt.Errorf("%w: %d", ErrFrameSize, n)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Notification is one FLE message. Version 0 means a 40-byte sender (no
// version field); a 28-byte sender has PeerEpoch derived from Zxid.
type Notification struct {
	State         State
	Leader        int64
	Zxid          int64
	ElectionEpoch int64
	PeerEpoch     int64
	Version       int32
	Config        []byte // QuorumVerifier text; only with Version > 1
}

// AppendNotification appends n in the version-2 layout (44 + len(config) bytes).
func AppendNotification(b []byte, n Notification) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(n.State))
	b = binary.BigEndian.AppendUint64(b, uint64(n.Leader))
	b = binary.BigEndian.AppendUint64(b, uint64(n.Zxid))
	b = binary.BigEndian.AppendUint64(b, uint64(n.ElectionEpoch))
	b = binary.BigEndian.AppendUint64(b, uint64(n.PeerEpoch))
	b = binary.BigEndian.AppendUint32(b, NotificationVersion)
	b = binary.BigEndian.AppendUint32(b, uint32(len(n.Config)))
	return append(b, n.Config...)
}

// DecodeNotification decodes a notification payload, accepting the 28-byte,
// 40-byte, version-1 and version-2 forms as FastLeaderElection's receiver does.
// An unknown state value is an error (Java drops such a message).
func DecodeNotification(p []byte) (Notification, error) {
	if len(p) < 28 {
		return Notification{}, fmt.Errorf("%w: %d", ErrShort, len(p))
	}
	be := binary.BigEndian
	n := Notification{
		State:         State(int32(be.Uint32(p[0:]))),
		Leader:        int64(be.Uint64(p[4:])),
		Zxid:          int64(be.Uint64(p[12:])),
		ElectionEpoch: int64(be.Uint64(p[20:])),
	}
	if n.State < Looking || n.State > Observing {
		return Notification{}, fmt.Errorf("%w: state %d", ErrMalformed, n.State)
	}
	switch {
	case len(p) == 28:
		n.PeerEpoch = EpochOf(n.Zxid)
		return n, nil
	case len(p) < 36:
		return Notification{}, fmt.Errorf("%w: length %d", ErrMalformed, len(p))
	}
	n.PeerEpoch = int64(be.Uint64(p[28:]))
	if len(p) == 40 {
		return n, nil // no version (Java reads a 40-byte message as version 0)
	}
	if len(p) < 40 {
		return Notification{}, fmt.Errorf("%w: length %d", ErrMalformed, len(p))
	}
	n.Version = int32(be.Uint32(p[36:]))
	if n.Version > 1 {
		if len(p) < 44 {
			return Notification{}, fmt.Errorf("%w: no config length", ErrMalformed)
		}
		cl := int32(be.Uint32(p[40:]))
		if cl < 0 || int(cl) > len(p)-44 {
			return Notification{}, fmt.Errorf("%w: config length %d", ErrMalformed, cl)
		}
		n.Config = append([]byte(nil), p[44:44+cl]...)
	}
	return n, nil
}

// EpochOf returns the epoch half of a zxid.
func EpochOf(zxid int64) int64 { return int64(uint64(zxid) >> 32) }
