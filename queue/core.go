package queue

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/google/uuid"
	"github.com/zkit-go/zkit/recipes"
)

// Errors returned by this package; errors from the server pass through
// wrapped, so errors.Is(err, zk.ErrNoAuth) works.
var (
	// ErrClosed is returned by operations on a closed queue, and by a Take
	// or Consume blocked when Close was called.
	ErrClosed = errors.New("queue: closed")
	// ErrLockLost is returned by Consume when fn succeeded but the item's
	// lock was gone before the item could be removed (the session holding
	// it was lost). The item stays in the queue and will be processed
	// again, by this consumer or another one.
	ErrLockLost = errors.New("queue: item lock lost before the item was removed")
	// ErrUncertain is returned when the outcome of removing an item could
	// not be found out before the operation timeout: the item may have
	// been removed by this call. Its claim record (see the package
	// documentation) is left for inspection.
	ErrUncertain = errors.New("queue: outcome of removing the item is unknown")
	// ErrBadID is returned by IDQueue for an empty id.
	ErrBadID = errors.New("queue: invalid id")
)

// itemPrefix starts the name of every item node, as in Curator.
const itemPrefix = "queue-"

// seqLen is the width of the counter ZooKeeper appends to sequential names.
const seqLen = 10

// Item is an item taken from a queue.
type Item struct {
	// Name is the item's node name under the queue path.
	Name string
	// Data is what was put.
	Data []byte
	// Priority is the item's priority (PriorityQueue only).
	Priority int32
	// Due is when the item became available (DelayQueue only).
	Due time.Time
	// ID is the item's id (IDQueue only).
	ID string
}

// Option configures a queue.
type Option func(*options)

type options struct {
	lockPath  string
	claimPath string
	opTimeout time.Duration
}

// WithLockPath sets where Consume's per-item locks live (default
// path+"/_locks"). Every consumer of a queue must use the same one.
func WithLockPath(p string) Option { return func(o *options) { o.lockPath = p } }

// WithClaimPath sets where claim records live (default path+"/_claims").
// Every consumer of a queue must use the same one.
func WithClaimPath(p string) Option { return func(o *options) { o.claimPath = p } }

// WithOperationTimeout bounds how long removing an item (and finding out
// whether an interrupted removal happened) may take once started (default
// 30s). The caller's ctx does not interrupt a removal, so that an item is
// never removed without being returned.
func WithOperationTimeout(d time.Duration) Option { return func(o *options) { o.opTimeout = d } }

// entry is an item node as listed, with what its kind parsed from its name.
type entry struct {
	name string // node name, possibly with a protection prefix
	Item        // Name, and Priority/Due/ID as parsed; no Data yet
	seq  int64
}

// kind is what distinguishes the queue types: how an item's name is read
// and how items are ordered.
type kind struct {
	// parse reads the part of a normalized name between the item prefix
	// and the sequence number; ok false skips the node.
	parse func(mid string, it *Item) bool
	// less orders two parsed entries; nil orders by sequence number.
	less func(a, b *entry) bool
}

// core is the machinery every queue type shares.
type core struct {
	c    *recipes.Client
	path string
	kind kind
	opts options

	closing chan struct{} // closed by Close

	mu     sync.Mutex // guards closed and ops
	closed bool
	ops    sync.WaitGroup // operations in progress; Close waits for them
}

func newCore(c *recipes.Client, path string, k kind, opts []Option) *core {
	o := options{opTimeout: 30 * time.Second}
	for _, f := range opts {
		f(&o)
	}
	if o.lockPath == "" {
		o.lockPath = recipes.JoinPath(path, "_locks")
	}
	if o.claimPath == "" {
		o.claimPath = recipes.JoinPath(path, "_claims")
	}
	return &core{c: c, path: path, kind: k, opts: o, closing: make(chan struct{})}
}

// begin registers an operation; the returned func ends it.
func (q *core) begin() (func(), error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil, ErrClosed
	}
	q.ops.Add(1)
	return q.ops.Done, nil
}

// Close makes blocked and later calls return ErrClosed and waits, until
// ctx is done, for the calls in progress to return. Items already put stay
// in ZooKeeper; a removal already under way is finished first.
func (q *core) Close(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.closing)
	}
	q.mu.Unlock()
	returned := make(chan struct{})
	go func() { // ends once the calls in progress, told by closing, return
		q.ops.Wait()
		close(returned)
	}()
	select {
	case <-returned:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("queue: close: %w", ctx.Err())
	}
}

