package zpath

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zkit-go/zkit/internal/proto"
)

// ErrInvalid is wrapped by every error Validate and ParentForCreate return;
// those errors also wrap proto.ErrBadArguments.
var ErrInvalid = errors.New("zpath: invalid path")

// invalid builds the error for path with a reason, wrapping both sentinels.
func invalid(path, reason string) error {
	return fmt.Errorf("%w %q: %s: %w", ErrInvalid, path, reason, proto.ErrBadArguments)
}

// Validate reports whether path is a valid znode path, with the rules of
// Java's PathUtils.validatePath applied to the string Java would decode from
// path's bytes (see the package doc).
func Validate(path string) error {
	if len(path) == 0 {
		return invalid(path, "path length must be > 0")
	}
	if path[0] != '/' {
		return invalid(path, "path must start with / character")
	}
	if len(path) == 1 {
		return nil
	}
	if path[len(path)-1] == '/' {
		return invalid(path, "path must not end with / character")
	}
	// compStart is the index just after the '/' that opened the current
	// component; a component ends at the next '/' or at the end.
	compStart := 1
	for i := 1; i < len(path); {
		c := path[i]
		if c < utf8.RuneSelf {
			switch {
			case c == 0:
				return invalid(path, "null character not allowed @"+strconv.Itoa(i))
			case c == '/':
				if i == compStart {
					return invalid(path, "empty node name specified @"+strconv.Itoa(i))
				}
				if err := checkDots(path, compStart, i); err != nil {
					return err
				}
				compStart = i + 1
			case c < 0x20 || c == 0x7f:
				return invalid(path, "invalid character @"+strconv.Itoa(i))
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(path[i:])
		if forbidden(r, size) {
			return invalid(path, "invalid character @"+strconv.Itoa(i))
		}
		i += size
	}
	return checkDots(path, compStart, len(path))
}

// forbidden reports whether the non-ASCII rune r (decoded with width size)
// is rejected once Java has turned it into UTF-16.
func forbidden(r rune, size int) bool {
	switch {
	case r == utf8.RuneError && size == 1:
		// Invalid UTF-8: Java decodes it to U+FFFD, which is forbidden.
		return true
	case r >= 0x10000:
		// A surrogate pair in Java; the high surrogate is forbidden.
		return true
	case r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0xd800 && r <= 0xf8ff:
		// Surrogates cannot be decoded from valid UTF-8, so in practice
		// this is the private use area U+E000–U+F8FF.
		return true
	case r >= 0xfff0:
		return true
	}
	return false
}

// checkDots rejects the component path[start:end] when it is "." or "..".
func checkDots(path string, start, end int) error {
	switch path[start:end] {
	case ".", "..":
		return invalid(path, "relative paths not allowed @"+strconv.Itoa(end-1))
	}
	return nil
}

// ValidateSequential is Java's validatePath(path, isSequential): a path
// that will get a sequence suffix is checked as if the suffix were "1", so
// "/a/" is acceptable as a sequential prefix.
func ValidateSequential(path string, sequential bool) error {
	if sequential {
		return Validate(path + "1")
	}
	return Validate(path)
}

// ParentForCreate is the first, cheap check a create gets in Java
// (PrepRequestProcessor.validatePathForCreate): the path must contain a '/'
// and no NUL byte. It returns everything before the last '/', which is ""
// for a child of the root (Java's data tree keys the root as ""; callers
// map "" to "/"). The full Validate runs later, on the final path.
func ParentForCreate(path string) (string, error) {
	last := strings.LastIndexByte(path, '/')
	if last < 0 {
		return "", invalid(path, "path must contain /")
	}
	if strings.IndexByte(path, 0) >= 0 {
		return "", invalid(path, "null character not allowed")
	}
	return path[:last], nil
}

// Parent returns the parent of a valid path: "/" for "/a", "/a" for "/a/b",
// and "" for the root, which has none.
func Parent(path string) string {
	last := strings.LastIndexByte(path, '/')
	switch {
	case last < 0 || path == "/":
		return ""
	case last == 0:
		return "/"
	}
	return path[:last]
}

// Base returns the last component of a path: "b" for "/a/b", "" for "/".
func Base(path string) string {
	return path[strings.LastIndexByte(path, '/')+1:]
}

// Join returns the path of child name under parent: Join("/", "a") is "/a",
// Join("/a", "b") is "/a/b".
func Join(parent, name string) string {
	if parent == "/" || parent == "" {
		return "/" + name
	}
	return parent + "/" + name
}

// SequenceSuffix formats a sequential node's suffix as Java's
// String.format(Locale.ENGLISH, "%010d", n): zero-padded to ten characters,
// with the minus sign counted in the width ("-000000005"). The parent's
// cversion can wrap negative after 2^31 creates, and Java then produces such
// names, so this is signed on purpose.
func SequenceSuffix(n int32) string {
	if n >= 0 {
		// Fast path without fmt: ten digits always suffice for an int32.
		var buf [10]byte
		v := uint32(n)
		for i := 9; i >= 0; i-- {
			buf[i] = byte('0' + v%10)
			v /= 10
		}
		return string(buf[:])
	}
	return fmt.Sprintf("%010d", n)
}
