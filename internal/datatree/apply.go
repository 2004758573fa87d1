package datatree

import (
	"slices"
	"strings"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

// Result is the outcome of applying one txn (DataTree.ProcessTxnResult).
type Result struct {
	// Type is the txn type as applied. Inside a failed multi every sub-txn
	// is applied as OpError.
	Type proto.OpCode
	// Err is the error code: the ErrorTxn's code for an error txn, the
	// first failing sub-txn's for a multi, else what applying hit (only on
	// replay or bad input: the prep stage makes txns that succeed).
	Err proto.Code
	// Path is the txn's path (create, delete, setData, setACL, check).
	Path string
	// Stat is the node's client stat after the change, set for create2,
	// createTTL, createContainer, setData, reconfig and setACL.
	Stat proto.Stat
	// Multi holds one Result per sub-txn of a multi.
	Multi []Result
}

// ProcessTxn applies one txn (DataTree.processTxn) and fires the watches it
// triggers. It must be called from one goroutine only (the apply loop), in
// zxid order. It takes ownership of rec: the tree keeps its data and ACL
// slices, so the caller must not modify them afterwards.
//
// Everything comes from hdr and rec (times from hdr.Time), so applying the
// same txns in the same order always gives the same tree. Java's replay
// rules are kept, so a log may be replayed over a fuzzy snapshot: a create
// raises the parent's cversion and pzxid only if the new cversion is larger;
// a create (type create only) that meets an existing node still moves the
// parent's cversion and pzxid forward; a delete raises the parent's pzxid
// even if the child is already gone.
//
// A record of the wrong type for hdr.Type, or a multi sub-txn that does not
// decode, gives ErrMarshallingError (Java would throw or stop silently).
func (t *Tree) ProcessTxn(hdr *proto.TxnHeader, rec jute.Record) Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.apply(hdr.ClientID, hdr.Zxid, hdr.Time, hdr.Type, rec)
	// lastProcessedZxid moves only after the whole txn is applied.
	if hdr.Zxid > t.lastZxid.Load() {
		t.lastZxid.Store(hdr.Zxid)
	}
	t.recordDigest(hdr.Zxid)
	return r
}

func (t *Tree) apply(session, zxid, time int64, typ proto.OpCode, rec jute.Record) (r Result) {
	r.Type = typ
	switch typ {
	case proto.OpCreate, proto.OpCreate2:
		tx, ok := rec.(*proto.CreateTxn)
		if !ok {
			return bad(r)
		}
		r.Path = tx.Path
		owner := int64(0)
		if tx.Ephemeral {
			owner = session
		}
		st, err := t.createNode(tx.Path, tx.Data, tx.ACL, owner, tx.ParentCVersion, zxid, time)
		r.Err = err
		if typ == proto.OpCreate2 {
			r.Stat = st
		}
		if typ == proto.OpCreate && err == proto.ErrNodeExists {
			// Replay over a fuzzy snapshot: the node was deleted and
			// re-created by another session after the parent was
			// serialised; still move the parent forward.
			if t.setCversionPzxid(parentOf(tx.Path), tx.ParentCVersion, zxid) != nil {
				r.Err = proto.ErrNoNode
			}
		}
	case proto.OpCreateTTL:
		tx, ok := rec.(*proto.CreateTTLTxn)
		if !ok {
			return bad(r)
		}
		r.Path = tx.Path
		if tx.TTL <= 0 || tx.TTL > proto.MaxTTL {
			r.Err = proto.ErrBadArguments
			return r
		}
		r.Stat, r.Err = t.createNode(tx.Path, tx.Data, tx.ACL, TTLOwner(tx.TTL), tx.ParentCVersion, zxid, time)
	case proto.OpCreateContainer:
		tx, ok := rec.(*proto.CreateContainerTxn)
		if !ok {
			return bad(r)
		}
		r.Path = tx.Path
		r.Stat, r.Err = t.createNode(tx.Path, tx.Data, tx.ACL, proto.ContainerOwner, tx.ParentCVersion, zxid, time)
	case proto.OpDelete, proto.OpDeleteContainer:
		tx, ok := rec.(*proto.DeleteTxn)
		if !ok {
			return bad(r)
		}
		r.Path = tx.Path
		r.Err = t.deleteNode(tx.Path, zxid)
	case proto.OpSetData, proto.OpReconfig:
		tx, ok := rec.(*proto.SetDataTxn)
		if !ok {
			return bad(r)
		}
		r.Path = tx.Path
		r.Stat, r.Err = t.setData(tx.Path, tx.Data, tx.Version, zxid, time)
	case proto.OpSetACL:
		tx, ok := rec.(*proto.SetACLTxn)
		if !ok {
			return bad(r)
		}
		r.Path = tx.Path
		r.Stat, r.Err = t.setACL(tx.Path, tx.ACL, tx.Version)
	case proto.OpCloseSession:
		var listed []string
		switch tx := rec.(type) {
		case nil:
		case *proto.CloseSessionTxn:
			listed = tx.Paths2Delete
		default:
			return bad(r)
		}
		t.killSession(session, zxid, listed)
	case proto.OpError:
		tx, ok := rec.(*proto.ErrorTxn)
		if !ok {
			return bad(r)
		}
		r.Err = tx.Err
	case proto.OpCheck:
		tx, ok := rec.(*proto.CheckVersionTxn)
		if !ok {
			return bad(r)
		}
		r.Path = tx.Path
	case proto.OpMulti:
		tx, ok := rec.(*proto.MultiTxn)
		if !ok {
			return bad(r)
		}
		t.applyMulti(session, zxid, time, tx, &r)
	}
	// createSession and anything else: nothing to do on the tree.
	return r
}

