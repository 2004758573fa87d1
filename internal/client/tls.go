package client

import (
	"context"
	"crypto/tls"
	"net"

	"github.com/zkit-go/zkit/internal/tlsconf"
)

// WithTLS makes Dial speak TLS with cfg (for example a
// tlsconf.Settings.ClientConfig): the server's certificate is verified
// against the host of the address dialled unless cfg names a ServerName.
// It replaces the dialer's last step, so it composes with WithDialer given
// before it.
func WithTLS(cfg *tls.Config) Option {
	return func(o *options) {
		dial := o.dial
		o.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return tlsconf.Handshake(ctx, nc, cfg, addr)
		}
	}
}
