package cli

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/zkit-go/zkit/internal/tlsconf"
)

// Client configuration, as Java's ZKClientConfig gathers it: the -D system
// properties of CLIENT_JVMFLAGS first, then the properties file given with
// -client-configuration, whose keys win. The result is a plain property
// map so every client feature (TLS here; SASL) reads its keys from it.

// Client property names zkit acts on.
const (
	PropClientSecure     = "zookeeper.client.secure"
	PropClientCnxnSocket = "zookeeper.clientCnxnSocket"
)

// ClientProperties merges the -Dkey=value options of jvmFlags (the
// CLIENT_JVMFLAGS environment variable zkCli.sh passes to Java) with the
// properties file at path (empty: none), the file winning.
func ClientProperties(jvmFlags, path string) (map[string]string, error) {
	props := JVMSystemProperties(jvmFlags)
	if path == "" {
		return props, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cli: client configuration: %w", err)
	}
	defer f.Close()
	fileProps, err := readProperties(f)
	if err != nil {
		return nil, fmt.Errorf("cli: client configuration %s: %w", path, err)
	}
	for k, v := range fileProps {
		props[k] = v
	}
	return props, nil
}

// JVMSystemProperties returns the -Dkey=value (or -Dkey, meaning "") options
// among JVM flags split at white space; single or double quotes group a
// value with spaces, as a shell would have.
func JVMSystemProperties(flags string) map[string]string {
	props := map[string]string{}
	for _, tok := range shellWords(flags) {
		kv, ok := strings.CutPrefix(tok, "-D")
		if !ok || kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		props[k] = v
	}
	return props
}

func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// readProperties reads a java.util.Properties file: '#' and '!' comments,
// key and value separated by '=', ':' or white space, a trailing backslash
// continuing the line, and \t \n \r \f \uXXXX escapes.
func readProperties(f *os.File) (map[string]string, error) {
	props := map[string]string{}
	sc := bufio.NewScanner(f)
	var logical string
	for sc.Scan() {
		line := strings.TrimLeft(sc.Text(), " \t\f")
		if logical == "" && (line == "" || line[0] == '#' || line[0] == '!') {
			continue
		}
		if trailingBackslashes(line)%2 == 1 {
			logical += line[:len(line)-1]
			continue
		}
		logical += line
		k, v := splitProperty(logical)
		props[unescapeProperty(k)] = unescapeProperty(v)
		logical = ""
	}
	if logical != "" {
		k, v := splitProperty(logical)
		props[unescapeProperty(k)] = unescapeProperty(v)
	}
	return props, sc.Err()
}

func trailingBackslashes(s string) int {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n
}

func splitProperty(line string) (string, string) {
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '=', ':':
			return line[:i], strings.TrimLeft(line[i+1:], " \t\f")
		case ' ', '\t', '\f':
			rest := strings.TrimLeft(line[i:], " \t\f")
			if rest != "" && (rest[0] == '=' || rest[0] == ':') {
				rest = strings.TrimLeft(rest[1:], " \t\f")
			}
			return line[:i], rest
		}
	}
	return line, ""
}

func unescapeProperty(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
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
			var r rune
			if i+4 < len(s) {
				if _, err := fmt.Sscanf(s[i+1:i+5], "%04x", &r); err == nil {
					b.WriteRune(r)
					i += 4
					continue
				}
			}
			b.WriteByte('u')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// ErrClientTLS reports client TLS settings that cannot be used.
var ErrClientTLS = errors.New("cli: client TLS")

// ClientTLS returns the TLS configuration zookeeper.client.secure=true asks
// for, built from the zookeeper.ssl.* properties, or nil when the client
// is not secure. Java's NIO client socket would ignore
// zookeeper.client.secure and connect in plaintext; zkit always uses TLS
// when it is set, whatever zookeeper.clientCnxnSocket names.
func ClientTLS(props map[string]string) (*tls.Config, error) {
	if !strings.EqualFold(strings.TrimSpace(props[PropClientSecure]), "true") {
		return nil, nil
	}
	s, err := tlsconf.FromProperties(func(k string) (string, bool) { v, ok := props[k]; return v, ok }, tlsconf.ClientPrefix)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrClientTLS, err)
	}
	c, err := s.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrClientTLS, err)
	}
	return c, nil
}
