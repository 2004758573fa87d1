package engine

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/statemachine"
	"github.com/zkit-go/zkit/internal/zpath"
)

// prepState is the prep stage's view of writes that are prepped but not yet
// applied (ZooKeeper's outstanding changes): prep validates each write
// against the tree overlaid with these records.
type prepState struct {
	zxid int64 // the last zxid handed out; prep goroutine only

	mu          sync.Mutex // guards outstanding and order
	outstanding map[string]*changeRecord
	order       []*changeRecord // by zxid, oldest first
}

// changeRecord is what a node will look like once the txns prepped so far
// are applied. exists is false for a node an in-flight txn deletes.
type changeRecord struct {
	zxid       int64
	path       string
	exists     bool
	stat       proto.StatPersisted
	dataLen    int64 // the node's data length, for quota checks
	childCount int
	acl        []proto.ACL
}

func (p *prepState) init(lastZxid int64) {
	p.zxid = lastZxid
	p.outstanding = make(map[string]*changeRecord)
}

func (p *prepState) add(c *changeRecord) {
	p.mu.Lock()
	p.outstanding[c.path] = c
	p.order = append(p.order, c)
	p.mu.Unlock()
}

func (p *prepState) get(path string) *changeRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.outstanding[path]
}

// applied drops the records of txns up to zxid, which the tree now shows.
func (p *prepState) applied(zxid int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for n < len(p.order) && p.order[n].zxid <= zxid {
		c := p.order[n]
		if p.outstanding[c.path] == c {
			delete(p.outstanding, c.path)
		}
		p.order[n] = nil
		n++
	}
	p.order = p.order[n:]
}

// rollback removes the records of a failed multi (all at zxid) and puts
// back the records it had replaced, as ZooKeeper's rollbackPendingChanges.
func (p *prepState) rollback(zxid int64, saved map[string]*changeRecord) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.order) > 0 && p.order[len(p.order)-1].zxid == zxid {
		c := p.order[len(p.order)-1]
		p.order = p.order[:len(p.order)-1]
		delete(p.outstanding, c.path)
	}
	if len(p.order) == 0 {
		return
	}
	first := p.order[0].zxid
	for path, c := range saved {
		if c.zxid >= first {
			p.outstanding[path] = c
		}
	}
}

// record returns the node at path as prep must see it, or NONODE.
func (e *Engine) record(path string) (*changeRecord, error) {
	if path == "" {
		path = "/"
	}
	if c := e.prep.get(path); c != nil {
		if !c.exists {
			return nil, proto.ErrNoNode
		}
		return c, nil
	}
	info, ok := e.tree.Lookup(path)
	if !ok {
		return nil, proto.ErrNoNode
	}
	return &changeRecord{
		zxid:       -1,
		path:       path,
		exists:     true,
		stat:       info.Persisted,
		dataLen:    int64(info.Stat.DataLength),
		childCount: info.NumChildren,
		acl:        info.ACL,
	}, nil
}

func (c *changeRecord) duplicate(zxid int64) *changeRecord {
	d := *c
	d.zxid = zxid
	return &d
}

func (e *Engine) prepLoop() {
	for {
		select {
		case r := <-e.prepCh:
			if r.syncFrom != 0 {
				// After every proposal prepped before it, as Java's
				// ProposalRequestProcessor hands a LearnerSyncRequest to
				// Leader.processSync.
				e.cfg.Quorum.(LearnerSyncer).SyncLearner(r.syncFrom)
				continue
			}
			e.prepRequest(r)
			t := statemachine.NewTxn(r.hdr, r.txn)
			t.Origin = r
			e.repl.Replicate(t)
		case <-e.stop:
			return
		}
	}
}

// prepRequest turns a write into a txn with the next zxid. A write that
// fails becomes an error txn, which still takes its zxid.
func (e *Engine) prepRequest(r *request) {
	e.prep.zxid++
	zxid := e.prep.zxid
	r.hdr = proto.TxnHeader{
		ClientID: r.sessionID,
		Cxid:     r.cxid,
		Zxid:     zxid,
		Time:     time.Now().UnixMilli(),
		Type:     r.op,
	}
	var (
		txn jute.Record
		err error
	)
	if r.decodeErr {
		err = proto.ErrMarshallingError
	} else if r.op == proto.OpMulti {
		txn, err = e.prepMulti(r, zxid)
	} else if r.op == proto.OpCheck {
		// A top-level check forwarded by a learner that still accepts it
		// (Java before 3.9.3): an error txn, which every reader replays,
		// never a check txn outside a multi (ZOOKEEPER-2623).
		err = proto.ErrUnimplemented
	} else {
		txn, err = e.prepOp(r, r.op, r.rec, zxid)
	}
	if err != nil {
		r.hdr.Type = proto.OpError
		txn = &proto.ErrorTxn{Err: codeOf(err)}
	}
	r.txn = txn
}

