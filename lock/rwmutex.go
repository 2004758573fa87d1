package lock

import (
	"strings"

	"github.com/zkit-go/zkit/recipes"
)

// Curator's read-write lock node names. Both have the same length, and
// both sort by the sequence that follows them.
const (
	readName  = "__READ__"
	writeName = "__WRIT__"
)

// RWMutex is a distributed read-write lock, node-compatible with Curator's
// InterProcessReadWriteLock: readers share it, a writer holds it alone,
// and everyone is served in arrival order, so a waiting writer is not
// starved by readers arriving after it.
//
// Reader and Writer return the two sides; each is a Mutex (re-entrant per
// value, with Lost and Token). The read side may be taken while this
// RWMutex's write side is held (downgrading: Lock, RLock, Unlock, ...);
// the write side may not be taken while holding only the read side (it
// would wait for itself).
type RWMutex struct {
	r, w *Mutex
}

// NewRWMutex returns a read-write lock on path.
func NewRWMutex(c *recipes.Client, path string, opts ...Option) *RWMutex {
	cfg := newConfig(opts)
	rw := &RWMutex{}
	rw.w = newMutex(queue{c: c, dir: path, prefix: writeName, data: cfg.data, rule: exclusive})
	rw.r = newMutex(queue{c: c, dir: path, prefix: readName, data: cfg.data, rule: rw.readRule})
	// A read lock taken under our own write lock gets the writer's place
	// in the queue (a plain ephemeral node with the writer's sequence), so
	// no writer queued after ours can slip in while we still read.
	rw.r.q.fixedSeq = rw.w.heldSeq
	return rw
}

// Reader returns the read side.
func (rw *RWMutex) Reader() *Mutex { return rw.r }

// Writer returns the write side.
func (rw *RWMutex) Writer() *Mutex { return rw.w }

// readRule: a reader holds the lock when no writer is ahead of it, or
// when this RWMutex holds the write side. Otherwise it waits for the
// nearest writer ahead of it (not the first: a release then wakes only the
// readers directly behind that writer).
func (rw *RWMutex) readRule(sorted []string, ours string) (bool, string, error) {
	i := indexOf(sorted, ours)
	if i < 0 {
		return false, "", errNodeGone
	}
	if rw.w.Held() {
		return true, "", nil
	}
	for j := i - 1; j >= 0; j-- {
		if strings.Contains(sorted[j], writeName) {
			return false, sorted[j], nil
		}
	}
	return true, "", nil
}
