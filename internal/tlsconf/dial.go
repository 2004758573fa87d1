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
//
// As ZKTrustManager, when addr names a host rather than an IP address, a
// ClientConfig's hostname verification accepts a certificate for either
// the IP address connected to or the name.
func Handshake(ctx context.Context, nc net.Conn, cfg *tls.Config, addr string) (*tls.Conn, error) {
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		verify := cfg.VerifyConnection
		cfg = ForHost(cfg, host)
		if ip := remoteIP(nc); verify != nil && ip != "" && net.ParseIP(host) == nil {
			byName := cfg.VerifyConnection
			cfg.VerifyConnection = func(cs tls.ConnectionState) error {
				cs.ServerName = ip
				if verify(cs) == nil {
					return nil
				}
				return byName(cs)
			}
		}
	}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	return tc, nil
}

// remoteIP is the IP address nc is connected to, or "".
func remoteIP(nc net.Conn) string {
	if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok && a.IP != nil {
		if v4 := a.IP.To4(); v4 != nil {
			return v4.String()
		}
		return a.IP.String()
	}
	return ""
}
