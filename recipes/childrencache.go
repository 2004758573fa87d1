package recipes

import (
	"sort"
	"sync"
)

// ChildrenCache keeps the children of one node, with their data and stats,
// in memory, with events as children come, change and go (Curator's
// PathChildrenCache). The parent need not exist.
//
// Every child has a data watch; the parent has a child watch. On Suspended
// and Lost the cache keeps serving what it last read; on Reconnected it
// reads everything again and emits the differences.
type ChildrenCache struct {
	cacheBase
	path string

	mu       sync.Mutex      // guards the fields below
	nodes    map[string]Node // read children, by name
	names    map[string]bool // children in the last list read
	pending  map[string]bool // listed children not read yet, before Initialized
	listed   bool
	initDone bool
}

// NewChildrenCache makes a cache of the children of path; call Start.
func NewChildrenCache(c *Client, path string) *ChildrenCache {
	return &ChildrenCache{
		cacheBase: newCacheBase(c),
		path:      path,
		nodes:     map[string]Node{},
		names:     map[string]bool{},
		pending:   map[string]bool{},
	}
}

// Start begins watching. It returns at once; Initialized is closed once
// the children and the data of each have been read.
func (cc *ChildrenCache) Start() error {
	if err := validatePath(cc.path); err != nil {
		return err
	}
	return cc.start(cc.apply, func(w *Watcher) error { return w.Add(cc.path, WatchChildren) })
}

// Snapshot returns the cached children sorted by path.
func (cc *ChildrenCache) Snapshot() []Node {
	cc.mu.Lock()
	out := make([]Node, 0, len(cc.nodes))
	for _, n := range cc.nodes {
		out = append(out, n)
	}
	cc.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Get returns the cached child called name.
func (cc *ChildrenCache) Get(name string) (Node, bool) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	n, ok := cc.nodes[name]
	return n, ok
}

func (cc *ChildrenCache) apply(res WatchResult) {
	if res.Err != nil {
		cc.c.log.Warn("children cache read failed", "path", res.Path, "err", res.Err)
		return
	}
	if res.Path == cc.path && res.Kind == WatchChildren {
		cc.applyList(res)
		return
	}
	_, name := SplitPath(res.Path)
	var evs []CacheEvent
	cc.mu.Lock()
	if !cc.names[name] {
		cc.mu.Unlock()
		return
	}
	delete(cc.pending, name)
	old, had := cc.nodes[name]
	if res.Exists {
		n := nodeOf(res)
		if evs = diffNode(old, had, n); len(evs) > 0 {
			cc.nodes[name] = n
		}
	} else if had {
		delete(cc.nodes, name)
		evs = []CacheEvent{{NodeRemoved, old}}
	}
	init := cc.checkInit()
	cc.mu.Unlock()
	cc.emit(evs, init)
}

func (cc *ChildrenCache) applyList(res WatchResult) {
	now := make(map[string]bool, len(res.Children))
	for _, k := range res.Children {
		now[k] = true
	}
	var evs []CacheEvent
	var gone, added []string
	cc.mu.Lock()
	for name := range cc.names {
		if now[name] {
			continue
		}
		delete(cc.names, name)
		delete(cc.pending, name)
		gone = append(gone, name)
		if n, ok := cc.nodes[name]; ok {
			delete(cc.nodes, name)
			evs = append(evs, CacheEvent{NodeRemoved, n})
		}
	}
	for _, name := range res.Children {
		if !cc.names[name] {
			cc.names[name] = true
			if !cc.initDone {
				cc.pending[name] = true
			}
			added = append(added, name)
		}
	}
	cc.listed = true
	init := cc.checkInit()
	cc.mu.Unlock()
	sort.Slice(evs, func(i, j int) bool { return evs[i].Node.Path < evs[j].Node.Path })
	w := cc.watcher()
	for _, name := range gone {
		w.Remove(JoinPath(cc.path, name), WatchData)
	}
	for _, name := range added {
		if err := w.Add(JoinPath(cc.path, name), WatchData); err != nil {
			cc.c.log.Warn("children cache: bad child", "name", name, "err", err)
		}
	}
	cc.emit(evs, init)
}

// checkInit reports, once, that the first full load is done. Call with mu.
func (cc *ChildrenCache) checkInit() bool {
	if cc.initDone || !cc.listed || len(cc.pending) > 0 {
		return false
	}
	cc.initDone = true
	return true
}
