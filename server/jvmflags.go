package server

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/zkit-go/zkit/internal/javaprops"
)

// ErrJVMFlags reports a SERVER_JVMFLAGS value that does not parse.
var ErrJVMFlags = errors.New("server: SERVER_JVMFLAGS")

// ParseJVMFlags reads the -Dkey=value system properties out of a JVM
// command line such as SERVER_JVMFLAGS (which zkServer.sh passes to the
// JVM and conf/java.env sets), as javaprops.ParseJVMFlags splits it; an
// error wraps ErrJVMFlags.
func ParseJVMFlags(s string) (map[string]string, error) {
	props, err := javaprops.ParseJVMFlags(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJVMFlags, err)
	}
	return props, nil
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
