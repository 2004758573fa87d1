package datatree

import (
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/zkit-go/zkit/internal/proto"
)

// WalkFunc receives one node of a Walk: its path ("" for the root), its
// data (shared; do not modify), its aclRef and its stored stat.
type WalkFunc func(path string, data []byte, aclRef int64, stat proto.StatPersisted) error

// Walk visits the tree in pre-order from the root, as a snapshot writes it
// (DataTree.serializeNode): the root as "", then "/a", "/a/b", ... with
// children in sorted order. It read-locks the tree briefly, per node or per
// run of leaves, not for the whole walk, so writes go on meanwhile and the
// result is fuzzy exactly as a ZooKeeper snapshot is: each node is
// consistent in itself; a node created after its parent's children were
// listed is missed, and one deleted after that may still be visited (a
// replay of the log from where the walk started deletes it again). fn runs
// with no lock held. Walk stops at the first error fn returns.
func (t *Tree) Walk(fn WalkFunc) error {
	t.mu.RLock()
	root := t.root
	t.mu.RUnlock()
	return t.walk("", root, fn)
}

// walkChunk bounds the leaves read in one hold of the read lock.
const walkChunk = 128

// walkLeaf is a leaf's state as read under the lock.
type walkLeaf struct {
	n    *node
	data []byte
	acl  int64
	stat proto.StatPersisted
	leaf bool
}

func (t *Tree) walk(path string, n *node, fn WalkFunc) error {
	t.mu.RLock()
	data, acl, stat := n.data(), t.aclRef(n), n.persisted()
	kids := n.sortedKids()
	t.mu.RUnlock()
	if err := fn(path, data, acl, stat); err != nil {
		return err
	}
	var buf [walkChunk]walkLeaf
	for len(kids) > 0 {
		chunk := buf[:min(len(kids), walkChunk)]
		t.mu.RLock()
		for i := range chunk {
			c := kids[i]
			if c.kids != nil {
				chunk[i] = walkLeaf{n: c}
				continue
			}
			chunk[i] = walkLeaf{n: c, data: c.data(), acl: t.aclRef(c), stat: c.persisted(), leaf: true}
		}
		t.mu.RUnlock()
		kids = kids[len(chunk):]
		for i := range chunk {
			w := &chunk[i]
			var err error
			if w.leaf {
				err = fn(path+"/"+w.n.name(), w.data, w.acl, w.stat)
			} else {
				err = t.walk(path+"/"+w.n.name(), w.n, fn)
			}
			if err != nil {
				return err
			}
			*w = walkLeaf{}
		}
	}
	return nil
}

// ACLCacheSnapshot copies the aclRef → ACL map a snapshot stores before the
// nodes. The lists are shared; do not modify them.
func (t *Tree) ACLCacheSnapshot() map[int64][]proto.ACL {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.acls.snapshot()
}

// ErrBadSnapshot reports a node list that does not form a tree.
var ErrBadSnapshot = errors.New("datatree: invalid snapshot tree")

// Loader rebuilds a Tree from a snapshot (DataTree.deserialize). Call
// SetACLCache and AddNode (for every node, parents before children, the
// root as ""), then Finish. A Loader is not safe for concurrent use.
type Loader struct {
	t        *Tree
	aclMap   map[int64][]proto.ACL
	haveRoot bool
	err      error
	// The parent of the last node added, which a snapshot's pre-order
	// makes the parent of the next one too, mostly.
	lastParentPath string
	lastParent     *node
	names          nameArena
}

// NewLoader starts an empty tree with the given options.
func NewLoader(opts ...Option) *Loader {
	return &Loader{t: newEmpty(newConfig(opts))}
}

// SetACLCache gives the snapshot's aclRef → ACL map.
func (l *Loader) SetACLCache(m map[int64][]proto.ACL) { l.aclMap = m }

