package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkit-go/zkit/recipes"
)

// Queue is a FIFO queue (Curator's DistributedQueue): items come out in
// the order they were put, as numbered by ZooKeeper's sequential nodes.
type Queue struct{ *core }

// New returns a FIFO queue whose items are children of path. It does no
// I/O; the path is created on the first Put.
func New(c *recipes.Client, path string, opts ...Option) *Queue {
	return &Queue{newCore(c, path, kind{}, opts)}
}

// Put adds data at the tail of the queue and returns the item's node name.
func (q *Queue) Put(ctx context.Context, data []byte) (string, error) {
	return q.put(ctx, "", data)
}

// PriorityQueue orders items by priority, lower values first, then by
// the order they were put (Curator's DistributedPriorityQueue; the same
// node names).
type PriorityQueue struct{ *core }

// NewPriority returns a priority queue whose items are children of path.
func NewPriority(c *recipes.Client, path string, opts ...Option) *PriorityQueue {
	return &PriorityQueue{newCore(c, path, priorityKind, opts)}
}

var priorityKind = kind{
	parse: func(mid string, it *Item) bool {
		p, ok := parsePriority(mid)
		it.Priority = p
		return ok
	},
	less: func(a, b *entry) bool { return a.Priority < b.Priority },
}

// Put adds data with priority; lower priorities are taken first.
func (q *PriorityQueue) Put(ctx context.Context, data []byte, priority int32) (string, error) {
	return q.put(ctx, priorityString(priority), data)
}

// priorityString is Curator's encoding: "1" for priority >= 0, "0" for
// negative, then the 32-bit two's complement in 8 upper-case hex digits,
// so that names sort in priority order.
func priorityString(p int32) string {
	sign := "1"
	if p < 0 {
		sign = "0"
	}
	return fmt.Sprintf("%s%08X", sign, uint32(p))
}

func parsePriority(s string) (int32, bool) {
	if len(s) != 9 || (s[0] != '0' && s[0] != '1') {
		return 0, false
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return 0, false
	}
	return int32(uint32(v)), true
}

// DelayQueue holds each item until a given time, then hands items out
// earliest due first (Curator's DistributedDelayQueue; the same node
// names). Due times are compared with the consumer's clock.
type DelayQueue struct{ *core }

// NewDelay returns a delay queue whose items are children of path.
func NewDelay(c *recipes.Client, path string, opts ...Option) *DelayQueue {
	return &DelayQueue{newCore(c, path, delayKind, opts)}
}

var delayKind = kind{
	parse: func(mid string, it *Item) bool {
		ms, ok := parseDelay(mid)
		if ok {
			it.Due = time.UnixMilli(ms)
		}
		return ok
	},
	less: func(a, b *entry) bool { return a.Due.Before(b.Due) },
}

// Put adds data that becomes available at due (at once if due has passed).
func (q *DelayQueue) Put(ctx context.Context, data []byte, due time.Time) (string, error) {
	return q.put(ctx, delayString(due), data)
}

// delayString is Curator's encoding of a due time: Unix milliseconds in
// upper-case hex (at least 8 digits) between '|' separators.
func delayString(due time.Time) string { return fmt.Sprintf("|%08X|", due.UnixMilli()) }

func parseDelay(s string) (int64, bool) {
	if len(s) < 3 || s[0] != '|' || s[len(s)-1] != '|' {
		return 0, false
	}
	v, err := strconv.ParseInt(s[1:len(s)-1], 16, 64)
	return v, err == nil
}

// IDQueue is a FIFO queue whose items carry an id, by which they can be
// removed before they are taken (Curator's DistributedIdQueue; the same
// node names). Ids need not be unique.
type IDQueue struct{ *core }

// NewID returns an id queue whose items are children of path.
func NewID(c *recipes.Client, path string, opts ...Option) *IDQueue {
	return &IDQueue{newCore(c, path, idKind, opts)}
}

var idKind = kind{
	parse: func(mid string, it *Item) bool {
		if len(mid) < 3 || mid[0] != '|' || mid[len(mid)-1] != '|' {
			return false
		}
		it.ID = mid[1 : len(mid)-1]
		return !strings.Contains(it.ID, "|")
	},
}

// Put adds data with id at the tail of the queue. In the node name, '/'
// and '|' in id are replaced by '_' as Curator does, so Remove and
// Item.ID see the replaced form.
func (q *IDQueue) Put(ctx context.Context, data []byte, id string) (string, error) {
	if id == "" {
		return "", ErrBadID
	}
	return q.put(ctx, "|"+fixID(id)+"|", data)
}

func fixID(id string) string {
	return strings.NewReplacer("/", "_", "|", "_").Replace(id)
}

// Remove deletes every item with id that has not been taken yet and
// returns how many it deleted. An item being processed by Consume is
// deleted too; that Consume then returns ErrLockLost.
func (q *IDQueue) Remove(ctx context.Context, id string) (int, error) {
	return q.removeID(ctx, id)
}

// removeID deletes the items of an IDQueue (or TypedID) with id.
func (q *core) removeID(ctx context.Context, id string) (int, error) {
	if id == "" {
		return 0, ErrBadID
	}
	end, err := q.begin()
	if err != nil {
		return 0, err
	}
	defer end()
	id = fixID(id)
	names, _, err := q.c.Children(ctx, q.path)
	if errors.Is(err, zk.ErrNoNode) {
		return 0, nil
	}
	if err != nil {
		return 0, q.wrap(ctx, err)
	}
	n := 0
	for _, e := range q.parse(names) {
		if e.ID != id {
			continue
		}
		ok, err := q.remove(ctx, e.name, "")
		if err != nil {
			return n, q.wrap(ctx, err)
		}
		if ok {
			n++
		}
	}
	return n, nil
}
