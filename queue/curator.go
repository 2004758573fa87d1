package queue

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrBadItem is returned for node data that is not in Curator's item
// format (see EncodeItems).
var ErrBadItem = errors.New("queue: item is not in Curator's format")

// Curator's ItemSerializer constants.
const (
	curatorVersion    = 0x00010001
	curatorItemOpcode = 0x01
	curatorEOFOpcode  = 0x02
)

// EncodeItems frames items as Curator's DistributedQueue stores them in one
// node (its ItemSerializer; put writes one item, putMulti several):
//
//	version  4 bytes  0x00010001, big-endian
//	item     1 byte   0x01, then the item's length (4 bytes, big-endian),
//	                  then its bytes; repeated for each item
//	EOF      1 byte   0x02
func EncodeItems(items [][]byte) []byte {
	n := 5
	for _, it := range items {
		n += 5 + len(it)
	}
	b := make([]byte, 0, n)
	b = binary.BigEndian.AppendUint32(b, curatorVersion)
	for _, it := range items {
		b = append(b, curatorItemOpcode)
		b = binary.BigEndian.AppendUint32(b, uint32(len(it)))
		b = append(b, it...)
	}
	return append(b, curatorEOFOpcode)
}

// DecodeItems reads node data written by EncodeItems or by Curator. Bytes
// after the EOF opcode are ignored, as Curator ignores them.
func DecodeItems(data []byte) ([][]byte, error) {
	if len(data) < 4 {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadItem, len(data))
	}
	if v := binary.BigEndian.Uint32(data); v != curatorVersion {
		return nil, fmt.Errorf("%w: version 0x%08x", ErrBadItem, v)
	}
	rest := data[4:]
	var items [][]byte
	for {
		if len(rest) == 0 {
			return nil, fmt.Errorf("%w: no EOF opcode", ErrBadItem)
		}
		op := rest[0]
		rest = rest[1:]
		if op == curatorEOFOpcode {
			return items, nil
		}
		if op != curatorItemOpcode {
			return nil, fmt.Errorf("%w: opcode 0x%02x", ErrBadItem, op)
		}
		if len(rest) < 4 {
			return nil, fmt.Errorf("%w: truncated length", ErrBadItem)
		}
		n := binary.BigEndian.Uint32(rest)
		rest = rest[4:]
		if n > uint32(len(rest)) || int32(n) < 0 {
			return nil, fmt.Errorf("%w: item of %d bytes, %d left", ErrBadItem, n, len(rest))
		}
		items = append(items, rest[:n:n])
		rest = rest[n:]
	}
}
