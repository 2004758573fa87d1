package datatree

import (
	"strings"

	"github.com/zkit-go/zkit/internal/metrics"
)

// statOverheadBytes is what ZooKeeper adds to each read's size for the
// Stat (DataTree.STAT_OVERHEAD_BYTES: six longs and five ints).
const statOverheadBytes = 6*8 + 5*4

// nsStats are ZooKeeper's read_per_namespace and write_per_namespace: the
// bytes of each client read (path, data or child names, and the stat) and
// of each applied write (path and data), per top-level namespace, as
// DataTree.updateReadStat and updateWriteStat count them. Writes are
// counted wherever a txn is applied, so on every member and in replay.
type nsStats struct {
	reads, writes *metrics.SummarySet
}

func newNSStats() nsStats {
	return nsStats{reads: metrics.NewSummarySet(metrics.Basic), writes: metrics.NewSummarySet(metrics.Basic)}
}

// ReadPerNamespace is the tree's read_per_namespace summary set.
func (t *Tree) ReadPerNamespace() *metrics.SummarySet { return t.ns.reads }

// WritePerNamespace is the tree's write_per_namespace summary set.
func (t *Tree) WritePerNamespace() *metrics.SummarySet { return t.ns.writes }

func (t *Tree) readStat(path string, bytes int64) {
	if ns, ok := topNamespace(path); ok {
		t.ns.reads.Observe(ns, javaLen(path)+int64(bytes)+statOverheadBytes)
	}
}

func (t *Tree) writeStat(path string, bytes int64) {
	if ns, ok := topNamespace(path); ok {
		t.ns.writes.Observe(ns, javaLen(path)+int64(bytes))
	}
}

// topNamespace is PathUtils.getTopNamespace: the first component of an
// absolute path; the root has none.
func topNamespace(path string) (string, bool) {
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