// codeOf maps an internal error to the ZooKeeper code sent on the wire.
func codeOf(err error) proto.Code {
	var c proto.Code
	if asCode(err, &c) {
		return c
	}
	return proto.ErrSystemError
}

// checkSession fails a write from a session that is gone or closing.
func (e *Engine) checkSession(r *request) error {
	if r.internal {
		return nil
	}
	if e.local != nil {
		if e.local.Contains(r.sessionID) {
			// Only this engine holds a local session: no owner to check.
			return e.local.CheckSession(r.sessionID, nil)
		}
		// Another member's local session: only that member knows it
		// (LeaderSessionTracker.checkSession).
		if !e.sessions.Contains(r.sessionID) && r.sessionID>>56 != e.serverID {
			return nil
		}
	}
	return e.sessions.CheckSession(r.sessionID, r.ownerOf())
}

func (e *Engine) checkACL(acls []proto.ACL, perm int32, authInfo []proto.ID) error {
	return e.auth.Check(acls, perm, authInfo)
}

func (e *Engine) prepOp(r *request, op proto.OpCode, rec jute.Record, zxid int64) (jute.Record, error) {
	switch op {
	case proto.OpCreate, proto.OpCreate2, proto.OpCreateContainer, proto.OpCreateTTL:
		return e.prepCreate(r, op, rec, zxid)
	case proto.OpDeleteContainer:
		return e.prepDeleteContainer(rec.(*proto.PathRequest).Path, zxid)
	case proto.OpDelete:
		if err := e.checkSession(r); err != nil {
			return nil, err
		}
		req := rec.(*proto.DeleteRequest)
		parentPath, err := parentForDelete(req.Path)
		if err != nil {
			return nil, err
		}
		parent, err := e.record(parentPath)
		if err != nil {
			return nil, err
		}
		if err := e.checkACL(parent.acl, proto.PermDelete, r.authInfo); err != nil {
			return nil, err
		}
		node, err := e.record(req.Path)
		if err != nil {
			return nil, err
		}
		if _, err := checkVersion(node.stat.Version, req.Version); err != nil {
			return nil, err
		}
		if node.childCount > 0 {
			return nil, proto.ErrNotEmpty
		}
		e.recordDelete(parent, req.Path, zxid)
		return &proto.DeleteTxn{Path: req.Path}, nil
	case proto.OpSetData:
		if err := e.checkSession(r); err != nil {
			return nil, err
		}
		req := rec.(*proto.SetDataRequest)
		if err := zpath.Validate(req.Path); err != nil {
			return nil, proto.ErrBadArguments
		}
		node, err := e.record(req.Path)
		if err != nil {
			return nil, err
		}
		if err := e.checkACL(node.acl, proto.PermWrite, r.authInfo); err != nil {
			return nil, err
		}
		if err := e.checkQuota(req.Path, int64(len(req.Data))-node.dataLen, 0); err != nil {
			return nil, err
		}
		v, err := checkVersion(node.stat.Version, req.Version)
		if err != nil {
			return nil, err
		}
		n := node.duplicate(zxid)
		n.stat.Version = v
		n.dataLen = int64(len(req.Data))
		n.stat.Mzxid = zxid
		n.stat.Mtime = r.hdr.Time
		e.prep.add(n)
		return &proto.SetDataTxn{Path: req.Path, Data: req.Data, Version: v}, nil
	case proto.OpSetACL:
		if err := e.checkSession(r); err != nil {
			return nil, err
		}
		req := rec.(*proto.SetACLRequest)
		if err := zpath.Validate(req.Path); err != nil {
			return nil, proto.ErrBadArguments
		}
		acls, err := e.auth.FixupACL(req.ACL, r.authInfo)
		if err != nil {
			return nil, err
		}
		node, err := e.record(req.Path)
		if err != nil {
			return nil, err
		}
		if err := e.checkACL(node.acl, proto.PermAdmin, r.authInfo); err != nil {
			return nil, err
		}
		v, err := checkVersion(node.stat.Aversion, req.Version)
		if err != nil {
			return nil, err
		}
		n := node.duplicate(zxid)
		n.stat.Aversion = v
		n.acl = acls
		e.prep.add(n)
		return &proto.SetACLTxn{Path: req.Path, ACL: acls, Version: v}, nil
	case proto.OpCheck:
		if err := e.checkSession(r); err != nil {
			return nil, err
		}
		req := rec.(*proto.CheckVersionRequest)
		if err := zpath.Validate(req.Path); err != nil {
			return nil, proto.ErrBadArguments
		}
		node, err := e.record(req.Path)
		if err != nil {
			return nil, err
		}
		if err := e.checkACL(node.acl, proto.PermRead, r.authInfo); err != nil {
			return nil, err
		}
		v, err := checkVersion(node.stat.Version, req.Version)
		if err != nil {
			return nil, err
		}
		return &proto.CheckVersionTxn{Path: req.Path, Version: v}, nil
	case proto.OpCreateSession:
		// A session created on a learner reaches the leader's tracker here.
		e.sessions.Add(r.sessionID, r.connect.timeout, time.Now().UnixMilli())
		if !r.internal {
			// The creator holds it (PrepRequestProcessor's setOwner); a
			// local session's upgrade leaves the owner to its next write.
			e.sessions.SetOwner(r.sessionID, r.ownerOf())
		}
		return &proto.CreateSessionTxn{TimeOut: r.connect.timeout}, nil
	case proto.OpCloseSession:
		return e.prepCloseSession(r, zxid), nil
	case proto.OpReconfig:
		return e.prepReconfig(r, rec.(*proto.ReconfigRequest), zxid)
	}
	return nil, proto.ErrUnimplemented
}

