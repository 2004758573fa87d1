package recipes

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/go-zookeeper/zk"
)

// WatchKind says what a Watcher reads and watches at a path.
type WatchKind int

const (
	// WatchData reads the node's data and stat (GetW); when the node does
	// not exist it watches for its creation (ExistsW).
	WatchData WatchKind = iota + 1
	// WatchChildren reads the node's children (ChildrenW); when the node
	// does not exist it watches for its creation.
	WatchChildren
	// WatchExists reads only whether the node exists, and its stat (ExistsW).
	WatchExists
)

func (k WatchKind) String() string {
	switch k {
	case WatchData:
		return "data"
	case WatchChildren:
		return "children"
	case WatchExists:
		return "exists"
	}
	return "unknown"
}

// WatchResult is what a Watcher read while re-arming a watch: the state of
// the node at that moment.
type WatchResult struct {
	Path     string
	Kind     WatchKind
	Exists   bool
	Data     []byte   // WatchData only
	Children []string // WatchChildren only, sorted
	Stat     *zk.Stat // nil when the node does not exist
	// Err is a non-retryable error from the read (zk.ErrNoAuth, say). No
	// watch is armed for the path until the next event on it or the next
	// reconnect.
	Err error
}

type watchKey struct {
	path string // client path
	kind WatchKind
}

type watchEntry struct {
	full  string
	seq   uint64
	dirty bool
}

// Watcher keeps one-shot watches armed. For every (path, kind) added it
// reads the node with a watch and calls fn with what it read; after every
// event on the path, after every Reconnected (same session or a new one
// after Lost) and after go-zk drops its watches, it reads again, arming a
// new watch in the same request, so no change between the event and the
// new watch can be missed. fn therefore sees the latest state, not every
// intermediate one: two quick writes may show as one.
//
// While the client is Suspended or Lost, reads are retried with backoff
// and again as soon as the client reconnects; fn is not called with
// connection errors.
//
// fn runs on the Watcher's own goroutine, one call at a time; it may call
// Add and Remove but must not block for long or call Close.
type Watcher struct {
	c      *Client
	fn     func(WatchResult)
	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{} // capacity 1
	done   chan struct{} // closed when run returns

	mu      sync.Mutex // guards entries, queue, seq
	entries map[watchKey]*watchEntry
	queue   []watchKey // dirty keys, oldest first
	seq     uint64
}

// NewWatcher starts a Watcher calling fn. Add paths to it.
func (c *Client) NewWatcher(fn func(WatchResult)) (*Watcher, error) {
	ctx, cancel := context.WithCancel(c.bg)
	w := &Watcher{
		c:       c,
		fn:      fn,
		ctx:     ctx,
		cancel:  cancel,
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		entries: make(map[watchKey]*watchEntry),
	}
	if !c.goTracked(w.run) {
		cancel()
		return nil, ErrClosed
	}
	return w, nil
}

// Add starts watching path. Adding a (path, kind) twice is a no-op.
func (w *Watcher) Add(path string, kind WatchKind) error {
	fp, err := w.c.full(path)
	if err != nil {
		return err
	}
	k := watchKey{path, kind}
	w.mu.Lock()
	if _, ok := w.entries[k]; ok {
		w.mu.Unlock()
		return nil
	}
	w.seq++
	w.entries[k] = &watchEntry{full: fp, seq: w.seq, dirty: true}
	w.queue = append(w.queue, k)
	w.mu.Unlock()
	w.c.router.add(fp, w)
	w.signal()
	return nil
}

// Remove stops watching path for kind. The server-side watch stays until
// it fires; its event is then ignored.
func (w *Watcher) Remove(path string, kind WatchKind) {
	k := watchKey{path, kind}
	w.mu.Lock()
	e, ok := w.entries[k]
	if ok {
		delete(w.entries, k)
	}
	others := false
	for _, kk := range []WatchKind{WatchData, WatchChildren, WatchExists} {
		if _, ok := w.entries[watchKey{path, kk}]; ok {
			others = true
		}
	}
	w.mu.Unlock()
	if ok && !others {
		w.c.router.remove(e.full, w)
	}
}

// Close stops the Watcher and waits for its goroutine. It must not be
// called from fn.
func (w *Watcher) Close() {
	w.cancel()
	<-w.done
	w.mu.Lock()
	fulls := make([]string, 0, len(w.entries))
	for _, e := range w.entries {
		fulls = append(fulls, e.full)
	}
	w.mu.Unlock()
	for _, fp := range fulls {
		w.c.router.remove(fp, w)
	}
}

func (w *Watcher) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// touch marks every kind watched at client path p dirty.
func (w *Watcher) touch(p string) {
	w.mu.Lock()
	marked := false
	for _, kind := range []WatchKind{WatchData, WatchChildren, WatchExists} {
		k := watchKey{p, kind}
		if e, ok := w.entries[k]; ok && !e.dirty {
			e.dirty = true
			w.queue = append(w.queue, k)
			marked = true
		}
	}
	w.mu.Unlock()
	if marked {
		w.signal()
	}
}

// markAll marks every entry dirty, in the order they were added.
func (w *Watcher) markAll() {
	w.mu.Lock()
	keys := make([]watchKey, 0, len(w.entries))
	for k, e := range w.entries {
		if !e.dirty {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return w.entries[keys[i]].seq < w.entries[keys[j]].seq })
	for _, k := range keys {
		w.entries[k].dirty = true
	}
	w.queue = append(w.queue, keys...)
	w.mu.Unlock()
	w.signal()
}

