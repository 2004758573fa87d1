package recipes

import (
	"context"
	"crypto/tls"
	"net"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkit-go/zkit/internal/tlsconf"
)

// WithTLS makes the client speak TLS to the servers' secure client port
// (secureClientPort, or a clientPort with client.portUnification). The
// server's certificate is verified against the host of each address in
// the server list unless cfg names a ServerName; to present a client
// certificate (x509 authentication), put it in cfg.Certificates or
// cfg.GetClientCertificate. It applies on top of WithDialer, whatever the
// order of the two options.
func WithTLS(cfg *tls.Config) Option {
	return func(o *options) { o.tls = cfg }
}

// tlsDialer wraps a TCP dialer in a TLS handshake bounded by the same
// timeout go-zookeeper gives the dial.
func tlsDialer(dial zk.Dialer, cfg *tls.Config) zk.Dialer {
	return func(network, addr string, timeout time.Duration) (net.Conn, error) {
		start := time.Now()
		nc, err := dial(network, addr, timeout)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), max(timeout-time.Since(start), time.Millisecond))
		defer cancel()
		return tlsconf.Handshake(ctx, nc, cfg, addr)
	}
}
