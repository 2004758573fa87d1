package snapshot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// This file implements the snappy raw block format and the framing of
// xerial snappy-java's SnappyOutputStream, which ZooKeeper uses for
// snapshot.<zxid>.snappy files:
//
//	magic        8 bytes  0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00
//	version      int32    1
//	compatible   int32    1
//	then blocks: int32 compressed length | snappy raw block
//
// Each block holds up to 32 KiB of input. A raw block is a uvarint of the
// decoded length followed by elements, each starting with a tag byte whose
// low two bits give the kind: 00 literal, 01 copy with an 11-bit offset,
// 10 copy with a 16-bit offset, 11 copy with a 32-bit offset.

var snappyMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

const (
	snappyHeaderLen = 16
	snappyBlockSize = 32 << 10
	// maxSnappyBlock bounds one compressed or decoded block on read.
	maxSnappyBlock = 64 << 20
)

var errSnappy = errors.New("snapshot: corrupt snappy stream")

// snappyEncode appends the raw snappy encoding of src to dst.
func snappyEncode(dst, src []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(src)))
	if len(src) < 16 {
		return emitLiteral(dst, src)
	}
	const tableBits = 14
	var table [1 << tableBits]int32 // position+1 of the last 4-byte sequence with this hash
	hash := func(u uint32) uint32 { return (u * 0x1e35a7bd) >> (32 - tableBits) }
	lit := 0 // start of pending literal
	s := 0
	for s+4 <= len(src) {
		u := binary.LittleEndian.Uint32(src[s:])
		h := hash(u)
		cand := int(table[h]) - 1
		table[h] = int32(s + 1)
		if cand < 0 || s-cand > 0xffff || binary.LittleEndian.Uint32(src[cand:]) != u {
			s++
			continue
		}
		// extend the match
		n := 4
		for s+n < len(src) && src[cand+n] == src[s+n] {
			n++
		}
		dst = emitLiteral(dst, src[lit:s])
		dst = emitCopy(dst, s-cand, n)
		s += n
		lit = s
	}
	return emitLiteral(dst, src[lit:])
}

