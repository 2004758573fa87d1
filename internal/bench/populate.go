package bench

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
)

// populateWorkload fills a server with Count persistent nodes,
// Root/d<i/1000>/n<i>, for the restart benchmark: the tree stays after the
// run. Every loop takes the next index from one counter.
type populateWorkload struct{ next atomic.Int64 }

// populateDirSize is how many nodes share a directory: the tree is wide
// but no directory lists a million children.
const populateDirSize = 1000

func (p *populateWorkload) setup(ctx context.Context, r *run, admin *client.Conn, _ []*client.Conn) error {
	for d := int64(0); d < (r.cfg.Count+populateDirSize-1)/populateDirSize; d++ {
		if err := createPath(ctx, admin, fmt.Sprintf("%s/d%d", r.cfg.Root, d)); err != nil {
			return err
		}
	}
	return nil
}

func (p *populateWorkload) loops(r *run, conns []*client.Conn) []func(context.Context, *Histogram) error {
	var out []func(context.Context, *Histogram) error
	for _, c := range conns {
		for range r.cfg.Pipeline {
			out = append(out, r.loop(func(ctx context.Context) (func(context.Context) error, error) {
				i := p.next.Add(1) - 1
				_, err := c.Create(ctx, fmt.Sprintf("%s/d%d/n%d", r.cfg.Root, i/populateDirSize, i), r.value, 0, proto.OpenACLUnsafe)
				return nil, err
			}))
		}
	}
	return out
}
