package election

import (
	"context"
	"errors"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkit-go/zkit/recipes"
)

// Observe follows the leader of the election at path without taking part
// (etcd's Election.Observe), for a Latch's or a Selector's election, zkit's
// or Curator's. The channel yields the current leader as a Participant,
// first at once and then every time it changes, in order; a Participant
// with an empty Node means nobody takes part now. A consumer slower than
// the changes may miss intermediate leaders, never the latest: the
// channel always ends up holding the current state. The channel is closed
// when ctx ends or the client is closed.
//
// While the client is Suspended the last leader sent stays the last;
// after Reconnected the election is read again and any change is sent.
// One goroutine, ended with ctx, does the work.
func Observe(ctx context.Context, c *recipes.Client, path string) <-chan Participant {
	out := make(chan Participant)
	go observe(ctx, c, path, out)
	return out
}

func observe(ctx context.Context, c *recipes.Client, path string, out chan<- Participant) {
	defer close(out)
	var (
		sent, pending Participant
		havePending   bool
		first         = true
		backoff       = 50 * time.Millisecond
	)
	for {
		// The end of the session (Lost, or Close) means: read again; a
		// session already over is not waited on, or the loop would spin.
		sessDone := c.Session().Done()
		if isDone(sessDone) {
			sessDone = nil
		}
		cur, ch, err := currentLeader(ctx, c, path)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, recipes.ErrClosed) {
				return
			}
			c.Logger().Debug("election: observe", "path", path, "err", err)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		pending, havePending, first = cur, first || cur != sent, false
		for waiting := true; waiting; {
			var send chan<- Participant
			if havePending {
				send = out
			}
			select {
			case send <- pending:
				sent, havePending = pending, false
			case <-ch:
				waiting = false
			case <-sessDone:
				waiting = false
			case <-ctx.Done():
				return
			}
		}
	}
}

// currentLeader reads the first contender under dir and returns a channel
// that fires when that may have changed (the children of dir, or dir's
// creation, or the leader's data).
func currentLeader(ctx context.Context, c *recipes.Client, dir string) (Participant, <-chan zk.Event, error) {
	for {
		kids, _, ch, err := c.ChildrenW(ctx, dir)
		if errors.Is(err, zk.ErrNoNode) {
			ok, _, ech, err := c.ExistsW(ctx, dir)
			if err != nil {
				return Participant{}, nil, err
			}
			if ok {
				continue // made meanwhile
			}
			return Participant{}, ech, nil
		}
		if err != nil {
			return Participant{}, nil, err
		}
		sorted := sortContenders(kids)
		if len(sorted) == 0 {
			return Participant{}, ch, nil
		}
		p := recipes.JoinPath(dir, sorted[0])
		data, _, err := c.Get(ctx, p)
		if errors.Is(err, zk.ErrNoNode) {
			continue // left meanwhile
		}
		if err != nil {
			return Participant{}, nil, err
		}
		return Participant{ID: string(data), Node: p, Leader: true}, ch, nil
	}
}
