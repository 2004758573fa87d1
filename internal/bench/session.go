package bench

import (
	"context"

	"github.com/zkit-go/zkit/internal/client"
)

// sessionWorkload measures setting up a session: each loop dials a new
// connection (TCP, the TLS handshake with -client-configuration, and the
// ZooKeeper ConnectRequest), records the time until the session is
// established, then closes the session. It is the per-session cost of TLS
// that the steady-state workloads do not show.
type sessionWorkload struct{}

func (sessionWorkload) setup(context.Context, *run, *client.Conn, []*client.Conn) error { return nil }

func (sessionWorkload) loops(r *run, conns []*client.Conn) []func(context.Context, *Histogram) error {
	var out []func(context.Context, *Histogram) error
	for _, c := range conns {
		addr := c.RemoteAddr()
		for p := 0; p < r.cfg.Pipeline; p++ {
			out = append(out, r.loop(func(ctx context.Context) (func(context.Context) error, error) {
				s, err := client.Dial(ctx, addr, r.cfg.DialOptions...)
				if err != nil {
					return nil, err
				}
				// Closing is untimed and its outcome not this benchmark's.
				return func(context.Context) error { s.Close(); return nil }, nil
			}))
		}
	}
	return out
}