func (w *Watcher) pop() (watchKey, string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.queue) > 0 {
		k := w.queue[0]
		w.queue = w.queue[1:]
		if e, ok := w.entries[k]; ok && e.dirty {
			e.dirty = false
			return k, e.full, true
		}
	}
	w.queue = nil
	return watchKey{}, "", false
}

func (w *Watcher) requeueFront(k watchKey) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if e, ok := w.entries[k]; ok && !e.dirty {
		e.dirty = true
		w.queue = append([]watchKey{k}, w.queue...)
	}
}

func (w *Watcher) tracked(k watchKey) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.entries[k]
	return ok
}

func (w *Watcher) run() {
	defer close(w.done)
	_, stateCh := w.c.stateChange()
	bo := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(50*time.Millisecond),
		backoff.WithMaxInterval(2*time.Second),
		backoff.WithMaxElapsedTime(0),
	)
	var retry *time.Timer
	var retryC <-chan time.Time
	stopRetry := func() {
		if retry != nil {
			retry.Stop()
			retry, retryC = nil, nil
		}
	}
	defer stopRetry()
	for {
		select {
		case <-stateCh:
			var st State
			st, stateCh = w.c.stateChange()
			if st.IsConnected() {
				stopRetry()
				w.markAll()
			}
			continue
		case <-w.ctx.Done():
			return
		default:
		}
		var (
			k  watchKey
			fp string
			ok bool
		)
		if retryC == nil {
			k, fp, ok = w.pop()
		}
		if !ok {
			select {
			case <-w.ctx.Done():
				return
			case <-w.wake:
			case <-stateCh:
			case <-retryC:
				retry, retryC = nil, nil
			}
			continue
		}
		res, err := w.read(k, fp)
		if err != nil {
			if w.ctx.Err() != nil || errors.Is(err, ErrClosed) {
				return
			}
			if isRetryable(err) || errors.Is(err, ErrRetriesExhausted) {
				w.requeueFront(k)
				retry = time.NewTimer(bo.NextBackOff())
				retryC = retry.C
				continue
			}
			res = WatchResult{Path: k.path, Kind: k.kind, Err: err}
		} else {
			bo.Reset()
		}
		if w.tracked(k) {
			w.fn(res)
		}
	}
}

// read reads k with a watch. A node that disappears between the read and
// the exists-watch is read again, so the result always has a watch behind it.
func (w *Watcher) read(k watchKey, fp string) (WatchResult, error) {
	c := w.c
	if _, err := c.prepare(w.ctx, k.path); err != nil {
		return WatchResult{}, err
	}
	res := WatchResult{Path: k.path, Kind: k.kind}
	for {
		var err error
		switch k.kind {
		case WatchData:
			err = c.retry(w.ctx, "getw", false, func(conn *zk.Conn, _ bool) error {
				var err error
				res.Data, res.Stat, _, err = conn.GetW(fp)
				return err
			}, nil)
		case WatchChildren:
			err = c.retry(w.ctx, "childrenw", false, func(conn *zk.Conn, _ bool) error {
				var err error
				res.Children, res.Stat, _, err = conn.ChildrenW(fp)
				return err
			}, nil)
			if err == nil {
				// Only now is the attempt known to be finished.
				sort.Strings(res.Children)
			}
		case WatchExists:
			err = zk.ErrNoNode
		}
		if err == nil {
			res.Exists = true
			return res, nil
		}
		if !errors.Is(err, zk.ErrNoNode) {
			// Not res: an attempt abandoned through ctx may still write it.
			return WatchResult{Path: k.path, Kind: k.kind}, err
		}
		var ok bool
		var st *zk.Stat
		err = c.retry(w.ctx, "existsw", false, func(conn *zk.Conn, _ bool) error {
			var err error
			ok, st, _, err = conn.ExistsW(fp)
			return err
		}, nil)
		if err != nil {
			return res, err
		}
		if !ok {
			return WatchResult{Path: k.path, Kind: k.kind}, nil
		}
		if k.kind == WatchExists {
			res.Exists, res.Stat = true, st
			return res, nil
		}
		// Created between the two reads: read it again.
	}
}

// router hands watch events, which go-zk also gives its event callback, to
// the Watchers interested in the event's path.
type router struct {
	mu   sync.Mutex // guards subs
	subs map[string]map[*Watcher]struct{}
}

func (r *router) add(fp string, w *Watcher) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.subs[fp]
	if m == nil {
		m = make(map[*Watcher]struct{})
		r.subs[fp] = m
	}
	m[w] = struct{}{}
}

func (r *router) remove(fp string, w *Watcher) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m := r.subs[fp]; m != nil {
		delete(m, w)
		if len(m) == 0 {
			delete(r.subs, fp)
		}
	}
}

// route runs on go-zk's goroutines and must not block: touch only marks
// entries and signals.
func (r *router) route(fp string) {
	r.mu.Lock()
	ws := make([]*Watcher, 0, len(r.subs[fp]))
	for w := range r.subs[fp] {
		ws = append(ws, w)
	}
	r.mu.Unlock()
	for _, w := range ws {
		w.touch(w.c.short(fp))
	}
}
