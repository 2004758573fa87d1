package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkit-go/zkit/recipes"
)

// TouchName is the name of the child a TTL node keeps touching (Curator's
// PersistentTtlNode.DEFAULT_CHILD_NODE_NAME).
const TouchName = "touch"

// touchFactor: the child is touched every ttl/touchFactor (Curator's
// DEFAULT_TOUCH_SCHEDULE_FACTOR).
const touchFactor = 2

// TTL is a node that lives while its owner does, without a session
// (Curator's PersistentTtlNode): a Persistent node of mode zk.FlagTTL at
// path, and a TTL child "touch" whose data is written every ttl/2. While
// the owner runs, the child is modified more often than its TTL, so the
// server keeps it, and the parent, which has a child, too. When the owner
// stops (Close, or the process dies), the server deletes the child about
// ttl after its last touch, and the parent ttl after that. Close does not
// delete the node, as in Curator: it goes by its TTL.
//
// The server must allow TTL nodes (extendedTypesEnabled=true). The child's
// data is empty (Curator writes the client's default data, the local
// address).
type TTL struct {
	p     *Persistent
	c     *recipes.Client
	child string
	ttl   time.Duration

	stop     chan struct{} // closed by Close
	done     chan struct{} // closed when touch loop returns
	kick     chan struct{} // capacity 1: touch now (Reconnected)
	unlisten func()

	mu      sync.Mutex // guards started, closed
	started bool
	closed  bool
}

// NewTTL returns a TTL node at path with data. Of the options,
// WithoutParents applies. It does no I/O; call Start.
func NewTTL(c *recipes.Client, path string, ttl time.Duration, data []byte, opts ...Option) (*TTL, error) {
	p, err := NewPersistent(c, path, zk.FlagTTL, data, append(opts, WithTTL(ttl))...)
	if err != nil {
		return nil, err
	}
	p.cfg.keepOnClose = true
	return &TTL{
		p: p, c: c, child: recipes.JoinPath(path, TouchName), ttl: ttl,
		stop: make(chan struct{}), done: make(chan struct{}), kick: make(chan struct{}, 1),
	}, nil
}

// Start creates the node in the background and starts touching its child.
func (t *TTL) Start() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrClosed
	}
	if t.started {
		return ErrStarted
	}
	if err := t.p.Start(); err != nil {
		return err
	}
	t.started = true
	t.unlisten = t.c.Listen(func(s recipes.State) {
		if s == recipes.Reconnected {
			select {
			case t.kick <- struct{}{}:
			default:
			}
		}
	})
	go t.run()
	return nil
}

// WaitReady waits for the node's first create (not the child's).
func (t *TTL) WaitReady(ctx context.Context) error { return t.p.WaitReady(ctx) }

// Path returns the node's path ("" before the first create).
func (t *TTL) Path() string { return t.p.Path() }

// Data returns the node's data.
func (t *TTL) Data() []byte { return t.p.Data() }

// SetData changes the node's data (see Persistent.SetData).
func (t *TTL) SetData(ctx context.Context, data []byte) error { return t.p.SetData(ctx, data) }

// Close stops touching and keeping the node; the server deletes it by its
// TTL. ctx is unused: Close does no I/O. Close is idempotent.
func (t *TTL) Close(ctx context.Context) error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	started := t.started
	t.mu.Unlock()
	close(t.stop)
	if started {
		t.unlisten()
		<-t.done
	}
	return t.p.Close(ctx)
}

// run touches the child every ttl/2, and at once after a Reconnected so
// that an outage eats as little of the TTL as it can. A touch under way
// when Close is called is finished (within ttl/2), not abandoned: an
// abandoned request could still be answered after the caller closes the
// client, which go-zookeeper/zk does not handle cleanly.
func (t *TTL) run() {
	defer close(t.done)
	tick := time.NewTicker(t.ttl / touchFactor)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-t.kick:
		case <-t.stop:
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), t.ttl/touchFactor)
		if err := t.touch(ctx); err != nil {
			t.c.Logger().Debug("ttl node: touch failed", "path", t.child, "err", err)
		}
		cancel()
	}
}

// touch writes the child, creating it when missing. A missing parent is
// left to the Persistent node, which re-creates it.
func (t *TTL) touch(ctx context.Context) error {
	_, err := t.c.Set(ctx, t.child, nil, -1)
	if !errors.Is(err, zk.ErrNoNode) {
		return err
	}
	_, err = t.c.CreateTTL(ctx, t.child, nil, zk.FlagTTL, nil, t.ttl)
	if errors.Is(err, zk.ErrNodeExists) {
		_, err = t.c.Set(ctx, t.child, nil, -1)
	}
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("node: touch %s: %w", t.child, err)
	}
	return nil
}