// checkVersion returns the next version, or BADVERSION if expected is
// neither -1 nor current.
func checkVersion(current, expected int32) (int32, error) {
	if expected != -1 && expected != current {
		return 0, proto.ErrBadVersion
	}
	return current + 1, nil
}

// specialPaths may not be deleted.
func isSpecialPath(p string) bool {
	switch p {
	case "/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config":
		return true
	}
	return false
}

// parentForDelete is ZooKeeper's getParentPathAndValidate.
func parentForDelete(p string) (string, error) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 || strings.IndexByte(p, 0) >= 0 || isSpecialPath(p) {
		return "", proto.ErrBadArguments
	}
	return p[:i], nil
}

func (e *Engine) recordDelete(parent *changeRecord, path string, zxid int64) {
	p := parent.duplicate(zxid)
	p.childCount--
	p.stat.Pzxid = zxid
	e.prep.add(p)
	e.prep.add(&changeRecord{zxid: zxid, path: path})
}

func (e *Engine) prepDeleteContainer(path string, zxid int64) (jute.Record, error) {
	parentPath, err := parentForDelete(path)
	if err != nil {
		return nil, err
	}
	node, err := e.record(path)
	if err != nil {
		return nil, err
	}
	if node.childCount > 0 {
		return nil, proto.ErrNotEmpty
	}
	if e.ownerKind(node.stat.EphemeralOwner) == kindEphemeral {
		return nil, proto.ErrBadVersion
	}
	parent, err := e.record(parentPath)
	if err != nil {
		return nil, err
	}
	e.recordDelete(parent, path, zxid)
	return &proto.DeleteTxn{Path: path}, nil
}

type ownerKind int

const (
	kindPersistent ownerKind = iota
	kindEphemeral
	kindContainer
	kindTTL
)

// ownerKind decodes an ephemeralOwner as ZooKeeper's EphemeralType.get.
func (e *Engine) ownerKind(owner int64) ownerKind {
	if e.cfg.ExtendedTypesEnabled && owner&proto.TTLOwnerMask == proto.TTLOwnerMask {
		return kindTTL
	}
	switch {
	case owner == proto.ContainerOwner:
		return kindContainer
	case owner == 0:
		return kindPersistent
	}
	return kindEphemeral
}

