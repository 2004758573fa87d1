package datatree

import (
	"strings"

	"github.com/zkit-go/zkit/internal/metrics"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/watch"
)

// statOverheadBytes is what ZooKeeper adds to each read's size for the
// Stat (DataTree.STAT_OVERHEAD_BYTES: six longs and five ints).
const statOverheadBytes = 6*8 + 5*4

// nsStats are the tree's statistics in ZooKeeper's metrics:
// read_per_namespace and write_per_namespace, the bytes of each client read
// (path, data or child names, and the stat) and of each applied write
// (path and data) per top-level namespace, as DataTree.updateReadStat and
// updateWriteStat count them (writes wherever a txn is applied, so on
// every member and in replay); and, per event type, how many watchers each
// event that had any matched (WatchManager.triggerWatch's
// node_*_watch_count).
type nsStats struct {
	reads, writes                       *metrics.SummarySet
	created, deleted, changed, children *metrics.Summary
}

func newNSStats() nsStats {
	return nsStats{
		reads: metrics.NewSummarySet(metrics.Basic), writes: metrics.NewSummarySet(metrics.Basic),
		created: metrics.NewSummary(metrics.Basic), deleted: metrics.NewSummary(metrics.Basic),
		changed: metrics.NewSummary(metrics.Basic), children: metrics.NewSummary(metrics.Basic),
	}
}

// AttachMetrics reports the tree's statistics in an engine's registry.
func (t *Tree) AttachMetrics(r *metrics.Registry) {
	r.AttachSummarySet("read_per_namespace", t.ns.reads)
	r.AttachSummarySet("write_per_namespace", t.ns.writes)
	r.AttachSummary("node_created_watch_count", t.ns.created)
	r.AttachSummary("node_deleted_watch_count", t.ns.deleted)
	r.AttachSummary("node_changed_watch_count", t.ns.changed)
	r.AttachSummary("node_children_watch_count", t.ns.children)
}

// trigger fires m's watches on path and counts the watchers matched.
func (t *Tree) trigger(m *watch.Manager, path string, typ proto.EventType, acl []proto.ACL, suppress watch.Triggered) watch.Triggered {
	hit := m.Trigger(path, typ, acl, suppress)
	if len(hit) == 0 {
		return hit
	}
	switch typ {
	case proto.EventNodeCreated:
		t.ns.created.Observe(int64(len(hit)))
	case proto.EventNodeDeleted:
		t.ns.deleted.Observe(int64(len(hit)))
	case proto.EventNodeDataChanged:
		t.ns.changed.Observe(int64(len(hit)))
	case proto.EventNodeChildrenChanged:
		t.ns.children.Observe(int64(len(hit)))
	}
	return hit
}

func (t *Tree) readStat(path string, bytes int64) {
	if ns, ok := TopNamespace(path); ok {
		t.ns.reads.Observe(ns, javaLen(path)+int64(bytes)+statOverheadBytes)
	}
}

func (t *Tree) writeStat(path string, bytes int64) {
	if ns, ok := TopNamespace(path); ok {
		t.ns.writes.Observe(ns, javaLen(path)+int64(bytes))
	}
}

// TopNamespace is PathUtils.getTopNamespace: the first component of an
// absolute path; the root has none.
func TopNamespace(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/")
	if !ok || rest == "" {
		return "", false
	}
	ns, _, _ := strings.Cut(rest, "/")
	return ns, true
}

// PeekData returns path's data without counting a read: for the server's
// own reads (the quota metrics), which ZooKeeper does not count either.
// The slice is shared and must not be modified.
func (t *Tree) PeekData(path string) ([]byte, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.lookup(path)
	if n == nil {
		return nil, false
	}
	return n.data(), true
}

// AdoptStats makes t count into old's per-namespace statistics, for a tree
// that replaces old (a snapshot received from the leader, a restore):
// ZooKeeper's counts are the server's, not one DataTree's. Call it before
// t is shared.
func (t *Tree) AdoptStats(old *Tree) { t.ns = old.ns }
