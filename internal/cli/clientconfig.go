package cli

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/zkit-go/zkit/internal/javaprops"
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
	props, err := JVMSystemProperties(jvmFlags)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return props, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cli: client configuration: %w", err)
	}
	defer f.Close()
	fileProps, err := javaprops.Load(f)
	if err != nil {
		return nil, fmt.Errorf("cli: client configuration %s: %w", path, err)
	}
	for k, v := range fileProps {
		props[k] = v
	}
	return props, nil
}

// JVMSystemProperties returns the -Dkey=value (or -Dkey, meaning "")
// options among JVM flags, split as a shell splits words
// (javaprops.ParseJVMFlags: quotes group a value with spaces). A flag
// line that does not split (an open quote, a -D without a name) is an
// error rather than a guess.
func JVMSystemProperties(flags string) (map[string]string, error) {
	props, err := javaprops.ParseJVMFlags(flags)
	if err != nil {
		return nil, fmt.Errorf("cli: CLIENT_JVMFLAGS: %w", err)
	}
	return props, nil
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
