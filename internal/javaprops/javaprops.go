package javaprops

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

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
		k, v := splitProperty(logical.String())
		logical.Reset()
		k = unescapeProperty(k)
		v = unescapeProperty(v)
		if _, seen := props[k]; !seen {
			keys = append(keys, k)
		}
		props[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("line %d: %w", lineNo, err)
	}
	if logical.Len() > 0 {
		k, v := splitProperty(logical.String())
		k = unescapeProperty(k)
		if _, seen := props[k]; !seen {
			keys = append(keys, k)
		}
		props[k] = unescapeProperty(v)
	}
	return keys, props, nil
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

func unescapeProperty(s string) string {
	if !strings.Contains(s, `\`) {
		return s
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
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
