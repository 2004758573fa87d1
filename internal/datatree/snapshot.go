package datatree

import (
	"errors"
	"fmt"
	"strings"

	"github.com/zkit-go/zkit/internal/proto"
)

// WalkFunc receives one node of a Walk: its path ("" for the root), its
// data (shared; do not modify), its aclRef and its stored stat.
type WalkFunc func(path string, data []byte, aclRef int64, stat proto.StatPersisted) error

// Walk visits the tree in pre-order from the root, as a snapshot writes it
// (DataTree.serializeNode): the root as "", then "/a", "/a/b", ... with
// children in sorted order. It read-locks the tree per node, not for the
// whole walk, so writes go on meanwhile and the result is fuzzy exactly as a
// ZooKeeper snapshot is: each node is consistent in itself, and a node
// created after its parent was visited is missed. fn runs with no lock held.
// Walk stops at the first error fn returns.
func (t *Tree) Walk(fn WalkFunc) error {
	return t.walk("", fn)
}

func (t *Tree) walk(path string, fn WalkFunc) error {
	t.mu.RLock()
	n := t.nodes[path]
	if n == nil {
		t.mu.RUnlock()
		return nil
	}
	data, acl, stat := n.data, n.acl, n.stat
	children := n.sortedChildren()
	t.mu.RUnlock()
	if err := fn(path, data, acl, stat); err != nil {
		return err
	}
	for _, c := range children {
		if err := t.walk(path+"/"+c, fn); err != nil {
			return err
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
}

// NewLoader starts an empty tree with the given options.
func NewLoader(opts ...Option) *Loader {
	return &Loader{t: newEmpty(newConfig(opts))}
}

// SetACLCache gives the snapshot's aclRef → ACL map.
func (l *Loader) SetACLCache(m map[int64][]proto.ACL) { l.aclMap = m }

// AddNode adds one node. Its parent must already be there. Data and stat
// are kept as given (the tree takes ownership of data).
func (l *Loader) AddNode(path string, data []byte, aclRef int64, stat proto.StatPersisted) error {
	if l.err != nil {
		return l.err
	}
	t := l.t
	n := &node{data: data, acl: aclRef, stat: stat}
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		if path != "" {
			l.err = fmt.Errorf("%w: path %q has no '/'", ErrBadSnapshot, path)
			return l.err
		}
		if old := t.nodes[""]; old != nil {
			n.children = old.children
		}
		t.put("", n)
		l.haveRoot = true
		return nil
	}
	if path == RootPath {
		l.err = fmt.Errorf("%w: root stored as %q, not \"\"", ErrBadSnapshot, path)
		return l.err
	}
	parent := t.nodes[path[:i]]
	if parent == nil {
		l.err = fmt.Errorf("%w: no parent %q of %q", ErrBadSnapshot, path[:i], path)
		return l.err
	}
	if old := t.nodes[path]; old != nil {
		n.children = old.children // a repeated path replaces the node
	}
	t.put(path, n)
	parent.addChild(path[i+1:])
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

// Finish completes the tree: the ACL reference counts (entries no node uses
// are dropped, the next new ref follows the largest stored one), the root's
// "/" alias, the cached data size and the quota set. The digest has been
// summed as nodes were added. Set the last processed zxid and any snapshot
// digest on the result.
func (l *Loader) Finish() (*Tree, error) {
	if l.err != nil {
		return nil, l.err
	}
	if !l.haveRoot {
		return nil, fmt.Errorf("%w: no root", ErrBadSnapshot)
	}
	t := l.t
	t.acls.load(l.aclMap)
	for p, n := range t.nodes {
		if p != RootPath {
			t.acls.addUsage(n.acl)
		}
	}
	t.nodes[RootPath] = t.nodes[""]
	t.dataSize = t.computeDataSize()
	t.setupQuota()
	t.acls.purgeUnused()
	l.err = errors.New("datatree: loader already finished")
	return t, nil
}

// HasRoot reports whether the root node has been added.
func (l *Loader) HasRoot() bool { return l.haveRoot }
