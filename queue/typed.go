package queue

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"
	"github.com/zkit-go/zkit/recipes"
)

// Typed is a FIFO queue of values of type T that shares its nodes with
// Apache Curator's DistributedQueue<T>: items are written and read in
// Curator's format (EncodeItems) through a Serializer, and named as
// Curator names them, <path>/queue-<seq>, so Java producers and Go
// consumers (and the reverse) share one queue. The Serializer must match
// the Java side's QueueSerializer.
//
// One node may hold several items (Curator's putMulti, or PutMulti here);
// Take and Consume hand out a node's items together, in order.
//
// Puts are not protected against a lost reply the way Queue's are: Curator's
// consumers skip names that do not start with "queue-", so the protection
// prefix cannot be used, and a Put whose reply is lost and that is retried
// may add its items twice (as Curator's own put may). Consume, Take and
// their guarantees are Queue's. Do not mix Typed and Queue on one path: a
// Typed consumer removes and reports (ErrBadItem) items that are not in
// Curator's format, as Curator drops corrupted items.
type Typed[T any] struct {
	q   *core
	ser Serializer[T]
}

// NewTyped returns a typed queue whose items are children of path. For
// Curator's lock-safe consumers (QueueBuilder.lockPath) pass WithLockPath
// with the same lock path, so that Consume and Curator lock each item
// through the same node.
func NewTyped[T any](c *recipes.Client, path string, ser Serializer[T], opts ...Option) *Typed[T] {
	return &Typed[T]{q: newCore(c, path, kind{}, opts), ser: ser}
}

// Put adds v at the tail of the queue and returns its node name.
func (t *Typed[T]) Put(ctx context.Context, v T) (string, error) {
	return t.PutMulti(ctx, v)
}

// PutMulti adds vs as one node (Curator's putMulti): consumers take them
// together, in order. It returns the node name.
func (t *Typed[T]) PutMulti(ctx context.Context, vs ...T) (string, error) {
	items := make([][]byte, len(vs))
	for i, v := range vs {
		b, err := t.ser.Marshal(v)
		if err != nil {
			return "", fmt.Errorf("queue: marshal item: %w", err)
		}
		items[i] = b
	}
	end, err := t.q.begin()
	if err != nil {
		return "", err
	}
	defer end()
	data := EncodeItems(items)
	p := recipes.JoinPath(t.q.path, itemPrefix)
	for attempt := 0; ; attempt++ {
		created, err := t.q.c.Create(ctx, p, data, zk.FlagSequence, nil)
		if errors.Is(err, zk.ErrNoNode) && attempt == 0 {
			if err := t.q.c.EnsurePath(ctx, t.q.path); err != nil {
				return "", fmt.Errorf("queue: put: %w", err)
			}
			continue
		}
		if err != nil {
			return "", fmt.Errorf("queue: put: %w", err)
		}
		_, name := recipes.SplitPath(created)
		return name, nil
	}
}

// decode reads a node's items.
func (t *Typed[T]) decode(name string, data []byte) ([]T, error) {
	raw, err := DecodeItems(data)
	if err != nil {
		return nil, fmt.Errorf("queue: item %s: %w", name, err)
	}
	out := make([]T, 0, len(raw))
	for _, b := range raw {
		v, err := t.ser.Unmarshal(b)
		if err != nil {
			return nil, fmt.Errorf("queue: item %s: %w: %w", name, ErrBadItem, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// Take removes the first node and returns its items, blocking until there
// is one (see Queue.Take). A node that does not decode is removed all the
// same and reported with an error wrapping ErrBadItem.
func (t *Typed[T]) Take(ctx context.Context) ([]T, error) {
	it, err := t.q.Take(ctx)
	if err != nil {
		return nil, err
	}
	return t.decode(it.Name, it.Data)
}

// Consume processes the first node's items with fn and removes the node
// only when fn returns nil (see Queue.Consume). A node that does not
// decode is removed without calling fn, and Consume returns an error
// wrapping ErrBadItem.
func (t *Typed[T]) Consume(ctx context.Context, fn func(ctx context.Context, items []T) error) error {
	var bad error
	err := t.q.Consume(ctx, func(ctx context.Context, it Item) error {
		vs, err := t.decode(it.Name, it.Data)
		if err != nil {
			bad = err
			return nil // remove it: it will never decode
		}
		return fn(ctx, vs)
	})
	if err == nil && bad != nil {
		return bad
	}
	return err
}

// Len returns the number of nodes in the queue (a putMulti node counts
// once).
func (t *Typed[T]) Len(ctx context.Context) (int, error) { return t.q.Len(ctx) }

// Close makes blocked and later calls return ErrClosed and waits for calls
// in progress (see Queue.Close).
func (t *Typed[T]) Close() error { return t.q.Close() }
