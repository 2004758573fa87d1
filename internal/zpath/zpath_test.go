package zpath

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/proto"
)

// validateCases holds PathUtilsTest's facts plus the UTF-8 cases that only
// arise on the wire.
var validateCases = []struct {
	path string
	ok   bool
}{
	{"/", true},
	{"/this is / a valid/path", true},
	{"", false},
	{"not/valid", false},
	{"/ends/with/slash/", false},
	{"/test\x00", false},
	{"/double//slash", false},
	{"//", false},
	{"/single/./period", false},
	{"/double/../period", false},
	{"/.", false},
	{"/..", false},
	{"/a/.", false},
	{"/a/..", false},
	{"/./a", false},
	{"/...", true},
	{"/.a", true},
	{"/a.", true},
	{"/..a", true},
	{"/a..", true},
	{"/name/with.period.", true},
	{"/test\u0001", false},
	{"/test\u001f", false},
	{"/test\u0020", true},
	{"/test\u007e", true},
	{"/test\u007f", false},
	{"/test\u0080", false},
	{"/test\u009f", false},
	{"/test\u00a0", true},
	{"/test\ud7ff", true},
	{"/test\ue000", false},
	{"/test\uf8ff", false},
	{"/test\uf900", true},
	{"/test\uffef", true},
	{"/test\ufff0", false},
	{"/test\ufffd", false},
	{"/test\uffff", false},
	{"/日本語/ノード", true},
	// Non-BMP characters are surrogate pairs in Java: rejected.
	{"/emoji\U0001F600", false},
	{"/\U00010000", false},
	// Invalid UTF-8 becomes U+FFFD in Java: rejected.
	{"/bad\xff", false},
	{"/bad\xc0\x80", false},     // overlong NUL (modified UTF-8)
	{"/bad\xed\xa0\x80", false}, // encoded surrogate
	{"/bad\xe2\x82", false},     // truncated
	{"\xff/", false},
}

func TestValidate(t *testing.T) {
	for _, tc := range validateCases {
		t.Run(fmt.Sprintf("%q", tc.path), func(t *testing.T) {
			assert.Equal(t, tc.ok, referenceValid(tc.path), "reference")
			err := Validate(tc.path)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			assert.ErrorIs(t, err, proto.ErrBadArguments)
		})
	}
}

func TestValidateSequential(t *testing.T) {
	require.NoError(t, ValidateSequential("/a/", true))
	require.Error(t, ValidateSequential("/a/", false))
	require.NoError(t, ValidateSequential("/a/b-", true))
	require.Error(t, ValidateSequential("/a//", true))
}

func TestParentForCreate(t *testing.T) {
	cases := []struct {
		path, parent string
		ok           bool
	}{
		{"/a", "", true},
		{"/a/b", "/a", true},
		{"/", "", true},
		{"a/b", "a", true},
		{"/a/", "/a", true},
		{"noslash", "", false},
		{"", "", false},
		{"/a\x00b", "", false},
	}
	for _, tc := range cases {
		parent, err := ParentForCreate(tc.path)
		if !tc.ok {
			require.ErrorIs(t, err, proto.ErrBadArguments, tc.path)
			continue
		}
		require.NoError(t, err, tc.path)
		assert.Equal(t, tc.parent, parent, tc.path)
	}
}

func TestParentBaseJoin(t *testing.T) {
	cases := []struct{ path, parent, base string }{
		{"/", "", ""},
		{"/a", "/", "a"},
		{"/a/b", "/a", "b"},
		{"/a/b/c", "/a/b", "c"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.parent, Parent(tc.path), tc.path)
		assert.Equal(t, tc.base, Base(tc.path), tc.path)
		if tc.path != "/" {
			assert.Equal(t, tc.path, Join(tc.parent, tc.base), tc.path)
		}
	}
}

func TestSequenceSuffix(t *testing.T) {
	// Values as Java's String.format(Locale.ENGLISH, "%010d", n) prints them.
	cases := []struct {
		n    int32
		want string
	}{
		{0, "0000000000"},
		{1, "0000000001"},
		{42, "0000000042"},
		{2147483647, "2147483647"},
		{-1, "-000000001"},
		{-5, "-000000005"},
		{-123456789, "-123456789"},
		{-1234567890, "-1234567890"},
		{-2147483648, "-2147483648"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, SequenceSuffix(tc.n), "n=%d", tc.n)
	}
}

// javaChars turns bytes into the UTF-16 units Java's new String(b, UTF_8)
// yields, as far as validity goes: each invalid byte becomes U+FFFD (Java
// may merge a malformed sequence into fewer U+FFFDs, which does not change
// whether the path is valid).
func javaChars(s string) []uint16 {
	var out []uint16
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		out = utf16.AppendRune(out, r)
		s = s[size:]
	}
	return out
}

// referenceValid is a literal reading of PathUtils.validatePath on UTF-16
// units, independent of Validate's byte-level implementation.
func referenceValid(path string) bool {
	chars := javaChars(path)
	if len(chars) == 0 || chars[0] != '/' {
		return false
	}
	if len(chars) == 1 {
		return true
	}
	if chars[len(chars)-1] == '/' {
		return false
	}
	// Split into components and apply each rule.
	var comps [][]uint16
	start := 1
	for i := 1; i <= len(chars); i++ {
		if i == len(chars) || chars[i] == '/' {
			comps = append(comps, chars[start:i])
			start = i + 1
		}
	}
	for _, comp := range comps {
		if len(comp) == 0 {
			return false
		}
		if string(utf16.Decode(comp)) == "." || string(utf16.Decode(comp)) == ".." {
			return false
		}
		for _, c := range comp {
			switch {
			case c == 0,
				c >= 0x01 && c <= 0x1f,
				c >= 0x7f && c <= 0x9f,
				c >= 0xd800 && c <= 0xf8ff,
				c >= 0xfff0:
				return false
			}
		}
	}
	return true
}

func FuzzValidate(f *testing.F) {
	for _, tc := range validateCases {
		f.Add(tc.path)
	}
	f.Fuzz(func(t *testing.T, path string) {
		err := Validate(path)
		want := referenceValid(path)
		if want != (err == nil) {
			t.Fatalf("Validate(%q) = %v, reference valid = %v", path, err, want)
		}
		if err != nil && !errors.Is(err, proto.ErrBadArguments) {
			t.Fatalf("Validate(%q) error %v does not wrap BADARGUMENTS", path, err)
		}
		if err == nil {
			// Every valid path takes apart and back together.
			if path != "/" {
				if got := Join(Parent(path), Base(path)); got != path {
					t.Fatalf("Join(Parent, Base) of %q = %q", path, got)
				}
			}
			if !strings.HasPrefix(path, "/") {
				t.Fatalf("valid path %q without leading /", path)
			}
		}
	})
}

func BenchmarkValidate(b *testing.B) {
	path := "/zkit/bench/some-node-0000000042"
	b.ReportAllocs()
	for b.Loop() {
		if err := Validate(path); err != nil {
			b.Fatal(err)
		}
	}
}