func bad(r Result) Result {
	r.Err = proto.ErrMarshallingError
	return r
}

// applyMulti applies a multi's sub-txns in order. If any sub-txn is an
// error txn the multi failed in prep: every sub-txn is then applied as an
// error, carrying 0 before the first error txn and RUNTIMEINCONSISTENCY
// after it (error txns keep their own code). r.Err is the first non-zero
// sub-result code.
func (t *Tree) applyMulti(session, zxid, time int64, tx *proto.MultiTxn, r *Result) {
	failed := slices.ContainsFunc(tx.Txns, func(s proto.Txn) bool { return s.Type == proto.OpError })
	r.Multi = make([]Result, 0, len(tx.Txns))
	postFailed := false
	for _, sub := range tx.Txns {
		var rec jute.Record
		switch sub.Type {
		case proto.OpCreate, proto.OpCreate2, proto.OpCreateTTL, proto.OpCreateContainer,
			proto.OpDelete, proto.OpDeleteContainer, proto.OpSetData, proto.OpCheck:
			rec = proto.NewTxnRecord(sub.Type)
		case proto.OpError:
			rec = &proto.ErrorTxn{}
			postFailed = true
		default:
			r.Err = proto.ErrMarshallingError
			return
		}
		if err := jute.Unmarshal(sub.Data, rec); err != nil {
			r.Err = proto.ErrMarshallingError
			return
		}
		typ := sub.Type
		if failed && typ != proto.OpError {
			code := proto.OK
			if postFailed {
				code = proto.ErrRuntimeInconsistency
			}
			typ, rec = proto.OpError, &proto.ErrorTxn{Err: code}
		}
		sr := t.apply(session, zxid, time, typ, rec)
		r.Multi = append(r.Multi, sr)
		if sr.Err != proto.OK && r.Err == proto.OK {
			r.Err = sr.Err
		}
	}
}

// parentOf returns the parent name the way DataTree does: everything before
// the last '/', so "/a" → "" (the root's other name).
func parentOf(path string) string {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return ""
	}
	return path[:i]
}

// watchPath is the path a parent's NodeChildrenChanged names: "" is "/".
func watchPath(parent string) string {
	if parent == "" {
		return RootPath
	}
	return parent
}

