package bench

import (
	"context"
	"time"

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
			out = append(out, func(ctx context.Context, h *Histogram) error {
				for {
					ok, measured := r.take()
					if !ok {
						break
					}
					t0 := time.Now()
					s, err := client.Dial(ctx, addr, r.cfg.DialOptions...)
					if err != nil {
						if err := r.opErr(ctx, err); err != nil {
							return err
						}
						continue
					}
					if measured {
						h.Record(time.Since(t0))
					}
					s.Close()
				}
				return nil
			})
		}
	}
	return out
}
