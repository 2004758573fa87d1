package acl

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the few java.lang behaviours the providers depend on, so
// that ids and ACL expressions are judged exactly as the Java server judges
// them.

// javaDecode returns the string Java's new String(b, UTF_8) builds from b,
// re-encoded as UTF-8: each maximal ill-formed subsequence becomes one
// U+FFFD (the Unicode "maximal subpart" practice, which the JDK follows
// except that it reads an encoded surrogate ED A0..BF xx as one bad
// sequence), whereas Go's decoder would emit one U+FFFD per bad byte.
func javaDecode(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + 8)
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			sb.WriteByte(b[i])
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || size != 1 {
			sb.Write(b[i : i+size])
			i += size
			continue
		}
		sb.WriteRune(utf8.RuneError)
		i += maximalSubpart(b[i:])
	}
	return sb.String()
}

// maximalSubpart returns how many bytes at the start of b (which does not
// start with a well-formed sequence) make up one ill-formed subsequence: the
// longest prefix that could still begin a well-formed sequence, or 1.
func maximalSubpart(b []byte) int {
	lead := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xbf) // range allowed for the second byte
	switch {
	case lead >= 0xc2 && lead <= 0xdf:
		need = 1
	case lead == 0xe0:
		need, lo = 2, 0xa0
	case lead >= 0xe1 && lead <= 0xef:
		// ED A0..BF (a surrogate) is one bad sequence to the JDK, not
		// three as in the Unicode practice.
		need = 2
	case lead == 0xf0:
		need, lo = 3, 0x90
	case lead >= 0xf1 && lead <= 0xf3:
		need = 3
	case lead == 0xf4:
		need, hi = 3, 0x8f
	default:
		return 1
	}
	n := 1
	for k := 1; k <= need && k < len(b); k++ {
		c := b[k]
		if k == 1 {
			if c < lo || c > hi {
				break
			}
		} else if c < 0x80 || c > 0xbf {
			break
		}
		n++
	}
	return n
}

// javaHash is String.hashCode over s's UTF-16 units (s must be valid
// UTF-8, as every string that went through javaDecode is; invalid bytes
// count as U+FFFD).
func javaHash(s string) int32 {
	var h int32
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			h = 31*h + int32(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + int32(0xd800+(r>>10))
			h = 31*h + int32(0xdc00+(r&0x3ff))
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

// javaSplitCount returns how many strings Java's s.split(sep) returns for a
// one-character separator: trailing empty strings are dropped, and a string
// without sep gives one element (itself, even when empty).
func javaSplitCount(s string, sep byte) int {
	if strings.IndexByte(s, sep) < 0 {
		return 1
	}
	s = strings.TrimRight(s, string(sep))
	if s == "" {
		return 0
	}
	return strings.Count(s, string(sep)) + 1
}

// javaParseInt is Integer.parseInt(s, radix): an optional sign, then one or
// more digits as Character.digit reads them (which includes non-ASCII
// decimal digits and fullwidth Latin letters), within int32.
func javaParseInt(s string, radix int32) (int32, bool) {
	if s == "" {
		return 0, false
	}
	neg := false
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	if s == "" {
		return 0, false
	}
	// Accumulate negatively, as Java does, so that MinInt32 fits.
	var v int64
	for _, r := range s {
		d := javaDigit(r, radix)
		if d < 0 {
			return 0, false
		}
		v = v*int64(radix) - int64(d)
		if v < -(1 << 31) {
			return 0, false
		}
	}
	if !neg {
		v = -v
		if v > 1<<31-1 {
			return 0, false
		}
	}
	return int32(v), true
}

// javaDigit is Character.digit(ch, radix) for a BMP character; runes outside
// the BMP (surrogate pairs in Java) and invalid bytes are never digits.
func javaDigit(r rune, radix int32) int32 {
	var d int32 = -1
	switch {
	case r >= '0' && r <= '9':
		d = r - '0'
	case r >= 'a' && r <= 'z':
		d = r - 'a' + 10
	case r >= 'A' && r <= 'Z':
		d = r - 'A' + 10
	case r >= 0xff21 && r <= 0xff3a: // fullwidth A-Z
		d = r - 0xff21 + 10
	case r >= 0xff41 && r <= 0xff5a: // fullwidth a-z
		d = r - 0xff41 + 10
	case r < 0x10000 && r != utf8.RuneError && unicode.IsDigit(r):
		// Decimal digits come in runs of ten starting at zero.
		start := r
		for unicode.IsDigit(start - 1) {
			start--
		}
		d = (r - start) % 10
	}
	if d >= radix {
		return -1
	}
	return d
}