func (e *Engine) prepCreate(r *request, op proto.OpCode, rec jute.Record, zxid int64) (jute.Record, error) {
	var (
		path  string
		data  []byte
		acls  []proto.ACL
		flags int32
		ttl   int64 = -1
	)
	if op == proto.OpCreateTTL {
		req := rec.(*proto.CreateTTLRequest)
		path, data, acls, flags, ttl = req.Path, req.Data, req.ACL, req.Flags, req.TTL
	} else {
		req := rec.(*proto.CreateRequest)
		path, data, acls, flags = req.Path, req.Data, req.ACL, req.Flags
	}
	if flags < proto.FlagPersistent || flags > proto.FlagPersistentSequentialWithTTL {
		return nil, proto.ErrBadArguments
	}
	isTTL := flags == proto.FlagPersistentWithTTL || flags == proto.FlagPersistentSequentialWithTTL
	isEphemeral := flags == proto.FlagEphemeral || flags == proto.FlagEphemeralSequential
	isSequential := flags == proto.FlagPersistentSequential || flags == proto.FlagEphemeralSequential ||
		flags == proto.FlagPersistentSequentialWithTTL
	isContainer := flags == proto.FlagContainer
	// validateCreateRequest
	if isTTL && !e.cfg.ExtendedTypesEnabled {
		return nil, proto.ErrUnimplemented
	}
	if isTTL {
		if ttl <= 0 || ttl > proto.MaxTTL {
			return nil, proto.ErrBadArguments
		}
	} else if ttl >= 0 {
		return nil, proto.ErrBadArguments
	}
	if err := e.checkSession(r); err != nil {
		return nil, err
	}
	// validatePathForCreate
	slash := strings.LastIndexByte(path, '/')
	if slash < 0 || strings.IndexByte(path, 0) >= 0 {
		return nil, proto.ErrBadArguments
	}
	parentPath := path[:slash]
	fixed, err := e.auth.FixupACL(acls, r.authInfo)
	if err != nil {
		return nil, err
	}
	parent, err := e.record(parentPath)
	if err != nil {
		return nil, err
	}
	if err := e.checkACL(parent.acl, proto.PermCreate, r.authInfo); err != nil {
		return nil, err
	}
	if isSequential {
		path += zpath.SequenceSuffix(parent.stat.Cversion)
	}
	if err := zpath.Validate(path); err != nil {
		return nil, proto.ErrBadArguments
	}
	if _, err := e.record(path); err == nil {
		return nil, proto.ErrNodeExists
	}
	if e.ownerKind(parent.stat.EphemeralOwner) == kindEphemeral {
		return nil, proto.ErrNoChildrenForEphemerals
	}
	newCversion := parent.stat.Cversion + 1
	if err := e.checkQuota(path, int64(len(data)), 1); err != nil {
		return nil, err
	}
	var txn jute.Record
	switch op {
	case proto.OpCreateContainer:
		txn = &proto.CreateContainerTxn{Path: path, Data: data, ACL: fixed, ParentCVersion: newCversion}
	case proto.OpCreateTTL:
		txn = &proto.CreateTTLTxn{Path: path, Data: data, ACL: fixed, ParentCVersion: newCversion, TTL: ttl}
	default:
		txn = &proto.CreateTxn{Path: path, Data: data, ACL: fixed, Ephemeral: isEphemeral, ParentCVersion: newCversion}
	}
	var owner int64
	switch {
	case isContainer:
		owner = proto.ContainerOwner
	case isTTL:
		owner = proto.TTLOwnerMask | ttl
	case isEphemeral:
		owner = r.sessionID
	}
	p := parent.duplicate(zxid)
	p.childCount++
	p.stat.Cversion = newCversion
	p.stat.Pzxid = zxid
	e.prep.add(p)
	e.prep.add(&changeRecord{
		zxid:   zxid,
		path:   path,
		exists: true,
		stat: proto.StatPersisted{
			Czxid: zxid, Mzxid: zxid, Pzxid: zxid,
			Ctime: r.hdr.Time, Mtime: r.hdr.Time,
			EphemeralOwner: owner,
		},
		dataLen: int64(len(data)),
		acl:     fixed,
	})
	return txn, nil
}

func (e *Engine) prepCloseSession(r *request, zxid int64) jute.Record {
	set := make(map[string]bool)
	for _, p := range e.tree.Ephemerals(r.sessionID) {
		set[p] = true
	}
	e.prep.mu.Lock()
	for _, c := range e.prep.order {
		if !c.exists {
			delete(set, c.path)
		} else if c.stat.EphemeralOwner == r.sessionID {
			set[c.path] = true
		}
	}
	e.prep.mu.Unlock()
	paths := make([]string, 0, len(set))
	for p := range set {
		paths = append(paths, p)
	}
	for _, p := range paths {
		e.prep.add(&changeRecord{zxid: zxid, path: p})
	}
	e.sessions.SetClosing(r.sessionID)
	return &proto.CloseSessionTxn{Paths2Delete: paths}
}

