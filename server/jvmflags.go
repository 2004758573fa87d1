package server

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ErrJVMFlags reports a SERVER_JVMFLAGS value that does not parse.
var ErrJVMFlags = errors.New("server: SERVER_JVMFLAGS")

// ParseJVMFlags reads the -Dkey=value system properties out of a JVM
// command line such as SERVER_JVMFLAGS (which zkServer.sh passes to the
// JVM and conf/java.env sets). Words are split as a POSIX shell splits
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

// ApplySystemProperties merges Java system properties (-D options, as
// ParseJVMFlags returns them) into c with Java's precedence:
//
//   - zookeeper.K for a setting Java reads as a system property
//     (zookeeper.snapCount, zookeeper.ssl.keyStore.location,
//     zookeeper.authProvider.1, ...) applies unless the zoo.cfg has K:
//     QuorumPeerConfig turns an unknown zoo.cfg key K into the system
//     property zookeeper.K, overriding the -D.
//   - A property Java reads only under its own name (jute.maxbuffer,
//     readonlymode.enabled, znode.container.*,
//     java.security.auth.login.config) applies and wins over a zoo.cfg
//     key of that name, which Java would not read at all; zkit reads the
//     zoo.cfg key when there is no -D.
//   - zookeeper.K for a QuorumPeerConfig field (zookeeper.clientPort) is
//     kept, and reported by Check, but sets nothing, as in Java.
//   - Unknown zookeeper.* properties are kept for Check to report (and,
//     in a security namespace, to refuse); other JVM properties (log4j,
//     JMX, java.*) are not ZooKeeper's and are dropped.
//
// Applied properties land in Properties (read them with Property) and in
// the Config fields they name. A bad value is a *ConfigError naming the
// property. c's Properties map is copied, never modified in place.
func (c *Config) ApplySystemProperties(props map[string]string) error {
	merged := maps.Clone(c.Properties)
	if merged == nil {
		merged = make(map[string]string)
	}
	fromCfg := func(k string) bool { _, ok := c.Properties[k]; return ok }
	for _, p := range slices.Sorted(maps.Keys(props)) {
		v := props[p]
		ki, canon := lookupKey(p)
		bare, prefixed := strings.CutPrefix(p, "zookeeper.")
		switch {
		case ki == nil && !prefixed:
			continue // a JVM property ZooKeeper does not read
		case ki == nil:
			// Unknown zookeeper.*: kept for Check.
		case ki.kind == keyConfig:
			// zookeeper.<field> is read by nobody; -D<field> likewise.
			if !prefixed {
				continue
			}
		case ki.kind == keyRaw && prefixed:
			// What a zoo.cfg key of that name would become: the
			// weakest source.
			if fromCfg(bare) || hasKey(props, bare) {
				continue
			}
		case ki.kind == keyRaw:
			// Java reads only this name: it wins over the zoo.cfg key.
		case !prefixed:
			// ssl.clientAuth and the like are read by Java only as
			// zookeeper.ssl.clientAuth: a bare -D does nothing there.
			continue
		case fromCfg(bare):
			continue // the zoo.cfg key overrides the -D
		}
		merged[p] = v
		if ki == nil || ki.kind == keyConfig || strings.HasPrefix(canon, "server.") {
			continue
		}
		var st parseState
		if err := c.setField(canon, strings.TrimSpace(v), &st); err != nil {
			return &ConfigError{Key: p, Value: v, Err: err}
		}
		if ki.kind == keyRaw && !prefixed {
			// The zoo.cfg copy, if any, no longer counts.
			merged[canon] = v
		}
	}
	c.Properties = merged
	return nil
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

// JVMFlagsFromEnv returns the JVM options zkServer.sh gives a server:
// $SERVER_JVMFLAGS then $JVMFLAGS (so a -D in JVMFLAGS wins), read with
// getenv (os.Getenv).
func JVMFlagsFromEnv(getenv func(string) string) string {
	return strings.TrimSpace(getenv("SERVER_JVMFLAGS") + " " + getenv("JVMFLAGS"))
}

// ApplyJVMFlags reads the -D system properties of a JVM command line,
// normally the SERVER_JVMFLAGS environment variable, into c
// (ParseJVMFlags, then ApplySystemProperties). An empty string changes
// nothing.
func (c *Config) ApplyJVMFlags(flags string) error {
	props, err := ParseJVMFlags(flags)
	if err != nil {
		return err
	}
	if err := c.ApplySystemProperties(props); err != nil {
		return fmt.Errorf("%w: %w", ErrJVMFlags, err)
	}
	return nil
}
