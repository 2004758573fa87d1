package jute

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrMalformed reports bytes that do not form the expected record.
var ErrMalformed = errors.New("jute: malformed record")

// Record is a jute record: it can append itself to an Encoder and read
// itself from a Decoder.
type Record interface {
	Encode(e *Encoder)
	Decode(d *Decoder)
}

// Encoder appends jute values to a byte slice. The zero value is ready to use.
type Encoder struct {
	buf []byte
}

// NewEncoder returns an encoder that appends to buf (which may be nil).
func NewEncoder(buf []byte) *Encoder { return &Encoder{buf: buf} }

// Bytes returns the encoded bytes.
func (e *Encoder) Bytes() []byte { return e.buf }

// Len returns the number of bytes encoded so far.
func (e *Encoder) Len() int { return len(e.buf) }

// Reset empties the encoder, keeping its buffer.
func (e *Encoder) Reset() { e.buf = e.buf[:0] }

// Bool appends a boolean.
func (e *Encoder) Bool(v bool) {
	if v {
		e.buf = append(e.buf, 1)
	} else {
		e.buf = append(e.buf, 0)
	}
}

// Byte appends one raw byte.
func (e *Encoder) Byte(v byte) { e.buf = append(e.buf, v) }

// Int appends a 32-bit integer.
func (e *Encoder) Int(v int32) { e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(v)) }

// Long appends a 64-bit integer.
func (e *Encoder) Long(v int64) { e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(v)) }

// String appends a ustring. Go strings cannot be null; see NullString.
func (e *Encoder) String(s string) {
	e.Int(int32(len(s)))
	e.buf = append(e.buf, s...)
}

// NullString appends a null ustring (length -1).
func (e *Encoder) NullString() { e.Int(-1) }

// Buffer appends a buffer; a nil slice is written as null (length -1), as
// Java writes a null byte[].
func (e *Encoder) Buffer(b []byte) {
	if b == nil {
		e.Int(-1)
		return
	}
	e.Int(int32(len(b)))
	e.buf = append(e.buf, b...)
}

// Strings appends a vector<ustring>. A nil slice is written as an empty
// vector, as Java never writes a null list in a reply.
func (e *Encoder) Strings(v []string) {
	e.Int(int32(len(v)))
	for _, s := range v {
		e.String(s)
	}
}

// Raw appends bytes with no length prefix.
func (e *Encoder) Raw(b []byte) { e.buf = append(e.buf, b...) }

// Record appends a record.
func (e *Encoder) Record(r Record) { r.Encode(e) }

// Marshal encodes a record into a new slice.
func Marshal(r Record) []byte {
	var e Encoder
	r.Encode(&e)
	return e.buf
}

// Unmarshal decodes a record from b; trailing bytes are allowed, since
// ZooKeeper's readers ignore what follows a record.
func Unmarshal(b []byte, r Record) error {
	d := NewDecoder(b)
	r.Decode(d)
	return d.Err()
}

// DefaultMaxBuffer is ZooKeeper's default jute.maxbuffer (0xfffff).
const DefaultMaxBuffer = 0xfffff

// Decoder reads jute values from a byte slice.
type Decoder struct {
	buf    []byte
	off    int
	maxLen int
	err    error
}

// NewDecoder returns a decoder over b. Strings and buffers may be as long as
// b itself; use SetMaxLength to apply jute.maxbuffer.
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b, maxLen: math.MaxInt32} }

// SetMaxLength sets the largest string, buffer or vector length accepted.
func (d *Decoder) SetMaxLength(n int) { d.maxLen = n }

// Err returns the first error met, or nil.
func (d *Decoder) Err() error { return d.err }

// Remaining returns the number of undecoded bytes.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

// Rest returns the undecoded bytes and consumes them.
func (d *Decoder) Rest() []byte {
	if d.err != nil {
		return nil
	}
	b := d.buf[d.off:]
	d.off = len(d.buf)
	return b
}

// Offset returns how many bytes have been consumed.
func (d *Decoder) Offset() int { return d.off }

// Fail records err as the decoder's error if none is recorded yet.
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *Decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.buf)-d.off {
		d.err = fmt.Errorf("%w: need %d bytes at offset %d, have %d", ErrMalformed, n, d.off, len(d.buf)-d.off)
		return nil
	}
	b := d.buf[d.off : d.off+n]
	d.off += n
	return b
}

// Bool reads a boolean.
func (d *Decoder) Bool() bool {
	b := d.take(1)
	return b != nil && b[0] != 0
}

// Byte reads one raw byte.
func (d *Decoder) Byte() byte {
	b := d.take(1)
	if b == nil {
		return 0
	}
	return b[0]
}

// Int reads a 32-bit integer.
func (d *Decoder) Int() int32 {
	b := d.take(4)
	if b == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(b))
}

// Long reads a 64-bit integer.
func (d *Decoder) Long() int64 {
	b := d.take(8)
	if b == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

// length reads a length prefix; ok is false for null (-1) or on error.
func (d *Decoder) length() (n int, ok bool) {
	l := d.Int()
	if d.err != nil || l == -1 {
		return 0, false
	}
	if l < 0 || int(l) > d.maxLen {
		d.err = fmt.Errorf("%w: length %d out of range", ErrMalformed, l)
		return 0, false
	}
	return int(l), true
}

// String reads a ustring; null reads as "".
func (d *Decoder) String() string {
	n, ok := d.length()
	if !ok {
		return ""
	}
	return string(d.take(n))
}

// Buffer reads a buffer; null reads as nil. The result is a copy, so it
// stays valid after the decoder's input is reused.
func (d *Decoder) Buffer() []byte {
	n, ok := d.length()
	if !ok {
		return nil
	}
	b := d.take(n)
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, n), b...)
}

// Count reads a vector count; null reads as -1. A count that could not fit
// in the remaining bytes (each element takes at least minElem bytes) is an
// error, so a hostile count cannot force a large allocation.
func (d *Decoder) Count(minElem int) int {
	l := d.Int()
	if d.err != nil {
		return -1
	}
	if l == -1 {
		return -1
	}
	if l < 0 || (minElem > 0 && int(l) > d.Remaining()/minElem) {
		d.err = fmt.Errorf("%w: vector count %d out of range", ErrMalformed, l)
		return -1
	}
	return int(l)
}

// Strings reads a vector<ustring>; null reads as nil.
func (d *Decoder) Strings() []string {
	n := d.Count(4)
	if n < 0 {
		return nil
	}
	v := make([]string, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		v = append(v, d.String())
	}
	return v
}

// Record reads a record.
func (d *Decoder) Record(r Record) { r.Decode(d) }
