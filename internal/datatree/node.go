package datatree

import (
	"hash/maphash"
	"math"
	"slices"
	"strings"
	"unsafe"

	"github.com/zkit-go/zkit/internal/proto"
)

// The node layout is what bounds zkit's memory with millions of znodes, so
// it is kept compact (96 bytes, one size class, per node):
//
//   - The tree is linked by names: a node holds its last path component, and
//     its parent finds it in a small hash set. There is no map of full paths
//     and no path string per node; a lookup walks the components.
//   - A leaf allocates nothing for children (kids is nil).
//   - The stat is stored in ZooKeeper's persisted form without padding, with
//     the aclRef squeezed into 32 bits (larger refs, never made by ZooKeeper
//     itself, live in Tree.bigACL).
//   - The node's digest is not stored: preChange recomputes it, which gives
//     the same value because every change to a digested field is bracketed
//     by preChange/postChange.

// node is one znode. Its data slice is never written after the node takes
// it: a change replaces the slice, so readers may keep the old one.
//
// The name and the data are kept as a pointer and a 32-bit length each
// (name and data rebuild them), not as a string and a slice: 24 bytes
// fewer, which takes the node from 120 bytes (a 128-byte object) to 96.
// Both are immutable once set, which is what makes the unsafe views sound;
// nil data (ptr nil) and empty data (ptr set, length 0) stay distinct.
type node struct {
	nameP *byte   // last path component; "" for the root
	dataP *byte   // shared with readers; replaced, never modified
	kids  *kidSet // nil while the node has no children
	stat  nodeStat
	nameN int32
	dataN int32
}

func newNode(name string, data []byte) *node {
	n := &node{}
	n.setName(name)
	n.setData(data)
	return n
}

func (n *node) name() string { return unsafe.String(n.nameP, n.nameN) }

func (n *node) setName(s string) {
	n.nameP, n.nameN = unsafe.StringData(s), int32(len(s))
}

// data returns the node's data (nil if it has none). Its capacity is its
// length, so appending to it cannot write into the node's bytes.
func (n *node) data() []byte {
	if n.dataP == nil {
		return nil
	}
	return unsafe.Slice(n.dataP, n.dataN)
}

// setData makes b the node's data; the node owns it from now on. Data is
// bounded by the packet size limit, far below 2 GiB.
func (n *node) setData(b []byte) {
	n.dataP, n.dataN = unsafe.SliceData(b), int32(len(b))
}

// nodeStat is proto.StatPersisted without padding, plus the aclRef.
// cversion is the stored create count.
type nodeStat struct {
	czxid, mzxid, pzxid int64
	ctime, mtime        int64
	owner               int64 // ephemeralOwner
	version, cversion   int32
	aversion            int32
	acl                 int32 // aclRef, or aclRefBig
}

// aclRefBig in nodeStat.acl means the node's aclRef does not fit in 32 bits
// and is kept in Tree.bigACL.
const aclRefBig = math.MinInt32

func (n *node) persisted() proto.StatPersisted {
	s := &n.stat
	return proto.StatPersisted{
		Czxid: s.czxid, Mzxid: s.mzxid, Pzxid: s.pzxid,
		Ctime: s.ctime, Mtime: s.mtime,
		Version: s.version, Cversion: s.cversion, Aversion: s.aversion,
		EphemeralOwner: s.owner,
	}
}

func (n *node) setPersisted(p proto.StatPersisted) {
	acl := n.stat.acl
	n.stat = nodeStat{
		czxid: p.Czxid, mzxid: p.Mzxid, pzxid: p.Pzxid,
		ctime: p.Ctime, mtime: p.Mtime,
		version: p.Version, cversion: p.Cversion, aversion: p.Aversion,
		owner: p.EphemeralOwner,
		acl:   acl,
	}
}

func (n *node) numChildren() int {
	if n.kids == nil {
		return 0
	}
	return n.kids.n
}

// aclRef returns n's aclRef.
func (t *Tree) aclRef(n *node) int64 {
	if n.stat.acl == aclRefBig {
		return t.bigACL[n]
	}
	return int64(n.stat.acl)
}

// setACLRef sets n's aclRef.
func (t *Tree) setACLRef(n *node, ref int64) {
	if n.stat.acl == aclRefBig {
		delete(t.bigACL, n)
	}
	if ref > math.MinInt32 && ref <= math.MaxInt32 {
		n.stat.acl = int32(ref)
		return
	}
	if t.bigACL == nil {
		t.bigACL = make(map[*node]int64)
	}
	t.bigACL[n] = ref
	n.stat.acl = aclRefBig
}

// forgetNode drops what the tree keeps about n outside the node itself.
func (t *Tree) forgetNode(n *node) {
	if n.stat.acl == aclRefBig {
		delete(t.bigACL, n)
	}
}

// lookup finds the node at path ("" and "/" are the root). It walks the
// path's components from the root.
func (t *Tree) lookup(path string) *node {
	n := t.root
	if path == "" || path == RootPath {
		return n
	}
	if path[0] != '/' {
		return nil
	}
	rest := path[1:]
	for {
		i := strings.IndexByte(rest, '/')
		name := rest
		if i >= 0 {
			name = rest[:i]
		}
		if n.kids == nil {
			return nil
		}
		n = n.kids.get(t.seed, name)
		if n == nil || i < 0 {
			return n
		}
		rest = rest[i+1:]
	}
}

// childNode returns parent's child called name, or nil.
func (t *Tree) childNode(parent *node, name string) *node {
	if parent.kids == nil {
		return nil
	}
	return parent.kids.get(t.seed, name)
}