func (t *Tree) createNode(path string, data []byte, acl []proto.ACL, owner int64, parentCVersion int32, zxid, time int64) (proto.Stat, proto.Code) {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return proto.Stat{}, proto.ErrBadArguments
	}
	parentName, childName := path[:i], path[i+1:]
	parent := t.lookup(parentName)
	if parent == nil {
		return proto.Stat{}, proto.ErrNoNode
	}
	parentACL := t.nodeACL(parent)
	// The ACL is interned before the existence check, and an existing node
	// takes it (without releasing its old one): replaying the create of a
	// node that a fuzzy snapshot caught with a not-yet-serialised ACL
	// repairs its aclRef. This is Java's behaviour, leak included.
	ref := t.acls.convert(acl)
	existing := t.childNode(parent, childName)
	if childName == "" && path != RootPath {
		// Java would make a node with an empty name; the prep stage never
		// asks for one, and it would alias its parent here.
		return proto.Stat{}, proto.ErrBadArguments
	}
	if path == RootPath {
		existing = t.root // "/" names the root, as in Java's map
	}
	if existing != nil {
		t.setACLRef(existing, ref)
		return proto.Stat{}, proto.ErrNodeExists
	}
	t.preChange(parentName, parent)
	if parentCVersion == -1 {
		parentCVersion = parent.stat.cversion + 1
	}
	if parentCVersion > parent.stat.cversion {
		parent.stat.cversion = parentCVersion
		parent.stat.pzxid = zxid
	}
	// A copy of the name, so the node does not keep the txn's whole path
	// alive.
	child := newNode(strings.Clone(childName), data)
	child.stat = nodeStat{
		czxid: zxid, mzxid: zxid, pzxid: zxid,
		ctime: time, mtime: time,
		owner: owner,
	}
	t.setACLRef(child, ref)
	t.addChild(parent, child)
	t.count++
	t.postChange(parentName, parent)
	t.dataSize += nodeSize(path, data)
	t.addDigest(path, child)
	switch t.cfg.ephemeralType(owner) {
	case Container:
		t.containers[path] = struct{}{}
	case TTL:
		t.ttls[path] = struct{}{}
	case Ephemeral:
		set := t.ephemerals[owner]
		if set == nil {
			set = make(map[string]struct{})
			t.ephemerals[owner] = set
		}
		set[path] = struct{}{}
	}
	st := t.clientStat(child)
	t.quotaAfterCreate(path, parentName, childName, data)
	t.writeStat(path, int64(len(data)))
	t.trigger(t.dataWatches, path, proto.EventNodeCreated, acl, nil)
	t.trigger(t.childWatches, watchPath(parentName), proto.EventNodeChildrenChanged, parentACL, nil)
	return st, proto.OK
}

// deleteNode removes the node at path. Like Java it does not check for
// children (the prep stage does); a node deleted with children takes them
// out of reach, where Java's path map would keep them (they still count in
// NodeCount and the digest, as in Java).
func (t *Tree) deleteNode(path string, zxid int64) proto.Code {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return proto.ErrBadArguments
	}
	parentName, childName := path[:i], path[i+1:]
	parent := t.lookup(parentName)
	if parent == nil {
		return proto.ErrNoNode
	}
	// The parent's pzxid moves even if the child is already gone (it may
	// have been deleted while a fuzzy snapshot was taken), but never back.
	t.preChange(parentName, parent)
	var n *node
	if path != RootPath {
		n = t.removeChild(parent, childName)
	}
	if zxid > parent.stat.pzxid {
		parent.stat.pzxid = zxid
	}
	t.postChange(parentName, parent)

	if n == nil {
		return proto.ErrNoNode
	}
	acl := t.nodeACL(n)
	t.count--
	t.removeDigest(path, n)
	t.acls.removeUsage(t.aclRef(n))
	t.forgetNode(n)
	t.dataSize -= nodeSize(path, n.data())
	parentACL := t.nodeACL(parent)
	owner := n.stat.owner
	switch t.cfg.ephemeralType(owner) {
	case Container:
		delete(t.containers, path)
	case TTL:
		delete(t.ttls, path)
	case Ephemeral:
		// An emptied set stays until the session closes, as in Java
		// (the dump word lists the session with no paths).
		delete(t.ephemerals[owner], path)
	}
	t.quotaAfterDelete(path, parentName, childName, n.data())
	t.writeStat(path, 0)
	fired := t.trigger(t.dataWatches, path, proto.EventNodeDeleted, acl, nil)
	t.trigger(t.childWatches, path, proto.EventNodeDeleted, acl, fired)
	t.trigger(t.childWatches, watchPath(parentName), proto.EventNodeChildrenChanged, parentACL, nil)
	return proto.OK
}