// put creates an item node named itemPrefix+mid+sequence. The create is
// protected so that a retry after a lost reply cannot add the item twice.
func (q *core) put(ctx context.Context, mid string, data []byte) (string, error) {
	end, err := q.begin()
	if err != nil {
		return "", err
	}
	defer end()
	p, err := q.c.CreateProtected(ctx, recipes.JoinPath(q.path, itemPrefix+mid), data, zk.FlagSequence, nil)
	if err != nil {
		return "", fmt.Errorf("queue: put: %w", err)
	}
	_, name := recipes.SplitPath(p)
	return name, nil
}

// list reads the items, sorted, arming a watch on the children. A missing
// queue node is an empty queue; the watch is then on its creation.
func (q *core) list(ctx context.Context) ([]entry, <-chan zk.Event, error) {
	names, _, ch, err := q.c.ChildrenW(ctx, q.path)
	if errors.Is(err, zk.ErrNoNode) {
		ok, _, ch, err := q.c.ExistsW(ctx, q.path)
		if err != nil {
			return nil, nil, err
		}
		if ok { // created meanwhile: list again at once
			done := make(chan zk.Event, 1)
			done <- zk.Event{}
			return nil, done, nil
		}
		return nil, ch, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return q.parse(names), ch, nil
}

func (q *core) parse(names []string) []entry {
	out := make([]entry, 0, len(names))
	for _, n := range names {
		norm := recipes.NormalizeProtected(n)
		if !strings.HasPrefix(norm, itemPrefix) || len(norm) < len(itemPrefix)+seqLen {
			continue
		}
		seq, err := strconv.ParseInt(norm[len(norm)-seqLen:], 10, 64)
		if err != nil {
			continue
		}
		e := entry{name: n, seq: seq}
		e.Name = n
		if q.kind.parse != nil && !q.kind.parse(norm[len(itemPrefix):len(norm)-seqLen], &e.Item) {
			continue
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if q.kind.less != nil {
			if q.kind.less(a, b) {
				return true
			}
			if q.kind.less(b, a) {
				return false
			}
		}
		return a.seq < b.seq
	})
	return out
}

// Len returns the number of items in the queue, including items being
// consumed.
func (q *core) Len(ctx context.Context) (int, error) {
	end, err := q.begin()
	if err != nil {
		return 0, err
	}
	defer end()
	names, _, err := q.c.Children(ctx, q.path)
	if errors.Is(err, zk.ErrNoNode) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return len(q.parse(names)), nil
}

// Take removes the first available item and returns it, blocking until
// there is one, ctx ends or the queue is closed. An item is removed by
// exactly one Take; once removed it is returned even if ctx has ended
// meanwhile (see the package documentation: Take is not safe against the
// caller crashing after the removal, Consume is).
func (q *core) Take(ctx context.Context) (Item, error) {
	end, err := q.begin()
	if err != nil {
		return Item{}, err
	}
	defer end()
	return q.loop(ctx, func(e *entry) (bool, error) {
		data, _, err := q.c.Get(ctx, recipes.JoinPath(q.path, e.name))
		if errors.Is(err, zk.ErrNoNode) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		ok, err := q.remove(ctx, e.name, "")
		if ok {
			e.Data = data
		}
		return ok, err
	}, func(e *entry) Item { return e.Item })
}

// Consume processes the first available item with fn and removes it only
// when fn returns nil: Curator's lock-safe mode. It blocks until there is
// an item, ctx ends or the queue is closed. While fn runs the item is
// locked by an ephemeral node, so no other Consume processes it; if this
// consumer's session is lost the lock goes and another consumer may take
// the item over (fn's ctx is cancelled when that happens).
//
// When fn returns an error the lock is released, the item stays for the
// next consumer and Consume returns fn's error. When Consume returns nil
// the item was processed and removed, by this call only: no two Consume
// calls both return nil for one item. ErrLockLost means fn succeeded but
// the item stays and will be processed again.
func (q *core) Consume(ctx context.Context, fn func(ctx context.Context, it Item) error) error {
	end, err := q.begin()
	if err != nil {
		return err
	}
	defer end()
	var result error
	_, err = q.loop(ctx, func(e *entry) (bool, error) {
		done, err := q.consumeOne(ctx, e, fn)
		if done {
			result = err
			return true, nil
		}
		return false, err
	}, func(*entry) Item { return Item{} })
	if err != nil {
		return err
	}
	return result
}

// loop lists the items and offers the available ones, in order, to try
// until it reports it took one; otherwise it waits for the children to
// change, the next delayed item to become due, or the session to change.
func (q *core) loop(ctx context.Context, try func(e *entry) (bool, error), out func(*entry) Item) (Item, error) {
	for {
		if err := q.stopped(ctx); err != nil {
			return Item{}, err
		}
		sess := q.c.Session()
		entries, ch, err := q.list(ctx)
		if err != nil {
			return Item{}, q.wrap(ctx, err)
		}
		now := time.Now()
		var next time.Time
		for i := range entries {
			e := &entries[i]
			if !e.Due.IsZero() && e.Due.After(now) {
				if next.IsZero() || e.Due.Before(next) {
					next = e.Due
				}
				continue
			}
			ok, err := try(e)
			if err != nil {
				return Item{}, q.wrap(ctx, err)
			}
			if ok {
				return out(e), nil
			}
			if err := q.stopped(ctx); err != nil {
				return Item{}, err
			}
		}
		if err := q.wait(ctx, ch, sess, next); err != nil {
			return Item{}, err
		}
	}
}

// wait blocks until the children change, next (if set) passes, the
// session changes, ctx ends or the queue closes.
func (q *core) wait(ctx context.Context, ch <-chan zk.Event, sess *recipes.Session, next time.Time) error {
	var timer <-chan time.Time
	if !next.IsZero() {
		t := time.NewTimer(time.Until(next))
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ch:
	case <-timer:
	case <-sess.Done():
	case <-ctx.Done():
		return ctx.Err()
	case <-q.closing:
		return ErrClosed
	}
	return nil
}

func (q *core) stopped(ctx context.Context) error {
	select {
	case <-q.closing:
		return ErrClosed
	default:
	}
	return ctx.Err()
}

func (q *core) wrap(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return err
	}
	return fmt.Errorf("queue: %w", err)
}

