package datatree

import (
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/watch"
)

// Watcher types added by ZooKeeper 3.9 to checkWatches/removeWatches
// (3.8 knows only Children 1, Data 2, Any 3).
const (
	WatcherPersistent          proto.WatcherType = 4
	WatcherPersistentRecursive proto.WatcherType = 5
)

// AddWatch is the addWatch request: a persistent or persistent-recursive
// watch on path, registered with both the data and the child managers
// (DataTree.addWatch); the node need not exist.
func (t *Tree) AddWatch(path string, w watch.Watcher, mode watch.Mode) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	t.dataWatches.Add(path, w, mode)
	t.childWatches.Add(path, w, mode)
}

// SetWatches re-registers a reconnecting client's watches
// (DataTree.setWatches). relativeZxid is the last zxid the client saw.
// Watches whose event the client missed fire at once instead:
//   - data: NodeDeleted if the node is gone, NodeDataChanged if its mzxid is
//     after relativeZxid, else a data watch;
//   - exist: NodeCreated if the node exists, else a data watch;
//   - child: NodeDeleted if gone, NodeChildrenChanged if its pzxid is after
//     relativeZxid, else a child watch;
//   - persistent and persistent-recursive: registered with both managers.
//
// Immediate events are delivered with a nil ACL (no READ check), as Java's
// ServerCnxn.process(event) does.
func (t *Tree) SetWatches(relativeZxid int64, data, exist, child, persistent, recursive []string, w watch.Watcher) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	fire := func(typ proto.EventType, path string) {
		w.Notify(proto.WatcherEvent{Type: typ, State: proto.StateSyncConnected, Path: path}, nil)
	}
	for _, p := range data {
		switch n := t.lookup(p); {
		case n == nil:
			fire(proto.EventNodeDeleted, p)
		case n.stat.mzxid > relativeZxid:
			fire(proto.EventNodeDataChanged, p)
		default:
			t.dataWatches.Add(p, w, watch.ModeStandard)
		}
	}
	for _, p := range exist {
		if t.lookup(p) != nil {
			fire(proto.EventNodeCreated, p)
		} else {
			t.dataWatches.Add(p, w, watch.ModeStandard)
		}
	}
	for _, p := range child {
		switch n := t.lookup(p); {
		case n == nil:
			fire(proto.EventNodeDeleted, p)
		case n.stat.pzxid > relativeZxid:
			fire(proto.EventNodeChildrenChanged, p)
		default:
			t.childWatches.Add(p, w, watch.ModeStandard)
		}
	}
	for _, p := range persistent {
		t.childWatches.Add(p, w, watch.ModePersistent)
		t.dataWatches.Add(p, w, watch.ModePersistent)
	}
	for _, p := range recursive {
		t.childWatches.Add(p, w, watch.ModePersistentRecursive)
		t.dataWatches.Add(p, w, watch.ModePersistentRecursive)
	}
}

// watchTargets says which managers and modes a checkWatches/removeWatches
// type selects. For 3.8's types (Children, Data, Any) that is every mode in
// the child manager, the data manager, or both, as DataTree.containsWatcher
// and removeWatch do; the 3.9 types Persistent and PersistentRecursive
// select that mode (in both managers, where zkit registers them).
func watchTargets(typ proto.WatcherType) (child, data bool, mode watch.Mode) {
	switch typ {
	case proto.WatcherChildren:
		return true, false, watch.ModeAny
	case proto.WatcherData:
		return false, true, watch.ModeAny
	case proto.WatcherAny:
		return true, true, watch.ModeAny
	case WatcherPersistent:
		return true, true, watch.ModePersistent
	case WatcherPersistentRecursive:
		return true, true, watch.ModePersistentRecursive
	}
	return false, false, 0
}

// ContainsWatcher is checkWatches: whether w has a watch of type typ on
// exactly path. (3.8.6's WatchManager answered true when any watcher at all
// watched the path; zkit checks w's own watches, as later releases do.)
func (t *Tree) ContainsWatcher(path string, typ proto.WatcherType, w watch.Watcher) bool {
	child, data, mode := watchTargets(typ)
	return (child && t.childWatches.Contains(path, w, mode)) ||
		(data && t.dataWatches.Contains(path, w, mode))
}

// RemoveWatch is removeWatches: drops w's watches of type typ on path and
// reports whether any was removed.
func (t *Tree) RemoveWatch(path string, typ proto.WatcherType, w watch.Watcher) bool {
	child, data, mode := watchTargets(typ)
	removed := false
	if child && t.childWatches.Remove(path, w, mode) {
		removed = true
	}
	if data && t.dataWatches.Remove(path, w, mode) {
		removed = true
	}
	return removed
}

// RemoveWatcher drops every watch of w (its connection closed).
func (t *Tree) RemoveWatcher(w watch.Watcher) {
	t.dataWatches.RemoveWatcher(w)
	t.childWatches.RemoveWatcher(w)
}

// WatchCount is the number of watches in both managers (zk_watch_count).
func (t *Tree) WatchCount() int { return t.dataWatches.Size() + t.childWatches.Size() }

// DataWatches is the data-watch manager. ZooKeeper's wchs, wchc and wchp
// words report this manager only.
func (t *Tree) DataWatches() *watch.Manager { return t.dataWatches }

// ChildWatches is the child-watch manager.
func (t *Tree) ChildWatches() *watch.Manager { return t.childWatches }