func (t *Tree) setData(path string, data []byte, version int32, zxid, time int64) (proto.Stat, proto.Code) {
	n := t.lookup(path)
	if n == nil {
		return proto.Stat{}, proto.ErrNoNode
	}
	old := n.data()
	t.preChange(path, n)
	n.setData(data) // replaced, never written in place: readers may hold old
	n.stat.mtime = time
	n.stat.mzxid = zxid
	n.stat.version = version
	st := t.clientStat(n)
	t.postChange(path, n)
	t.quotaAfterSetData(path, old, data)
	t.writeStat(path, int64(len(data)))
	t.dataSize += nodeSize(path, data) - nodeSize(path, old)
	t.trigger(t.dataWatches, path, proto.EventNodeDataChanged, t.nodeACL(n), nil)
	return st, proto.OK
}

func (t *Tree) setACL(path string, acl []proto.ACL, version int32) (proto.Stat, proto.Code) {
	n := t.lookup(path)
	if n == nil {
		return proto.Stat{}, proto.ErrNoNode
	}
	t.acls.removeUsage(t.aclRef(n))
	t.preChange(path, n)
	n.stat.aversion = version
	t.setACLRef(n, t.acls.convert(acl))
	st := t.clientStat(n)
	t.postChange(path, n)
	return st, proto.OK
}

// setCversionPzxid is DataTree.setCversionPzxid: -1 means one more than
// now; the values move only forward.
func (t *Tree) setCversionPzxid(path string, cversion int32, zxid int64) error {
	path = strings.TrimSuffix(path, "/")
	n := t.lookup(path)
	if n == nil {
		return proto.ErrNoNode
	}
	if cversion == -1 {
		cversion = n.stat.cversion + 1
	}
	if cversion > n.stat.cversion {
		t.preChange(path, n)
		n.stat.cversion = cversion
		n.stat.pzxid = zxid
		t.postChange(path, n)
	}
	return nil
}

// killSession deletes a closed session's ephemerals: first the paths the
// CloseSessionTxn lists, in order (whoever owns them, as Java does), then
// any other ephemeral the tree still knows for the session, sorted. Missing
// nodes are skipped.
func (t *Tree) killSession(session, zxid int64, listed []string) {
	local := t.ephemerals[session]
	delete(t.ephemerals, session)
	for _, p := range listed {
		t.deleteNode(p, zxid)
		delete(local, p)
	}
	for _, p := range sortedKeys(local) {
		t.deleteNode(p, zxid)
	}
}

// InitConfig sets /zookeeper/config to a member's configuration text, as
// ZKDatabase.initConfigInZKDatabase does when a peer starts or syncs with a
// leader: data version -1, mzxid the configuration's version, mtime now.
// It is not a txn: the last processed zxid is unchanged, and the node lies
// outside the digest (like everything under /zookeeper/). A missing node
// (a tree from an old snapshot) is created first, as DataTree.addConfigNode.
func (t *Tree) InitConfig(data []byte, version, time int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lookup(ConfigPath) == nil {
		proc := t.lookup(ProcPath)
		if proc == nil {
			return
		}
		n := t.create(proc, ConfigPath, "config", []byte{}, openACLRef)
		n.stat.aversion = -1
		t.setACLRef(n, t.acls.convert(proto.ReadACLUnsafe))
	}
	t.setData(ConfigPath, data, -1, version, time)
}
