package javaprops

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf16"
)

// ErrMalformedUnicode reports a \u escape not followed by four hex digits
// (Properties.load's "Malformed \uxxxx encoding").
var ErrMalformedUnicode = errors.New(`javaprops: malformed \uxxxx encoding`)

// Parse reads a Java .properties file, the syntax of zoo.cfg:
// "key=value", "key: value" or "key value"; '#' and '!' start comments; a
// line ending in an odd number of backslashes continues on the next line.
// Keys keep their first-seen order in the returned slice.
func Parse(r io.Reader) (keys []string, props map[string]string, err error) {
	props = make(map[string]string)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	var logical strings.Builder
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimLeft(sc.Text(), " \t\f")
		if logical.Len() == 0 && (line == "" || line[0] == '#' || line[0] == '!') {
			continue
		}
		if continues(line) {
			logical.WriteString(line[:len(line)-1])
			continue
		}
		logical.WriteString(line)
		k, v, err := entry(logical.String())
		logical.Reset()
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		if _, seen := props[k]; !seen {
			keys = append(keys, k)
		}
		props[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("line %d: %w", lineNo, err)
	}
	if logical.Len() > 0 {
		k, v, err := entry(logical.String())
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		if _, seen := props[k]; !seen {
			keys = append(keys, k)
		}
		props[k] = v
	}
	return keys, props, nil
}

// Load reads a .properties file into a map (a repeated key keeps its last
// value), for callers that do not need the keys' order.
func Load(r io.Reader) (map[string]string, error) {
	_, props, err := Parse(r)
	return props, err
}

// entry splits one logical line into its unescaped key and value.
func entry(line string) (key, value string, err error) {
	k, v := splitProperty(line)
	if key, err = unescapeProperty(k); err != nil {
		return "", "", err
	}
	if value, err = unescapeProperty(v); err != nil {
		return "", "", err
	}
	return key, value, nil
}

func continues(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitProperty splits at the first unescaped '=', ':' or whitespace.
func splitProperty(s string) (string, string) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '=', ':':
			return s[:i], strings.TrimLeft(s[i+1:], " \t\f")
		case ' ', '\t', '\f':
			rest := strings.TrimLeft(s[i:], " \t\f")
			if rest != "" && (rest[0] == '=' || rest[0] == ':') {
				rest = strings.TrimLeft(rest[1:], " \t\f")
			}
			return s[:i], rest
		}
	}
	return s, ""
}

func unescapeProperty(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			r, ok := hex4(s[i+1:])
			if !ok {
				return "", fmt.Errorf("%w: %q", ErrMalformedUnicode, s[i-1:min(len(s), i+5)])
			}
			i += 4
			// Java's chars are UTF-16: two escapes may make one pair.
			if utf16.IsSurrogate(r) && strings.HasPrefix(s[i+1:], `\u`) {
				if lo, ok := hex4(s[i+3:]); ok {
					if pair := utf16.DecodeRune(r, lo); pair != unicode.ReplacementChar {
						r = pair
						i += 6
					}
				}
			}
			b.WriteRune(r)
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

// hex4 reads the four hex digits a \u escape must have.
func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[:4]) {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