// AddNode adds one node. Its parent must already be there. Data and stat
// are kept as given (the tree takes ownership of data; path is copied).
func (l *Loader) AddNode(path string, data []byte, aclRef int64, stat proto.StatPersisted) error {
	if l.err != nil {
		return l.err
	}
	t := l.t
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		if path != "" {
			l.err = fmt.Errorf("%w: path %q has no '/'", ErrBadSnapshot, path)
			return l.err
		}
		if t.root == nil {
			t.root = &node{}
			t.count++
		} else {
			t.removeDigest("", t.root) // a repeated root replaces the node
		}
		l.fill(t.root, data, aclRef, stat)
		t.addDigest("", t.root)
		l.haveRoot = true
		return nil
	}
	if path == RootPath {
		l.err = fmt.Errorf("%w: root stored as %q, not \"\"", ErrBadSnapshot, path)
		return l.err
	}
	parentPath, name := path[:i], path[i+1:]
	if parentPath == RootPath || name == "" {
		l.err = fmt.Errorf("%w: empty name in %q", ErrBadSnapshot, path)
		return l.err
	}
	parent := l.lastParent
	if parent == nil || parentPath != l.lastParentPath {
		parent = nil
		if t.root != nil {
			parent = t.lookup(parentPath)
		}
		if parent == nil {
			l.err = fmt.Errorf("%w: no parent %q of %q", ErrBadSnapshot, parentPath, path)
			return l.err
		}
		// A copy: path belongs to the caller's decoder.
		l.lastParentPath, l.lastParent = strings.Clone(parentPath), parent
	}
	n := t.childNode(parent, name)
	if n != nil {
		t.removeDigest(path, n) // a repeated path replaces the node
	} else {
		n = newNode(l.names.intern(name), nil)
		t.addChild(parent, n)
		t.count++
	}
	l.fill(n, data, aclRef, stat)
	t.addDigest(path, n)
	switch t.cfg.ephemeralType(stat.EphemeralOwner) {
	case Container:
		t.containers[path] = struct{}{}
	case TTL:
		t.ttls[path] = struct{}{}
	case Ephemeral:
		set := t.ephemerals[stat.EphemeralOwner]
		if set == nil {
			set = make(map[string]struct{})
			t.ephemerals[stat.EphemeralOwner] = set
		}
		set[path] = struct{}{}
	}
	return nil
}

func (l *Loader) fill(n *node, data []byte, aclRef int64, stat proto.StatPersisted) {
	n.setData(data)
	n.setPersisted(stat)
	l.t.setACLRef(n, aclRef)
}

// Finish completes the tree: the ACL reference counts (entries no node uses
// are dropped, the next new ref follows the largest stored one), the cached
// data size and the quota set. The digest has been summed as nodes were
// added. Set the last processed zxid and any snapshot digest on the result.
func (l *Loader) Finish() (*Tree, error) {
	if l.err != nil {
		return nil, l.err
	}
	if !l.haveRoot {
		return nil, fmt.Errorf("%w: no root", ErrBadSnapshot)
	}
	t := l.t
	t.acls.load(l.aclMap)
	// Java counts a use per map entry except "/": the root once.
	var count func(n *node)
	count = func(n *node) {
		t.acls.addUsage(t.aclRef(n))
		n.eachChild(count)
	}
	count(t.root)
	t.dataSize = t.computeDataSize()
	t.setupQuota()
	t.acls.purgeUnused()
	l.err = errors.New("datatree: loader already finished")
	l.lastParent = nil
	return t, nil
}

// HasRoot reports whether the root node has been added.
func (l *Loader) HasRoot() bool { return l.haveRoot }

// nameArena packs the names of loaded nodes into shared chunks: one
// allocation per chunk instead of one per name, and no rounding up to a
// size class. A chunk lives while any name in it does, so deleting most of
// a loaded tree frees less than it would otherwise.
type nameArena struct {
	buf []byte // bytes before len are never written again
}

const nameChunk = 16 << 10

func (a *nameArena) intern(s string) string {
	if len(s) == 0 || len(s) > nameChunk/16 {
		return strings.Clone(s)
	}
	if cap(a.buf)-len(a.buf) < len(s) {
		a.buf = make([]byte, 0, nameChunk)
	}
	start := len(a.buf)
	a.buf = append(a.buf, s...)
	// The bytes are never written again (append only writes past len), so
	// viewing them as a string is safe.
	return unsafe.String(&a.buf[start], len(s))
}
