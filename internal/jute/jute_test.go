package jute_test

import (
	"bytes"
	"encoding/hex"
	"math"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/jute"
)

func h(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestEncodePrimitives(t *testing.T) {
	tests := []struct {
		name string
		enc  func(e *jute.Encoder)
		want string
	}{
		{"bool true", func(e *jute.Encoder) { e.Bool(true) }, "01"},
		{"bool false", func(e *jute.Encoder) { e.Bool(false) }, "00"},
		{"byte", func(e *jute.Encoder) { e.Byte(0xab) }, "ab"},
		{"int", func(e *jute.Encoder) { e.Int(-2) }, "fffffffe"},
		{"int max", func(e *jute.Encoder) { e.Int(math.MaxInt32) }, "7fffffff"},
		{"long", func(e *jute.Encoder) { e.Long(0x0102030405060708) }, "0102030405060708"},
		{"long min", func(e *jute.Encoder) { e.Long(math.MinInt64) }, "8000000000000000"},
		{"string", func(e *jute.Encoder) { e.String("ab") }, "000000026162"},
		{"empty string", func(e *jute.Encoder) { e.String("") }, "00000000"},
		{"null string", func(e *jute.Encoder) { e.NullString() }, "ffffffff"},
		{"buffer", func(e *jute.Encoder) { e.Buffer([]byte{1}) }, "0000000101"},
		{"empty buffer", func(e *jute.Encoder) { e.Buffer([]byte{}) }, "00000000"},
		{"nil buffer is null", func(e *jute.Encoder) { e.Buffer(nil) }, "ffffffff"},
		{"strings", func(e *jute.Encoder) { e.Strings([]string{"a", ""}) }, "00000002000000016100000000"},
		{"nil strings are empty", func(e *jute.Encoder) { e.Strings(nil) }, "00000000"},
		{"raw", func(e *jute.Encoder) { e.Raw([]byte{9, 8}) }, "0908"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e jute.Encoder
			tt.enc(&e)
			assert.Equal(t, tt.want, hex.EncodeToString(e.Bytes()))
			assert.Equal(t, len(tt.want)/2, e.Len())
			e.Reset()
			assert.Zero(t, e.Len())
		})
	}
}

func TestDecodePrimitives(t *testing.T) {
	d := jute.NewDecoder(h("01" + "00" + "07" + "ab" + "fffffffe" + "0102030405060708" +
		"000000026162" + "ffffffff" + "00000000" + "0000000101" + "ffffffff" + "00000000" +
		"00000002000000016100000000" + "ffffffff" + "00000000" + "beef"))
	assert.True(t, d.Bool())
	assert.False(t, d.Bool())
	assert.True(t, d.Bool(), "any non-zero byte is true")
	assert.Equal(t, byte(0xab), d.Byte())
	assert.Equal(t, int32(-2), d.Int())
	assert.Equal(t, int64(0x0102030405060708), d.Long())
	assert.Equal(t, "ab", d.String())
	assert.Equal(t, "", d.String(), "null string reads as empty")
	assert.Equal(t, "", d.String())
	assert.Equal(t, []byte{1}, d.Buffer())
	assert.Nil(t, d.Buffer(), "null buffer reads as nil")
	b := d.Buffer()
	assert.NotNil(t, b, "empty buffer is not null")
	assert.Empty(t, b)
	assert.Equal(t, []string{"a", ""}, d.Strings())
	assert.Nil(t, d.Strings(), "null vector reads as nil")
	assert.Equal(t, []string{}, d.Strings())
	assert.Equal(t, 2, d.Remaining())
	assert.Equal(t, h("beef"), d.Rest())
	assert.Zero(t, d.Remaining())
	require.NoError(t, d.Err())
}

func TestBufferIsACopy(t *testing.T) {
	in := h("0000000201020304")
	d := jute.NewDecoder(in)
	b := d.Buffer()
	in[4] = 0xff
	assert.Equal(t, []byte{1, 2}, b)
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		dec  func(d *jute.Decoder)
	}{
		{"short int", "000000", 0, func(d *jute.Decoder) { d.Int() }},
		{"short long", "00000000000000", 0, func(d *jute.Decoder) { d.Long() }},
		{"empty bool", "", 0, func(d *jute.Decoder) { d.Bool() }},
		{"empty byte", "", 0, func(d *jute.Decoder) { d.Byte() }},
		{"string length -2", "fffffffe", 0, func(d *jute.Decoder) { _ = d.String() }},
		{"string past end", "0000000561", 0, func(d *jute.Decoder) { _ = d.String() }},
		{"buffer past end", "7fffffff00", 0, func(d *jute.Decoder) { d.Buffer() }},
		{"buffer over max", "0000000300010203", 2, func(d *jute.Decoder) { d.Buffer() }},
		{"string over max", "00000003616263", 2, func(d *jute.Decoder) { _ = d.String() }},
		{"vector count -5", "fffffffb", 0, func(d *jute.Decoder) { d.Strings() }},
		{"vector count too large", "7fffffff00000000", 0, func(d *jute.Decoder) { d.Strings() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := jute.NewDecoder(h(tt.in))
			if tt.max > 0 {
				d.SetMaxLength(tt.max)
			}
			tt.dec(d)
			require.ErrorIs(t, d.Err(), jute.ErrMalformed)
			// Errors are sticky: later reads return zero values.
			assert.Zero(t, d.Int())
			assert.Nil(t, d.Rest())
		})
	}
}

