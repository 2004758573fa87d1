package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/zkit-go/zkit/internal/cli"
	"github.com/zkit-go/zkit/internal/tlsconf"
	"github.com/zkit-go/zkit/server"
)

func plainDial(addr string, timeout time.Duration) (net.Conn, error) {
	return net.DialTimeout("tcp", addr, timeout)
}

// secureStatusTarget is zkServer.sh's last resort: with no client port,
// the secureClientPort (and secureClientPortAddress, default localhost),
// reached over TLS.
func secureStatusTarget(cfg server.Config, stdout io.Writer) (string, int, bool) {
	fmt.Fprintln(stdout, "Client port not found. Looking for secureClientPort in the static config.")
	p, ok := cfg.Property("secureClientPort")
	if !ok {
		return "", 0, false
	}
	port, err := strconv.Atoi(p)
	if err != nil || port <= 0 {
		return "", 0, false
	}
	host, _ := cfg.Property("secureClientPortAddress")
	if host == "" {
		host = "localhost"
	}
	return host, port, true
}

// secureDial is FourLetterWordMain's secure socket: TLS configured by the
// zookeeper.ssl.* system properties of CLIENT_JVMFLAGS.
func secureDial(jvmFlags string) func(addr string, timeout time.Duration) (net.Conn, error) {
	return func(addr string, timeout time.Duration) (net.Conn, error) {
		props, err := cli.JVMSystemProperties(jvmFlags)
		if err != nil {
			return nil, err
		}
		s, err := tlsconf.FromProperties(func(k string) (string, bool) { v, ok := props[k]; return v, ok }, tlsconf.ClientPrefix)
		if err != nil {
			return nil, err
		}
		cfg, err := s.ClientConfig()
		if err != nil {
			return nil, err
		}
		nc, err := net.DialTimeout("tcp", addr, timeout)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		return tlsconf.Handshake(ctx, nc, cfg, addr)
	}
}

// secureStatusNote is zkServer.sh's hint when the secure port does not
// answer.
func secureStatusNote(port int) string {
	return fmt.Sprintf(` 
Note: We used secureClientPort (%d) to establish connection, but we failed. The 'status'
  command establishes a client connection to the server to execute diagnostic commands. Please make sure you
  provided all the Client SSL connection related parameters in the CLIENT_JVMFLAGS environment variable! E.g.:
  CLIENT_JVMFLAGS="-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty
  -Dzookeeper.ssl.trustStore.location=/tmp/clienttrust.jks -Dzookeeper.ssl.trustStore.password=password
  -Dzookeeper.ssl.keyStore.location=/tmp/client.jks -Dzookeeper.ssl.keyStore.password=password
  -Dzookeeper.client.secure=true" ./zkServer.sh status
 
`, port)
}