// opContext is the context for a removal: not cancelled by the caller's
// ctx (a removal must be followed by returning the item), bounded by the
// operation timeout.
func (q *core) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), q.opts.opTimeout)
}

// remove deletes item name atomically with creating a claim record
// claimPath/name-token, so that a removal whose reply was lost can be
// told apart from a removal by another consumer: the claim record says
// who removed the item. When lock is not empty the item's lock node is
// deleted in the same transaction (Consume). It reports whether this call
// removed the item.
func (q *core) remove(ctx context.Context, name, lock string) (bool, error) {
	octx, cancel := q.opContext(ctx)
	defer cancel()
	claim := recipes.JoinPath(q.opts.claimPath, recipes.NormalizeProtected(name)+"-"+uuid.NewString())
	ops := []any{
		&zk.DeleteRequest{Path: recipes.JoinPath(q.path, name), Version: -1},
		&zk.CreateRequest{Path: claim, Flags: zk.FlagPersistent},
	}
	if lock != "" {
		ops = append(ops, &zk.DeleteRequest{Path: lock, Version: -1})
	}
	item := recipes.JoinPath(q.path, name)
	ensured := false
	for {
		res, err := q.c.Multi(octx, ops...)
		if err == nil {
			q.dropClaim(octx, claim)
			return true, nil
		}
		if len(res) >= 2 && errors.Is(res[1].Error, zk.ErrNoNode) && !ensured {
			// The claim directory is missing (a container reaped while
			// empty), so this attempt, and any before it, failed: the
			// item's delete had passed its check. Make it and try again.
			ensured = true
			if err := q.c.EnsurePath(octx, q.opts.claimPath); err != nil {
				return false, err
			}
			continue
		}
		if errors.Is(err, recipes.ErrAmbiguous) || octx.Err() != nil || errors.Is(err, recipes.ErrRetriesExhausted) {
			ok, err := q.resolve(octx, claim)
			if ok || err != nil {
				return ok, err
			}
			// Not ours. If the item is still there nobody removed it
			// (the lost attempt failed): try again.
			exists, _, err := q.c.Exists(octx, item)
			if err != nil {
				return false, err
			}
			if exists {
				continue
			}
			return false, nil
		}
		if errors.Is(err, zk.ErrNoNode) {
			return false, nil // the item (or, for Consume, our lock) is gone
		}
		return false, err
	}
}