func TestFailKeepsFirstError(t *testing.T) {
	d := jute.NewDecoder(nil)
	first := jute.ErrMalformed
	d.Fail(first)
	d.Fail(assert.AnError)
	assert.Equal(t, first, d.Err())
}

func TestMarshalUnmarshal(t *testing.T) {
	in := &pair{A: 7, B: "x"}
	b := jute.Marshal(in)
	assert.Equal(t, "000000070000000178", hex.EncodeToString(b))
	var out pair
	require.NoError(t, jute.Unmarshal(append(b, 0xff), &out), "trailing bytes are allowed")
	assert.Equal(t, *in, out)
	require.ErrorIs(t, jute.Unmarshal(b[:5], &out), jute.ErrMalformed)

	e := jute.NewEncoder(make([]byte, 0, 32))
	e.Record(in)
	d := jute.NewDecoder(e.Bytes())
	var again pair
	d.Record(&again)
	assert.Equal(t, *in, again)
	assert.Equal(t, len(b), d.Offset())
}

type pair struct {
	A int32
	B string
}

func (p *pair) Encode(e *jute.Encoder) { e.Int(p.A); e.String(p.B) }
func (p *pair) Decode(d *jute.Decoder) { p.A = d.Int(); p.B = d.String() }

// TestHostileLengthsDoNotAllocate feeds lengths and counts far larger than
// the input and checks the decoder fails without allocating for them.
func TestHostileLengthsDoNotAllocate(t *testing.T) {
	inputs := [][]byte{
		h("7fffffff"),         // string/buffer length
		h("7fffffff00000000"), // vector count
		h("0fffffff61"),
	}
	for _, in := range inputs {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := 0; i < 100; i++ {
			d := jute.NewDecoder(in)
			_ = d.Buffer()
			d = jute.NewDecoder(in)
			_ = d.String()
			d = jute.NewDecoder(in)
			_ = d.Strings()
			require.Error(t, d.Err())
		}
		runtime.ReadMemStats(&after)
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "input %x", in)
	}
}

func FuzzDecoder(f *testing.F) {
	f.Add([]byte{}, []byte{0, 1, 2, 3, 4, 5, 6, 7})
	f.Add(h("000000026162ffffffff"), []byte{5, 5, 6})
	f.Add(h("00000002000000016100000000"), []byte{7})
	f.Fuzz(func(t *testing.T, in, program []byte) {
		d := jute.NewDecoder(in)
		d.SetMaxLength(jute.DefaultMaxBuffer)
		var e jute.Encoder
		for _, op := range program {
			switch op % 8 {
			case 0:
				e.Bool(d.Bool())
			case 1:
				e.Byte(d.Byte())
			case 2:
				e.Int(d.Int())
			case 3:
				e.Long(d.Long())
			case 4:
				e.Buffer(d.Buffer())
			case 5:
				e.String(d.String())
			case 6:
				e.Strings(d.Strings())
			case 7:
				e.Raw(d.Rest())
			}
		}
		if d.Err() != nil {
			return
		}
		// What decoded cleanly re-decodes to the same values.
		assert.LessOrEqual(t, d.Offset(), len(in))
		d2 := jute.NewDecoder(e.Bytes())
		var e2 jute.Encoder
		for _, op := range program {
			switch op % 8 {
			case 0:
				e2.Bool(d2.Bool())
			case 1:
				e2.Byte(d2.Byte())
			case 2:
				e2.Int(d2.Int())
			case 3:
				e2.Long(d2.Long())
			case 4:
				e2.Buffer(d2.Buffer())
			case 5:
				e2.String(d2.String())
			case 6:
				e2.Strings(d2.Strings())
			case 7:
				e2.Raw(d2.Rest())
			}
		}
		require.NoError(t, d2.Err())
		require.True(t, bytes.Equal(e.Bytes(), e2.Bytes()))
	})
}

func BenchmarkEncodeString(b *testing.B) {
	e := jute.NewEncoder(make([]byte, 0, 64))
	b.ReportAllocs()
	for b.Loop() {
		e.Reset()
		e.String("/some/node/path")
		e.Int(3)
	}
}

func BenchmarkDecodeString(b *testing.B) {
	in := h("0000000f2f736f6d652f6e6f64652f7061746800000003")
	b.ReportAllocs()
	for b.Loop() {
		d := jute.NewDecoder(in)
		_ = d.String()
		_ = d.Int()
	}
}
