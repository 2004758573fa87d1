package javaprops

import (
	"errors"
	"fmt"
	"strings"
)

// ErrJVMFlags reports a JVM command line that does not parse.
var ErrJVMFlags = errors.New("javaprops: JVM flags")

// ParseJVMFlags reads the -Dkey=value system properties out of a JVM
// command line: SERVER_JVMFLAGS (which zkServer.sh passes to the JVM and
// conf/java.env sets) or zkCli.sh's CLIENT_JVMFLAGS and JVMFLAGS. Words are split as a POSIX shell splits
// them: blanks separate words; single quotes keep everything literally;
// double quotes keep blanks, with \" \\ \$ and \` escaped; a backslash
// outside quotes escapes the next character. "-Dkey" without '=' sets
// key to "", as Java does; a later -D of the same key wins. Every other
// JVM option (-Xmx, -XX:..., -cp) is ignored. An unterminated quote or a
// -D without a name is an error.
//
// zkServer.sh expands $JVMFLAGS unquoted, so there a quote inside the
// variable stays a literal character of the value; zkit removes quotes as
// a shell does on a command line, so that a value may hold blanks. The
// usual java.env line, SERVER_JVMFLAGS="-Dk=v -Dk2=v2", holds no quotes
// in the variable and reads the same in both.
func ParseJVMFlags(s string) (map[string]string, error) {
	words, err := splitShellWords(s)
	if err != nil {
		return nil, err
	}
	props := make(map[string]string)
	for _, w := range words {
		def, ok := strings.CutPrefix(w, "-D")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(def, "=")
		if k == "" {
			return nil, fmt.Errorf("%w: %q has no property name", ErrJVMFlags, w)
		}
		props[k] = v
	}
	return props, nil
}

func splitShellWords(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool // inside a word
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case c == '\'':
			in = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("%w: unterminated single quote at offset %d", ErrJVMFlags, i)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			in = true
			closed := false
			for i++; i < len(s); i++ {
				if s[i] == '"' {
					closed = true
					break
				}
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0 {
					i++
					if s[i] == '\n' {
						continue // a line continuation
					}
				}
				cur.WriteByte(s[i])
			}
			if !closed {
				return nil, fmt.Errorf("%w: unterminated double quote", ErrJVMFlags)
			}
		case c == '\\':
			if i+1 < len(s) {
				i++
				if s[i] == '\n' {
					continue
				}
				in = true
				cur.WriteByte(s[i])
			}
		default:
			in = true
			cur.WriteByte(c)
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}
