package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

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
type Typed[T any] struct{ typedCore[T] }

// typedCore is what the typed queues share: Curator's names and format
// over a core of the matching kind.
type typedCore[T any] struct {
	q   *core
	ser Serializer[T]
}

// NewTyped returns a typed queue whose items are children of path.
// Consume's item locks default to <path>_locks and claim records to
// <path>_claims, beside the queue node, so that Curator consumers see only
// items under it. For Curator's lock-safe consumers (QueueBuilder.lockPath)
// pass WithLockPath with their lock path, so that Consume and Curator lock
// each item through the same node.
func NewTyped[T any](c *recipes.Client, path string, ser Serializer[T], opts ...Option) *Typed[T] {
	return &Typed[T]{typedCore[T]{q: newCore(c, path, kind{}, typedOptions(path, opts)), ser: ser}}
}

// Put adds v at the tail of the queue and returns its node name.
func (t *Typed[T]) Put(ctx context.Context, v T) (string, error) {
	return t.put(ctx, "", v)
}

// PutMulti adds vs as one node (Curator's putMulti): consumers take them
// together, in order. It returns the node name.
func (t *Typed[T]) PutMulti(ctx context.Context, vs ...T) (string, error) {
	return t.put(ctx, "", vs...)
}

// TypedPriority is a priority queue of values of type T in the format of
// Curator's DistributedPriorityQueue<T> (see Typed and PriorityQueue):
// lower priorities first, then in the order put.
type TypedPriority[T any] struct{ typedCore[T] }

// NewTypedPriority returns a typed priority queue whose items are children
// of path.
func NewTypedPriority[T any](c *recipes.Client, path string, ser Serializer[T], opts ...Option) *TypedPriority[T] {
	return &TypedPriority[T]{typedCore[T]{q: newCore(c, path, priorityKind, typedOptions(path, opts)), ser: ser}}
}

// Put adds v with priority and returns its node name.
func (t *TypedPriority[T]) Put(ctx context.Context, v T, priority int32) (string, error) {
	return t.put(ctx, priorityString(priority), v)
}

// PutMulti adds vs as one node with priority (Curator's putMulti).
func (t *TypedPriority[T]) PutMulti(ctx context.Context, priority int32, vs ...T) (string, error) {
	return t.put(ctx, priorityString(priority), vs...)
}

// TypedDelay is a delay queue of values of type T in the format of
// Curator's DistributedDelayQueue<T> (see Typed and DelayQueue): each node
// is held until its due time, then handed out earliest due first.
type TypedDelay[T any] struct{ typedCore[T] }

// NewTypedDelay returns a typed delay queue whose items are children of
// path.
func NewTypedDelay[T any](c *recipes.Client, path string, ser Serializer[T], opts ...Option) *TypedDelay[T] {
	return &TypedDelay[T]{typedCore[T]{q: newCore(c, path, delayKind, typedOptions(path, opts)), ser: ser}}
}

// Put adds v, available from due, and returns its node name.
func (t *TypedDelay[T]) Put(ctx context.Context, v T, due time.Time) (string, error) {
	return t.put(ctx, delayString(due), v)
}

// PutMulti adds vs as one node available from due (Curator's putMulti).
func (t *TypedDelay[T]) PutMulti(ctx context.Context, due time.Time, vs ...T) (string, error) {
	return t.put(ctx, delayString(due), vs...)
}

// TypedID is a FIFO queue of values of type T with ids in the format of
// Curator's DistributedIdQueue<T> (see Typed and IDQueue).
type TypedID[T any] struct{ typedCore[T] }

// NewTypedID returns a typed id queue whose items are children of path.
func NewTypedID[T any](c *recipes.Client, path string, ser Serializer[T], opts ...Option) *TypedID[T] {
	return &TypedID[T]{typedCore[T]{q: newCore(c, path, idKind, typedOptions(path, opts)), ser: ser}}
}

// Put adds v with id at the tail of the queue ('/' and '|' in id become
// '_', as Curator does) and returns its node name.
func (t *TypedID[T]) Put(ctx context.Context, v T, id string) (string, error) {
	if id == "" {
		return "", ErrBadID
	}
	return t.put(ctx, "|"+fixID(id)+"|", v)
}

// Remove deletes every node with id not yet taken and returns how many
// (see IDQueue.Remove).
func (t *TypedID[T]) Remove(ctx context.Context, id string) (int, error) {
	return t.q.removeID(ctx, id)
}

// typedOptions puts Consume's locks and the claim records beside the
// queue node rather than under it (<path>_locks, <path>_claims), unless
// opts say otherwise: Curator's consumers log every child of the queue
// node that is not an item, and its id queue logs them as errors.
func typedOptions(path string, opts []Option) []Option {
	return append([]Option{WithLockPath(path + "_locks"), WithClaimPath(path + "_claims")}, opts...)
}

// put creates one node named itemPrefix+mid+sequence holding vs.
func (t *typedCore[T]) put(ctx context.Context, mid string, vs ...T) (string, error) {
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
	p := recipes.JoinPath(t.q.path, itemPrefix+mid)
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
func (t *typedCore[T]) decode(name string, data []byte) ([]T, error) {
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
func (t *typedCore[T]) Take(ctx context.Context) ([]T, error) {
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
func (t *typedCore[T]) Consume(ctx context.Context, fn func(ctx context.Context, items []T) error) error {
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
func (t *typedCore[T]) Len(ctx context.Context) (int, error) { return t.q.Len(ctx) }

// Close makes blocked and later calls return ErrClosed and waits for calls
// in progress (see Queue.Close).
func (t *typedCore[T]) Close(ctx context.Context) error { return t.q.Close(ctx) }
