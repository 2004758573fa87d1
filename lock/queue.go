package lock

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkit-go/zkit/recipes"
)

// seqLen is the width of ZooKeeper's sequence suffix ("%010d").
const seqLen = 10

// errNodeGone means our contender node disappeared while we waited: the
// session that owned it ended, or someone deleted it. The caller queues
// again with a new node.
var errNodeGone = errors.New("lock: contender node gone")

// node is one contender node of ours: an ephemeral (normally sequential)
// protected node in a lock directory.
type node struct {
	path  string // client path
	name  string // last element of path
	seq   int64  // sequence number parsed from the name
	token int64  // czxid: the fencing token
	sess  *recipes.Session
}

// sequence returns the trailing ZooKeeper sequence number of a node name.
func sequence(name string) (int64, bool) {
	if len(name) < seqLen {
		return 0, false
	}
	n, err := strconv.ParseInt(name[len(name)-seqLen:], 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// sortContenders keeps the names that end in a sequence number and sorts
// them by it (ties, which only a read lock taken under our own write lock
// makes, by name). Curator sorts the same way: by what follows the lock
// name, which is the sequence.
func sortContenders(kids []string) []string {
	out := kids[:0]
	for _, k := range kids {
		if _, ok := sequence(k); ok {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i][len(out[i])-seqLen:], out[j][len(out[j])-seqLen:]
		if a != b {
			return a < b
		}
		return out[i] < out[j]
	})
	return out
}

// rule decides, from the sorted contenders, whether ours holds the lock,
// and otherwise which one node to wait for (never more than one, so a
// release wakes one waiter, not the herd). It reports errNodeGone when ours
// is not among them.
type rule func(sorted []string, ours string) (granted bool, watch string, err error)

// exclusive is the rule of a mutex and of a write lock: we hold it when we
// are first; otherwise we wait for our immediate predecessor.
func exclusive(sorted []string, ours string) (bool, string, error) {
	i := indexOf(sorted, ours)
	if i < 0 {
		return false, "", errNodeGone
	}
	if i == 0 {
		return true, "", nil
	}
	return false, sorted[i-1], nil
}

func indexOf(s []string, x string) int {
	for i, v := range s {
		if v == x {
			return i
		}
	}
	return -1
}

// queue is a lock directory and the way one kind of contender enters it.
type queue struct {
	c      *recipes.Client
	dir    string // client path of the lock directory
	prefix string // "lock-", "__READ__", "__WRIT__", "lease-"
	data   []byte
	rule   rule
	// fixedSeq, when it returns true, names a non-sequential node with that
	// sequence (Curator's read lock taken while holding the write lock).
	fixedSeq func() (int64, bool)
}

// enqueue creates our contender node and reads its stat.
// createGrace is how long a cancelled Lock waits for the answer to a create
// already sent on a live connection.
const createGrace = 2 * time.Second

func (q *queue) enqueue(ctx context.Context) (*node, error) {
	for {
		p := recipes.JoinPath(q.dir, q.prefix)
		flags := int32(zk.FlagEphemeralSequential)
		if q.fixedSeq != nil {
			if s, ok := q.fixedSeq(); ok {
				p += fmt.Sprintf("%010d", s)
				flags = zk.FlagEphemeral
			}
		}
		// When ctx is cancelled while the create is in flight on a live
		// connection, the create is given a moment to be answered, so a
		// node made for us is known and removed before Lock returns. While
		// disconnected, ctx ends the wait at once and the protected
		// create's background cleanup removes the node later.
		cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		stopGrace := context.AfterFunc(ctx, func() {
			if !q.c.State().IsConnected() {
				cancel()
				return
			}
			time.AfterFunc(createGrace, cancel)
		})
		created, err := q.c.CreateProtected(cctx, p, q.data, flags, nil)
		stopGrace()
		cancel()
		if err != nil {
			return nil, fmt.Errorf("lock: create contender in %s: %w", q.dir, err)
		}
		if ctx.Err() != nil {
			q.remove(ctx, &node{path: created, sess: q.c.Session()})
			return nil, ctx.Err()
		}
		_, name := recipes.SplitPath(created)
		seq, _ := sequence(name)
		ok, st, err := q.c.Exists(ctx, created)
		if err != nil {
			q.remove(ctx, &node{path: created, sess: q.c.Session()})
			return nil, fmt.Errorf("lock: stat contender %s: %w", created, err)
		}
		sess := q.c.Session()
		if !ok {
			continue // its session ended already; queue again
		}
		if st.EphemeralOwner != sess.ID {
			// Made under a session that has since ended (the server may not
			// have expired it yet); ours would be a stale claim.
			q.bestEffortDelete(ctx, created)
			continue
		}
		return &node{path: created, name: name, seq: seq, token: st.Czxid, sess: sess}, nil
	}
}

// wait returns when our node holds the lock (true), or at once with false
// when try is set and it does not. It watches one node at a time.
func (q *queue) wait(ctx context.Context, n *node, try bool) (bool, error) {
	for {
		select {
		case <-n.sess.Done():
			return false, errNodeGone
		default:
		}
		kids, _, err := q.c.Children(ctx, q.dir)
		if err != nil {
			return false, fmt.Errorf("lock: list %s: %w", q.dir, err)
		}
		granted, watch, err := q.rule(sortContenders(kids), n.name)
		if err != nil || granted {
			return granted, err
		}
		if try {
			return false, nil
		}
		ok, _, ch, err := q.c.ExistsW(ctx, recipes.JoinPath(q.dir, watch))
		if err != nil {
			return false, fmt.Errorf("lock: watch %s: %w", watch, err)
		}
		if !ok {
			continue
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false, ctx.Err()
		case <-n.sess.Done():
			return false, errNodeGone
		}
	}
}

// acquire queues and waits. On any failure, and when try finds the lock
// taken, our node is removed before acquire returns. A node lost to an
// ended session is replaced and the wait goes on.
func (q *queue) acquire(ctx context.Context, try bool) (*node, error) {
	for {
		n, err := q.enqueue(ctx)
		if err != nil {
			return nil, err
		}
		granted, err := q.wait(ctx, n, try)
		if err == nil && granted {
			return n, nil
		}
		if errors.Is(err, errNodeGone) {
			q.bestEffortDelete(ctx, n.path)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue
		}
		q.remove(ctx, n)
		return nil, err
	}
}

// remove deletes our node even when ctx has ended: it keeps trying until
// the delete succeeds or the session that owns the node ends (the server
// then deletes it). It may therefore outlast ctx by up to about a session
// timeout when the connection is down.
func (q *queue) remove(ctx context.Context, n *node) error {
	rctx, cancel := sessionContext(context.WithoutCancel(ctx), n.sess)
	defer cancel()
	b := 50 * time.Millisecond
	for {
		err := q.c.Delete(rctx, n.path, -1)
		if err == nil || errors.Is(err, zk.ErrNoNode) {
			return nil
		}
		if rctx.Err() != nil || errors.Is(err, recipes.ErrClosed) {
			return err
		}
		t := time.NewTimer(b)
		select {
		case <-t.C:
		case <-rctx.Done():
			t.Stop()
			return err
		}
		if b < 2*time.Second {
			b *= 2
		}
	}
}

// bestEffortDelete deletes a node that may belong to an ended session, so
// that it stops standing in the queue before the server expires it.
func (q *queue) bestEffortDelete(ctx context.Context, p string) {
	_ = q.c.Delete(ctx, p, -1)
}

// sessionContext is parent, also cancelled when s ends.
func sessionContext(parent context.Context, s *recipes.Session) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	go func() {
		select {
		case <-s.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// hold watches a node we hold and closes lost when the session that owns it
// ends or the node is deleted by someone else, and revoked when someone
// asks the holder to release (the node's data becomes RevokeMessage). stop
// ends the watch.
type hold struct {
	n       *node
	lost    chan struct{}
	revoked chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}
}

func startHold(c *recipes.Client, n *node) *hold {
	ctx, cancel := sessionContext(context.Background(), n.sess)
	h := &hold{n: n, lost: make(chan struct{}), revoked: make(chan struct{}), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go h.watch(c)
	return h
}

// stop ends the watch and waits for it. It reports whether the hold was
// lost before it stopped.
func (h *hold) stop() bool {
	h.cancel()
	<-h.done
	select {
	case <-h.lost:
		return true
	default:
		return false
	}
}

func (h *hold) isLost() bool {
	select {
	case <-h.lost:
		return true
	default:
		return false
	}
}

func (h *hold) watch(c *recipes.Client) {
	defer close(h.done)
	backoff := 50 * time.Millisecond
	revoked := false
	for {
		// The session's end wins over a stop that comes with it (ctx is
		// cancelled by both), so a loss is never reported as a stop.
		select {
		case <-h.n.sess.Done():
			close(h.lost)
			return
		default:
		}
		if h.ctx.Err() != nil {
			return
		}
		// A data watch fires on a delete and on a data change, so one
		// read covers both the loss and a revocation request.
		data, _, ch, err := c.GetW(h.ctx, h.n.path)
		if errors.Is(err, zk.ErrNoNode) {
			close(h.lost) // deleted under us
			return
		}
		if err != nil {
			if h.ctx.Err() != nil {
				continue // the select above tells stop from session end
			}
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-h.ctx.Done():
				t.Stop()
			}
			if backoff < 2*time.Second {
				backoff *= 2
			}
			continue
		}
		backoff = 50 * time.Millisecond
		if !revoked && bytes.Equal(data, RevokeMessage) {
			revoked = true
			close(h.revoked)
		}
		select {
		case <-ch:
		case <-h.ctx.Done():
		}
	}
}
