package datatree

import (
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

// openACLRef is the aclRef of a nil ACL list, read back as OPEN_ACL_UNSAFE;
// it is never stored in the cache.
const openACLRef int64 = -1

// aclCache interns ACL lists and counts the nodes that use each one, as
// ReferenceCountedACLCache does; snapshots store the refs. It is guarded by
// the Tree's lock.
type aclCache struct {
	byRef map[int64][]proto.ACL
	byKey map[string]int64 // key: the list's jute bytes (order matters, as List.equals)
	refs  map[int64]int64
	index int64        // last ref handed out; new refs are ++index
	enc   jute.Encoder // scratch for keys, so a hit allocates nothing
}

func newACLCache() *aclCache {
	return &aclCache{
		byRef: make(map[int64][]proto.ACL),
		byKey: make(map[string]int64),
		refs:  make(map[int64]int64),
	}
}

// key returns acl's key bytes, valid until the next call.
func (c *aclCache) key(acl []proto.ACL) []byte {
	c.enc.Reset()
	proto.EncodeACLs(&c.enc, acl)
	return c.enc.Bytes()
}

// convert interns acl and counts one more use of it (convertAcls). A nil list
// is OPEN_ACL_UNSAFE and gets ref -1; an equal but non-nil list gets a ref.
func (c *aclCache) convert(acl []proto.ACL) int64 {
	if acl == nil {
		return openACLRef
	}
	k := c.key(acl)
	ref, ok := c.byKey[string(k)] // no allocation for a lookup
	if !ok {
		c.index++
		ref = c.index
		c.byRef[ref] = acl
		c.byKey[string(k)] = ref
	}
	c.addUsage(ref)
	return ref
}

// lookup returns the list for ref; ok is false for a ref the cache does not
// hold (Java throws there).
func (c *aclCache) lookup(ref int64) (acl []proto.ACL, ok bool) {
	if ref == openACLRef {
		return proto.OpenACLUnsafe, true
	}
	acl, ok = c.byRef[ref]
	return acl, ok
}

func (c *aclCache) addUsage(ref int64) {
	if ref == openACLRef {
		return
	}
	if _, ok := c.byRef[ref]; !ok {
		return // Java logs "Ignoring acl"
	}
	c.refs[ref]++
}

func (c *aclCache) removeUsage(ref int64) {
	if ref == openACLRef {
		return
	}
	acl, ok := c.byRef[ref]
	if !ok {
		return
	}
	c.refs[ref]--
	if c.refs[ref] <= 0 {
		delete(c.refs, ref)
		c.forget(ref, acl)
	}
}

// forget drops ref and, if it still owns it, acl's key. (A snapshot may hold
// two refs for equal lists; the key then points at only one of them.)
func (c *aclCache) forget(ref int64, acl []proto.ACL) {
	k := c.key(acl)
	if c.byKey[string(k)] == ref {
		delete(c.byKey, string(k))
	}
	delete(c.byRef, ref)
}

// load replaces the cache with a snapshot's map: every entry starts unused
// and the index continues from the largest ref.
func (c *aclCache) load(m map[int64][]proto.ACL) {
	*c = *newACLCache()
	for ref, acl := range m {
		if acl == nil {
			acl = []proto.ACL{}
		}
		if ref > c.index {
			c.index = ref
		}
		c.byRef[ref] = acl
		c.byKey[string(c.key(acl))] = ref
		c.refs[ref] = 0
	}
}

// purgeUnused drops entries no node uses (done after loading a snapshot).
func (c *aclCache) purgeUnused() {
	for ref, n := range c.refs {
		if n <= 0 {
			c.forget(ref, c.byRef[ref])
			delete(c.refs, ref)
		}
	}
}

// snapshot copies the ref → list map (lists are shared; they are never
// mutated).
func (c *aclCache) snapshot() map[int64][]proto.ACL {
	m := make(map[int64][]proto.ACL, len(c.byRef))
	for ref, acl := range c.byRef {
		m[ref] = acl
	}
	return m
}
