package recipes

import (
	"sort"
	"strings"
	"sync"
)

// TreeCache keeps a whole subtree in memory: the root (which need not
// exist) and every node under it, with data and stats, and events as nodes
// come, change and go (Curator's TreeCache).
//
// Every node has a data watch and a child watch. On Suspended and Lost the
// cache keeps serving what it last read; on Reconnected it reads the tree
// again and emits the differences. A removed node's descendants are
// reported removed first, deepest first.
type TreeCache struct {
	cacheBase
	root string

	mu       sync.Mutex                 // guards the fields below
	nodes    map[string]Node            // read nodes, by path
	kids     map[string]map[string]bool // last children list read, by path
	tracked  map[string]bool            // paths being watched
	pending  map[watchKey]bool          // first reads outstanding, before Initialized
	initDone bool
}

// NewTreeCache makes a cache of the subtree at root; call Start.
func NewTreeCache(c *Client, root string) *TreeCache {
	return &TreeCache{
		cacheBase: newCacheBase(c),
		root:      root,
		nodes:     map[string]Node{},
		kids:      map[string]map[string]bool{},
		tracked:   map[string]bool{},
		pending:   map[watchKey]bool{},
	}
}

// Start begins watching. It returns at once; Initialized is closed once
// the whole subtree has been read.
func (tc *TreeCache) Start() error {
	if err := validatePath(tc.root); err != nil {
		return err
	}
	return tc.start(tc.apply, func(w *Watcher) error {
		tc.mu.Lock()
		tc.track(tc.root)
		tc.mu.Unlock()
		return tc.addWatches(w, []string{tc.root})
	})
}

// Snapshot returns a copy of the cached tree, by path.
func (tc *TreeCache) Snapshot() map[string]Node {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	out := make(map[string]Node, len(tc.nodes))
	for p, n := range tc.nodes {
		out[p] = n
	}
	return out
}

// Get returns the cached node at path.
func (tc *TreeCache) Get(path string) (Node, bool) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	n, ok := tc.nodes[path]
	return n, ok
}

// Children returns the sorted names of the cached children of path.
func (tc *TreeCache) Children(path string) []string {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	out := make([]string, 0, len(tc.kids[path]))
	for k := range tc.kids[path] {
		if _, ok := tc.nodes[JoinPath(path, k)]; ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// track marks p watched and, before Initialized, waited for. Call with mu.
func (tc *TreeCache) track(p string) {
	tc.tracked[p] = true
	if !tc.initDone {
		tc.pending[watchKey{p, WatchData}] = true
		tc.pending[watchKey{p, WatchChildren}] = true
	}
}

func (tc *TreeCache) addWatches(w *Watcher, paths []string) error {
	for _, p := range paths {
		if err := w.Add(p, WatchData); err != nil {
			return err
		}
		if err := w.Add(p, WatchChildren); err != nil {
			return err
		}
	}
	return nil
}

func (tc *TreeCache) apply(res WatchResult) {
	if res.Err != nil {
		tc.c.log.Warn("tree cache read failed", "path", res.Path, "err", res.Err)
		return
	}
	p := res.Path
	var evs []CacheEvent
	var gone, added []string
	tc.mu.Lock()
	if !tc.tracked[p] {
		tc.mu.Unlock()
		return
	}
	delete(tc.pending, watchKey{p, res.Kind})
	switch res.Kind {
	case WatchData:
		old, had := tc.nodes[p]
		if res.Exists {
			n := nodeOf(res)
			if evs = diffNode(old, had, n); len(evs) > 0 {
				tc.nodes[p] = n
			}
		} else {
			// Gone: so is everything below it. The node itself stays
			// watched (its parent's next list decides), so a re-creation
			// is seen.
			evs, gone = tc.removeBelow(p, evs, gone)
			if had {
				delete(tc.nodes, p)
				evs = append(evs, CacheEvent{NodeRemoved, old})
			}
		}
	case WatchChildren:
		now := make(map[string]bool, len(res.Children))
		for _, k := range res.Children {
			now[k] = true
		}
		for k := range tc.kids[p] {
			if !now[k] {
				child := JoinPath(p, k)
				evs, gone = tc.removeBelow(child, evs, gone)
				evs, gone = tc.removeNode(child, evs, gone)
			}
		}
		for _, k := range res.Children {
			if !tc.kids[p][k] {
				child := JoinPath(p, k)
				if !tc.tracked[child] {
					tc.track(child)
					added = append(added, child)
				}
			}
		}
		if res.Exists {
			tc.kids[p] = now
		} else {
			delete(tc.kids, p)
		}
	}
	init := false
	if !tc.initDone && len(tc.pending) == 0 {
		tc.initDone = true
		init = true
	}
	tc.mu.Unlock()
	w := tc.watcher()
	for _, g := range gone {
		w.Remove(g, WatchData)
		w.Remove(g, WatchChildren)
	}
	if err := tc.addWatches(w, added); err != nil {
		tc.c.log.Warn("tree cache: bad child path", "err", err)
	}
	tc.emit(evs, init)
}

// removeBelow drops every descendant of p, deepest first. Call with mu.
func (tc *TreeCache) removeBelow(p string, evs []CacheEvent, gone []string) ([]CacheEvent, []string) {
	names := make([]string, 0, len(tc.kids[p]))
	for k := range tc.kids[p] {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		child := JoinPath(p, k)
		evs, gone = tc.removeBelow(child, evs, gone)
		evs, gone = tc.removeNode(child, evs, gone)
	}
	delete(tc.kids, p)
	return evs, gone
}

// removeNode drops p itself and stops watching it. Call with mu.
func (tc *TreeCache) removeNode(p string, evs []CacheEvent, gone []string) ([]CacheEvent, []string) {
	if n, ok := tc.nodes[p]; ok {
		delete(tc.nodes, p)
		evs = append(evs, CacheEvent{NodeRemoved, n})
	}
	delete(tc.kids, p)
	if tc.tracked[p] && p != tc.root && strings.HasPrefix(p, tc.root) {
		delete(tc.tracked, p)
		delete(tc.pending, watchKey{p, WatchData})
		delete(tc.pending, watchKey{p, WatchChildren})
		gone = append(gone, p)
	}
	return evs, gone
}