func emitLiteral(dst, lit []byte) []byte {
	if len(lit) == 0 {
		return dst
	}
	n := len(lit) - 1
	switch {
	case n < 60:
		dst = append(dst, byte(n<<2))
	case n < 1<<8:
		dst = append(dst, 60<<2, byte(n))
	case n < 1<<16:
		dst = append(dst, 61<<2, byte(n), byte(n>>8))
	case n < 1<<24:
		dst = append(dst, 62<<2, byte(n), byte(n>>8), byte(n>>16))
	default:
		dst = append(dst, 63<<2, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	}
	return append(dst, lit...)
}

// emitCopy writes a copy of n bytes from offset back (offset ≤ 0xffff).
func emitCopy(dst []byte, offset, n int) []byte {
	for n >= 68 {
		dst = append(dst, 63<<2|2, byte(offset), byte(offset>>8))
		n -= 64
	}
	if n > 64 {
		dst = append(dst, 59<<2|2, byte(offset), byte(offset>>8))
		n -= 60
	}
	if n >= 12 || offset >= 2048 {
		return append(dst, byte(n-1)<<2|2, byte(offset), byte(offset>>8))
	}
	return append(dst, byte(offset>>8)<<5|byte(n-4)<<2|1, byte(offset))
}

// snappyDecode decodes a raw snappy block into dst (reused if big enough).
func snappyDecode(dst, src []byte) ([]byte, error) {
	dlen, k := binary.Uvarint(src)
	if k <= 0 || dlen > maxSnappyBlock {
		return nil, errSnappy
	}
	if uint64(cap(dst)) < dlen {
		dst = make([]byte, 0, dlen)
	}
	dst = dst[:0]
	s := k
	for s < len(src) {
		tag := src[s]
		var length, offset int
		switch tag & 3 {
		case 0:
			x := int(tag >> 2)
			s++
			if x >= 60 {
				nb := x - 59
				if s+nb > len(src) {
					return nil, errSnappy
				}
				x = 0
				for i := 0; i < nb; i++ {
					x |= int(src[s+i]) << (8 * i)
				}
				s += nb
			}
			length = x + 1
			if length <= 0 || s+length > len(src) || uint64(len(dst)+length) > dlen {
				return nil, errSnappy
			}
			dst = append(dst, src[s:s+length]...)
			s += length
			continue
		case 1:
			if s+2 > len(src) {
				return nil, errSnappy
			}
			length = 4 + int(tag>>2&7)
			offset = int(tag>>5)<<8 | int(src[s+1])
			s += 2
		case 2:
			if s+3 > len(src) {
				return nil, errSnappy
			}
			length = 1 + int(tag>>2)
			offset = int(binary.LittleEndian.Uint16(src[s+1:]))
			s += 3
		case 3:
			if s+5 > len(src) {
				return nil, errSnappy
			}
			length = 1 + int(tag>>2)
			offset = int(binary.LittleEndian.Uint32(src[s+1:]))
			s += 5
		}
		if offset <= 0 || offset > len(dst) || uint64(len(dst)+length) > dlen {
			return nil, errSnappy
		}
		p := len(dst) - offset
		if offset >= length {
			dst = append(dst, dst[p:p+length]...)
			continue
		}
		// byte by byte: the copy overlaps what it produces
		for i := 0; i < length; i++ {
			dst = append(dst, dst[p+i])
		}
	}
	if uint64(len(dst)) != dlen {
		return nil, errSnappy
	}
	return dst, nil
}

// snappyWriter is SnappyOutputStream: it buffers 32 KiB blocks.
type snappyWriter struct {
	w       io.Writer
	buf     []byte
	out     []byte
	started bool
}

func newSnappyWriter(w io.Writer) *snappyWriter {
	return &snappyWriter{w: w, buf: make([]byte, 0, snappyBlockSize)}
}

func (z *snappyWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(snappyBlockSize-len(z.buf), len(p))
		z.buf = append(z.buf, p[:k]...)
		p, n = p[k:], n+k
		if len(z.buf) == snappyBlockSize {
			if err := z.flushBlock(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (z *snappyWriter) header() error {
	if z.started {
		return nil
	}
	z.started = true
	h := append(append([]byte(nil), snappyMagic...), 0, 0, 0, 1, 0, 0, 0, 1)
	_, err := z.w.Write(h)
	return err
}

func (z *snappyWriter) flushBlock() error {
	if err := z.header(); err != nil {
		return err
	}
	if len(z.buf) == 0 {
		return nil
	}
	z.out = append(z.out[:0], 0, 0, 0, 0)
	z.out = snappyEncode(z.out, z.buf)
	binary.BigEndian.PutUint32(z.out, uint32(len(z.out)-4))
	z.buf = z.buf[:0]
	_, err := z.w.Write(z.out)
	return err
}

// Close writes the last block (and the header, even for empty input).
func (z *snappyWriter) Close() error { return z.flushBlock() }

// snappyReader is SnappyInputStream.
type snappyReader struct {
	r    io.Reader
	in   []byte
	out  []byte
	pos  int
	init bool
}

func newSnappyReader(r io.Reader) *snappyReader { return &snappyReader{r: r} }

func (z *snappyReader) Read(p []byte) (int, error) {
	if !z.init {
		var h [snappyHeaderLen]byte
		if _, err := io.ReadFull(z.r, h[:]); err != nil {
			return 0, fmt.Errorf("%w: header: %w", errSnappy, err)
		}
		if string(h[:8]) != string(snappyMagic) {
			return 0, fmt.Errorf("%w: bad magic", errSnappy)
		}
		z.init = true
	}
	for z.pos == len(z.out) {
		var lb [4]byte
		if _, err := io.ReadFull(z.r, lb[:]); err != nil {
			if err == io.EOF {
				return 0, io.EOF
			}
			return 0, io.ErrUnexpectedEOF
		}
		n := binary.BigEndian.Uint32(lb[:])
		if n > maxSnappyBlock {
			return 0, errSnappy
		}
		if cap(z.in) < int(n) {
			z.in = make([]byte, n)
		}
		z.in = z.in[:n]
		if _, err := io.ReadFull(z.r, z.in); err != nil {
			return 0, io.ErrUnexpectedEOF
		}
		out, err := snappyDecode(z.out, z.in)
		if err != nil {
			return 0, err
		}
		z.out, z.pos = out, 0
	}
	n := copy(p, z.out[z.pos:])
	z.pos += n
	return n, nil
}