// resolve finds out whether an interrupted removal happened by looking
// for its claim record, retrying until the operation timeout.
func (q *core) resolve(ctx context.Context, claim string) (bool, error) {
	for {
		ok, _, err := q.c.Exists(ctx, claim)
		if err == nil {
			if ok {
				q.dropClaim(ctx, claim)
			}
			return ok, nil
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("%w: claim record %s: %w", ErrUncertain, claim, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// dropClaim deletes a claim record once its removal is known. A record
// left behind (the consumer crashed here) is harmless.
func (q *core) dropClaim(ctx context.Context, claim string) {
	_ = q.c.Delete(ctx, claim, -1)
}

// consumeOne tries to lock, process and remove one item. done reports
// that the item was locked and processed (err is then Consume's result);
// otherwise the caller moves on to the next item, or stops with err.
func (q *core) consumeOne(ctx context.Context, e *entry, fn func(context.Context, Item) error) (done bool, err error) {
	lock := recipes.JoinPath(q.opts.lockPath, recipes.NormalizeProtected(e.name))
	sess, ok, err := q.lock(ctx, lock)
	if err != nil || !ok {
		return false, err
	}
	data, _, err := q.c.Get(ctx, recipes.JoinPath(q.path, e.name))
	if err != nil {
		q.unlock(lock, sess)
		if errors.Is(err, zk.ErrNoNode) {
			return false, nil // consumed by someone else before we locked it
		}
		return false, err
	}
	e.Data = data

	// fn's ctx ends with the session that holds the lock, or Close.
	fctx, cancel := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-sess.Done():
		case <-q.closing:
		case <-fctx.Done():
		}
		cancel()
	}()
	ferr := fn(fctx, e.Item)
	cancel()
	<-watched
	if ferr != nil {
		q.unlock(lock, sess)
		return true, ferr
	}
	// Remove the item only while we still hold the lock: after a lost
	// session another consumer may hold it, and the item is then theirs.
	octx, ocancel := q.opContext(ctx)
	defer ocancel()
	if !q.owns(octx, lock, sess) {
		return true, ErrLockLost
	}
	removed, err := q.remove(ctx, e.name, lock)
	if err != nil {
		return true, err
	}
	if !removed {
		return true, ErrLockLost
	}
	return true, nil
}

// lock creates the item's ephemeral lock node. ok false: another
// consumer holds it. sess is the session that owns the lock.
func (q *core) lock(ctx context.Context, lock string) (sess *recipes.Session, ok bool, err error) {
	for attempt := 0; ; attempt++ {
		sess = q.c.Session()
		_, err = q.c.Create(ctx, lock, nil, zk.FlagEphemeral, nil)
		switch {
		case err == nil:
		case errors.Is(err, zk.ErrNodeExists):
			return nil, false, nil
		case errors.Is(err, zk.ErrNoNode) && attempt == 0:
			if err := q.c.EnsurePath(ctx, q.opts.lockPath); err != nil {
				return nil, false, err
			}
			continue
		default:
			return nil, false, err
		}
		// The create may have been retried on a newer session: the lock
		// belongs to whichever session the server says.
		ok, st, err := q.c.Exists(ctx, lock)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			return nil, false, nil
		}
		now := q.c.Session()
		if st.EphemeralOwner == now.ID {
			return now, true, nil
		}
		if st.EphemeralOwner == sess.ID {
			return sess, true, nil
		}
		return nil, false, nil
	}
}

// owns reports whether lock is still held by sess.
func (q *core) owns(ctx context.Context, lock string, sess *recipes.Session) bool {
	select {
	case <-sess.Done():
		return false
	default:
	}
	ok, st, err := q.c.Exists(ctx, lock)
	return err == nil && ok && st.EphemeralOwner == sess.ID
}

// unlock deletes our lock node if sess still owns it. Failures are left
// to session expiry, which removes the ephemeral node.
func (q *core) unlock(lock string, sess *recipes.Session) {
	ctx, cancel := q.opContext(context.Background())
	defer cancel()
	ok, st, err := q.c.Exists(ctx, lock)
	if err != nil || !ok || st.EphemeralOwner != sess.ID {
		return
	}
	_ = q.c.Delete(ctx, lock, st.Version)
}