// addChild links c under parent; no child of that name may be there.
func (t *Tree) addChild(parent, c *node) {
	if parent.kids == nil {
		parent.kids = &kidSet{}
	}
	parent.kids.add(t.seed, c)
}

// removeChild unlinks parent's child called name and returns it (nil if
// there is none). An emptied set is freed.
func (t *Tree) removeChild(parent *node, name string) *node {
	if parent.kids == nil {
		return nil
	}
	c := parent.kids.remove(t.seed, name)
	if parent.kids.n == 0 {
		parent.kids = nil
	}
	return c
}

// sortedChildren returns the child names in order.
func (n *node) sortedChildren() []string {
	if n.kids == nil {
		return nil
	}
	out := make([]string, 0, n.kids.n)
	for _, c := range n.kids.tab {
		if c != nil {
			out = append(out, c.name())
		}
	}
	slices.Sort(out)
	return out
}

// sortedKids returns the children ordered by name.
func (n *node) sortedKids() []*node {
	if n.kids == nil {
		return nil
	}
	type named struct {
		name string
		n    *node
	}
	tmp := make([]named, 0, n.kids.n)
	for _, c := range n.kids.tab {
		if c != nil {
			tmp = append(tmp, named{c.name(), c})
		}
	}
	slices.SortFunc(tmp, func(a, b named) int { return strings.Compare(a.name, b.name) })
	out := make([]*node, len(tmp))
	for i := range tmp {
		out[i] = tmp[i].n
	}
	return out
}

// eachChild calls fn for every child, in no particular order.
func (n *node) eachChild(fn func(*node)) {
	if n.kids == nil {
		return
	}
	for _, c := range n.kids.tab {
		if c != nil {
			fn(c)
		}
	}
}

// kidSet is a node's children keyed by name. Up to kidListMax children it
// is a packed list searched linearly (tab[:n], no hashing); beyond that it
// is an open-addressing hash table with linear probing (len(tab) a power of
// two, at most 3/4 full), about 8-16 bytes per child against ~40 for a Go
// map keyed by name. Deletion shifts entries back, so there are no
// tombstones. The hash is seeded per tree, so clients cannot pick names
// that collide.
type kidSet struct {
	tab []*node
	n   int
}

const (
	kidListMax = 8
	kidHashMin = 32
)

func (s *kidSet) hashed() bool { return len(s.tab) > kidListMax }

func (s *kidSet) slot(seed maphash.Seed, name string) int {
	return int(maphash.String(seed, name) & uint64(len(s.tab)-1))
}

func (s *kidSet) get(seed maphash.Seed, name string) *node {
	if !s.hashed() {
		for _, c := range s.tab[:s.n] {
			if c.name() == name {
				return c
			}
		}
		return nil
	}
	mask := len(s.tab) - 1
	for i := s.slot(seed, name); ; i = (i + 1) & mask {
		c := s.tab[i]
		if c == nil || c.name() == name {
			return c
		}
	}
}

func (s *kidSet) add(seed maphash.Seed, c *node) {
	if !s.hashed() {
		if s.n < len(s.tab) {
			s.tab[s.n] = c
			s.n++
			return
		}
		if len(s.tab) < kidListMax {
			tab := make([]*node, max(1, 2*len(s.tab)))
			copy(tab, s.tab)
			s.tab = tab
			s.tab[s.n] = c
			s.n++
			return
		}
		s.rehash(seed, kidHashMin)
	} else if (s.n+1)*4 > len(s.tab)*3 {
		s.rehash(seed, 2*len(s.tab))
	}
	s.insert(seed, c)
	s.n++
}

// insert places c in a hashed table with room for it.
func (s *kidSet) insert(seed maphash.Seed, c *node) {
	mask := len(s.tab) - 1
	i := s.slot(seed, c.name())
	for s.tab[i] != nil {
		i = (i + 1) & mask
	}
	s.tab[i] = c
}

// rehash moves the children into a table of size (a list if size is at
// most kidListMax).
func (s *kidSet) rehash(seed maphash.Seed, size int) {
	old := s.tab
	s.tab = make([]*node, size)
	if size <= kidListMax {
		k := 0
		for _, c := range old {
			if c != nil {
				s.tab[k] = c
				k++
			}
		}
		return
	}
	for _, c := range old {
		if c != nil {
			s.insert(seed, c)
		}
	}
}

func (s *kidSet) remove(seed maphash.Seed, name string) *node {
	if !s.hashed() {
		for i, c := range s.tab[:s.n] {
			if c.name() == name {
				s.n--
				s.tab[i] = s.tab[s.n]
				s.tab[s.n] = nil
				return c
			}
		}
		return nil
	}
	mask := len(s.tab) - 1
	i := s.slot(seed, name)
	for {
		c := s.tab[i]
		if c == nil {
			return nil
		}
		if c.name() == name {
			break
		}
		i = (i + 1) & mask
	}
	found := s.tab[i]
	// Backward-shift deletion: move up every later entry of the probe run
	// whose home slot is not cyclically within (i, j].
	s.tab[i] = nil
	for j := (i + 1) & mask; s.tab[j] != nil; j = (j + 1) & mask {
		k := s.slot(seed, s.tab[j].name())
		if (i <= j && i < k && k <= j) || (i > j && (i < k || k <= j)) {
			continue
		}
		s.tab[i], s.tab[j] = s.tab[j], nil
		i = j
	}
	s.n--
	if s.n*8 < len(s.tab) {
		size := kidHashMin
		if s.n <= kidListMax/2 {
			size = kidListMax
		}
		for size*3 < s.n*4*2 { // aim for at most 3/8 full after shrinking
			size *= 2
		}
		if size < len(s.tab) {
			s.rehash(seed, size)
		}
	}
	return found
}