// prepMulti preps each op of a multi against the changes of the ops before
// it. On the first failure the multi's records are rolled back and every op
// becomes an error sub-txn: 0 before the failing op, its code for it, and
// RUNTIMEINCONSISTENCY after it.
func (e *Engine) prepMulti(r *request, zxid int64) (jute.Record, error) {
	req := r.rec.(*proto.MultiRequest)
	saved := make(map[string]*changeRecord)
	for _, op := range req.Ops {
		p := opPath(op)
		if c := e.prep.get(p); c != nil {
			saved[p] = c
		}
		if i := strings.LastIndexByte(p, '/'); i >= 0 && strings.IndexByte(p, 0) < 0 {
			pp := p[:i]
			if pp == "" {
				pp = "/"
			}
			if c := e.prep.get(pp); c != nil {
				saved[pp] = c
			}
		}
	}
	txns := make([]proto.Txn, 0, len(req.Ops))
	var failed bool
	for _, op := range req.Ops {
		var (
			typ = op.Type
			sub jute.Record
		)
		if failed {
			typ, sub = proto.OpError, &proto.ErrorTxn{Err: proto.ErrRuntimeInconsistency}
		} else {
			var err error
			sub, err = e.prepOp(r, op.Type, op.Record, zxid)
			if err != nil {
				failed = true
				typ, sub = proto.OpError, &proto.ErrorTxn{Err: codeOf(err)}
				e.prep.rollback(zxid, saved)
			}
		}
		txns = append(txns, proto.Txn{Type: typ, Data: jute.Marshal(sub)})
	}
	return &proto.MultiTxn{Txns: txns}, nil
}

func opPath(op proto.MultiOp) string {
	switch rec := op.Record.(type) {
	case *proto.CreateRequest:
		return rec.Path
	case *proto.CreateTTLRequest:
		return rec.Path
	case *proto.PathVersionRequest:
		return rec.Path
	case *proto.SetDataRequest:
		return rec.Path
	case *proto.PathWatchRequest:
		return rec.Path
	}
	return ""
}

func hex(v int64) string { return "0x" + strconv.FormatInt(v, 16) }

// prepReconfig is PrepRequestProcessor's reconfig case: the new
// configuration becomes a setData of /zookeeper/config (data version -1),
// applied to the tree at commit like any setData, and activated by the
// ensemble when it commits.
func (e *Engine) prepReconfig(r *request, req *proto.ReconfigRequest, zxid int64) (jute.Record, error) {
	if !e.cfg.ReconfigEnabled {
		e.log.Error("reconfig requested but reconfigEnabled is false")
		return nil, proto.ErrReconfigDisabled
	}
	if e.cfg.SkipACL {
		e.log.Warn("skipACL is set, reconfig operation will skip ACL checks")
	}
	if err := e.checkSession(r); err != nil {
		return nil, err
	}
	if e.cfg.Reconfig == nil {
		return nil, proto.ErrUnimplemented // standalone
	}
	// Java checks the caller's permission last, after the configuration.
	// NextConfig marks the reconfig in progress, so nothing may fail after
	// it: the configuration is checked first without marking, then the
	// permission, then NextConfig checks again and marks.
	if ck, ok := e.cfg.Reconfig.(ReconfigChecker); ok {
		if err := ck.CheckConfig(req); err != nil {
			return nil, err
		}
	}
	node, err := e.record("/zookeeper/config")
	if err != nil {
		return nil, err
	}
	if err := e.checkACL(node.acl, proto.PermWrite, r.authInfo); err != nil {
		return nil, err
	}
	data, err := e.cfg.Reconfig.NextConfig(req, zxid)
	if err != nil {
		return nil, err
	}
	n := node.duplicate(zxid)
	n.stat.Version = -1
	n.stat.Mtime = r.hdr.Time
	n.stat.Mzxid = zxid
	n.dataLen = int64(len(data))
	e.prep.add(n)
	return &proto.SetDataTxn{Path: "/zookeeper/config", Data: data, Version: -1}, nil
}
