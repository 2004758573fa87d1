package tlsconf

import (
	"context"
	"crypto/tls"
	"net"
)

// Handshake runs the client side of TLS on nc, dialled to addr
// (host:port), before ctx ends. A cfg without ServerName gets the host
// through ForHost, so a ClientConfig verifies the host dialled and a plain
// tls.Config verifies it the usual Go way. On error nc is closed.
func Handshake(ctx context.Context, nc net.Conn, cfg *tls.Config, addr string) (*tls.Conn, error) {
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		cfg = ForHost(cfg, host)
	}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	return tc, nil
}
