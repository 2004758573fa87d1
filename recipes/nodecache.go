package recipes

import "sync"

// NodeCache keeps the data and stat of one node, which may not exist, in
// memory, with events when it is created, changes or is deleted (Curator's
// NodeCache).
//
// On Suspended and Lost the cache keeps serving the last state it read;
// on Reconnected (after either) it reads the node again and emits the
// difference, so a change made while the client was away shows as one
// event. Listen to the Client's states to know whether the data may be
// stale.
type NodeCache struct {
	cacheBase
	path string

	mu   sync.Mutex // guards node and have
	node Node
	have bool
}

// NewNodeCache makes a cache of path; call Start.
func NewNodeCache(c *Client, path string) *NodeCache {
	return &NodeCache{cacheBase: newCacheBase(c), path: path}
}

// Start begins watching. It returns at once; Initialized is closed after
// the first read.
func (nc *NodeCache) Start() error {
	if err := validatePath(nc.path); err != nil {
		return err
	}
	return nc.start(nc.apply, func(w *Watcher) error { return w.Add(nc.path, WatchData) })
}

// Current returns the cached node and whether it exists.
func (nc *NodeCache) Current() (Node, bool) {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	return nc.node, nc.have
}

func (nc *NodeCache) apply(res WatchResult) {
	if res.Err != nil {
		nc.c.log.Warn("node cache read failed", "path", res.Path, "err", res.Err)
		return
	}
	var evs []CacheEvent
	nc.mu.Lock()
	old, had := nc.node, nc.have
	if res.Exists {
		n := nodeOf(res)
		if evs = diffNode(old, had, n); len(evs) > 0 {
			nc.node, nc.have = n, true
		}
	} else if had {
		nc.node, nc.have = Node{}, false
		evs = []CacheEvent{{NodeRemoved, old}}
	}
	nc.mu.Unlock()
	init := false
	select {
	case <-nc.initialized:
	default:
		init = true
	}
	nc.emit(evs, init)
}
