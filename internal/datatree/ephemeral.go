package datatree

import "github.com/zkit-go/zkit/internal/proto"

// EphemeralType classifies a node by its stored ephemeralOwner
// (server EphemeralType).
type EphemeralType uint8

// Node kinds.
const (
	Persistent EphemeralType = iota // ephemeralOwner 0 (Java: VOID)
	Ephemeral                       // owned by a session (Java: NORMAL)
	Container                       // ephemeralOwner Long.MIN_VALUE
	TTL                             // 0xFF00000000000000 | ttl, extended types only
)

func (t EphemeralType) String() string {
	switch t {
	case Persistent:
		return "persistent"
	case Ephemeral:
		return "ephemeral"
	case Container:
		return "container"
	case TTL:
		return "ttl"
	}
	return "unknown"
}

const (
	extendedMask      = -0x0100000000000000 // 0xFF00000000000000
	reservedBitsMask  = 0x00FFFF0000000000
	extendedValueMask = ^(extendedMask | reservedBitsMask)
)

// TTLOwner encodes a TTL in ms as an ephemeralOwner (EphemeralType.TTL
// toEphemeralOwner). The caller validates 0 < ttl <= proto.MaxTTL.
func TTLOwner(ttl int64) int64 { return extendedMask | ttl }

// ephemeralType classifies owner as EphemeralType.get does under the
// tree's settings. With extended types off, a TTL-looking owner is an
// ordinary session id (Java does the same). With them on, an owner whose
// top byte is 0xFF but whose reserved bits are not zero makes Java throw;
// zkit treats it as a session ephemeral instead of failing.
func (c *config) ephemeralType(owner int64) EphemeralType {
	if c.extendedTypes {
		if c.emulate353TTL && owner != proto.ContainerOwner && owner < 0 {
			return TTL
		}
		if owner&extendedMask == extendedMask && owner&reservedBitsMask == 0 {
			return TTL
		}
	}
	switch owner {
	case proto.ContainerOwner:
		return Container
	case 0:
		return Persistent
	}
	return Ephemeral
}

// ttlValue extracts the TTL in ms from a TTL owner (EphemeralType.TTL.getValue).
func ttlValue(owner int64) int64 { return owner & extendedValueMask }
