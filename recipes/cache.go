package recipes

import (
	"context"
	"sync"

	"github.com/go-zookeeper/zk"
)

// CacheEventType says what happened to a cached node.
type CacheEventType int

const (
	// NodeAdded: a node appeared in the cache (created, or first loaded).
	NodeAdded CacheEventType = iota + 1
	// NodeUpdated: a cached node's data or stat changed.
	NodeUpdated
	// NodeRemoved: a node left the cache (deleted). A node deleted and
	// created again between two reads shows as NodeRemoved then NodeAdded.
	NodeRemoved
	// CacheInitialized: the first full load is complete. Sent once.
	CacheInitialized
)

func (t CacheEventType) String() string {
	switch t {
	case NodeAdded:
		return "added"
	case NodeUpdated:
		return "updated"
	case NodeRemoved:
		return "removed"
	case CacheInitialized:
		return "initialized"
	}
	return "unknown"
}

// Node is a cached node. Data is shared with the cache: do not modify it.
// Stat is the one read with the data when the data (or the ACL, or the
// node's incarnation) last changed; it is not refreshed for changes to the
// children alone (Cversion, NumChildren, Pzxid), so that a cache's events
// always describe its snapshot exactly.
type Node struct {
	Path string
	Data []byte
	Stat zk.Stat
}

// CacheEvent is what cache listeners receive. Node is the new state for
// NodeAdded and NodeUpdated, the last known state for NodeRemoved, and zero
// for CacheInitialized.
type CacheEvent struct {
	Type CacheEventType
	Node Node
}

// cacheBase holds what the three caches share: the Watcher feeding them,
// the listener goroutine, the initialised signal and the life cycle.
type cacheBase struct {
	c           *Client
	events      *notifier[CacheEvent]
	initialized chan struct{}
	stop        chan struct{} // closed by Close: stops the listener goroutine
	listenDone  chan struct{} // closed when the listener goroutine is gone

	mu      sync.Mutex // guards w, started, closed
	w       *Watcher
	started bool
	closed  bool
}

func newCacheBase(c *Client) cacheBase {
	return cacheBase{
		c:           c,
		events:      newNotifier[CacheEvent](),
		initialized: make(chan struct{}),
		stop:        make(chan struct{}),
		listenDone:  make(chan struct{}),
	}
}

// start makes the Watcher and the listener goroutine, then calls arm to
// add the first paths.
func (b *cacheBase) start(apply func(WatchResult), arm func(w *Watcher) error) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return ErrClosed
	}
	if b.started {
		b.mu.Unlock()
		return nil
	}
	b.started = true
	b.mu.Unlock()
	if !b.c.goTracked(func() {
		defer close(b.listenDone)
		b.events.run(b.stop, b.c.closing) // a closed client ends its caches too
	}) {
		close(b.listenDone)
		return ErrClosed
	}
	w, err := b.c.NewWatcher(apply)
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.w = w
	b.mu.Unlock()
	return arm(w)
}

// watcher returns the cache's Watcher; apply is only called once it is set.
func (b *cacheBase) watcher() *Watcher {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w
}

// Close stops the cache and waits for its goroutines. Listeners are not
// called after Close returns. Close must not be called from a listener.
// The cache does no I/O to close, so ctx is unused; it is there so every
// recipe closes alike.
func (b *cacheBase) Close(ctx context.Context) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	w, started := b.w, b.started
	b.mu.Unlock()
	if w != nil {
		w.Close()
	}
	close(b.stop)
	if started {
		<-b.listenDone
	}
	return nil
}

// Listen registers fn for the cache's events, delivered in order on one
// goroutine per cache. The returned function removes fn.
func (b *cacheBase) Listen(fn func(CacheEvent)) (remove func()) {
	return b.events.add(fn)
}

// Initialized is closed once the first full load is complete.
func (b *cacheBase) Initialized() <-chan struct{} { return b.initialized }

// WaitReady waits until the first full load is complete (Initialized is
// closed), ctx ends, or the cache or its client is closed. Call it after
// Start.
func (b *cacheBase) WaitReady(ctx context.Context) error {
	select {
	case <-b.initialized:
		return nil
	default:
	}
	select {
	case <-b.initialized:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-b.stop:
		return ErrClosed
	case <-b.c.closing:
		return ErrClosed
	}
}

func (b *cacheBase) emit(evs []CacheEvent, init bool) {
	for _, ev := range evs {
		b.events.post(ev)
	}
	if init {
		b.events.post(CacheEvent{Type: CacheInitialized})
		close(b.initialized)
	}
}

// diffNode returns the events that turn old (had: it existed) into now.
func diffNode(old Node, had bool, now Node) []CacheEvent {
	switch {
	case !had:
		return []CacheEvent{{NodeAdded, now}}
	case old.Stat.Czxid != now.Stat.Czxid:
		return []CacheEvent{{NodeRemoved, old}, {NodeAdded, now}}
	case old.Stat.Mzxid != now.Stat.Mzxid || old.Stat.Version != now.Stat.Version ||
		old.Stat.Aversion != now.Stat.Aversion:
		return []CacheEvent{{NodeUpdated, now}}
	}
	return nil
}

func nodeOf(res WatchResult) Node {
	return Node{Path: res.Path, Data: res.Data, Stat: *res.Stat}
}
