package datatree

import (
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/watch"
)

// Paths ZooKeeper creates itself.
const (
	RootPath      = "/"
	ProcPath      = "/zookeeper"
	QuotaPath     = "/zookeeper/quota"
	ConfigPath    = "/zookeeper/config"
	systemSubtree = "/zookeeper/" // excluded from the digest
)

// Option configures a Tree.
type Option func(*config)

type config struct {
	digest        bool // zookeeper.digest.enabled (default true)
	extendedTypes bool // zookeeper.extendedTypesEnabled (default false)
	emulate353TTL bool // zookeeper.emulate353TTLNodes (default false)
}

func newConfig(opts []Option) config {
	c := config{digest: true}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithDigest turns the tree digest on or off (zookeeper.digest.enabled,
// default on). Off, Digest always returns 0.
func WithDigest(on bool) Option { return func(c *config) { c.digest = on } }

// WithExtendedTypes sets zookeeper.extendedTypesEnabled (default off): only
// then is an ephemeralOwner of the form 0xFF00...|ttl a TTL node rather than
// a session's ephemeral.
func WithExtendedTypes(on bool) Option { return func(c *config) { c.extendedTypes = on } }

// WithEmulate353TTL sets zookeeper.emulate353TTLNodes (with extended types
// on, any negative owner other than a container's is a TTL node).
func WithEmulate353TTL(on bool) Option { return func(c *config) { c.emulate353TTL = on } }

// Tree is ZooKeeper's in-memory data tree (DataTree) with its watch managers.
//
// Locking: mu is a readers-writer lock over the whole tree. ProcessTxn holds
// it for writing for a whole txn (a multi included), so readers never see a
// half-applied txn; reads hold it for reading and do not serialise on each
// other. Watches are registered while the read lock is held, so no change
// can slip between a read and its watch. Watch events are delivered
// (Watcher.Notify) while ProcessTxn still holds the write lock: that is the
// one callback made under mu, and it is what guarantees that an event is
// queued on its connection before any read that sees the change can reply.
// Notify only enqueues, so holding mu across it is cheap. Lock order:
// Tree.mu, then a watch.Manager's own lock.
type Tree struct {
	cfg config

	// mu guards every field below except lastZxid and the watch managers
	// (which have their own locks).
	mu sync.RWMutex
	// root is the root node; the rest hang below it by name (node.go).
	root *node
	// count is the number of nodes (the root once). Java's map holds the
	// root twice, as "" and "/", so Java's node count is count+1.
	count      int
	seed       maphash.Seed                  // hashes child names (kidSet)
	bigACL     map[*node]int64               // aclRefs that do not fit a nodeStat
	scratch    []byte                        // nodeDigest's buffer
	ephemerals map[int64]map[string]struct{} // session id → its ephemeral paths
	containers map[string]struct{}
	ttls       map[string]struct{}
	acls       *aclCache
	digest     int64 // AdHash: wrapping sum of node digests
	dataSize   int64 // cached approximate data size (DataTree.nodeDataSize)
	quota      quotaTrie
	digestLog  digestLog

	lastZxid atomic.Int64

	dataWatches  *watch.Manager
	childWatches *watch.Manager

	ns nsStats // per-namespace read and write sizes; own locks
}

func newEmpty(cfg config) *Tree {
	return &Tree{
		cfg:          cfg,
		seed:         maphash.MakeSeed(),
		ephemerals:   make(map[int64]map[string]struct{}),
		containers:   make(map[string]struct{}),
		ttls:         make(map[string]struct{}),
		acls:         newACLCache(),
		dataWatches:  watch.NewManager(),
		childWatches: watch.NewManager(),
		ns:           newNSStats(),
	}
}

// New returns a tree holding what a fresh ZooKeeper server has: "/",
// "/zookeeper", "/zookeeper/quota" and "/zookeeper/config" (the last with
// READ_ACL_UNSAFE, aversion -1), all with zero stats and empty data.
func New(opts ...Option) *Tree {
	t := newEmpty(newConfig(opts))
	t.root = newNode("", []byte{})
	t.count = 1
	t.setACLRef(t.root, openACLRef)
	t.addDigest("", t.root)
	proc := t.create(t.root, ProcPath, "zookeeper", []byte{}, openACLRef)
	t.create(proc, QuotaPath, "quota", []byte{}, openACLRef)
	cfgNode := t.create(proc, ConfigPath, "config", []byte{}, openACLRef)
	// DataTree.addConfigNode: setACL(READ_ACL_UNSAFE, version -1).
	t.preChange(ConfigPath, cfgNode)
	cfgNode.stat.aversion = -1
	t.setACLRef(cfgNode, t.acls.convert(proto.ReadACLUnsafe))
	t.postChange(ConfigPath, cfgNode)
	t.dataSize = t.computeDataSize()
	return t
}

// javaLen is String.length() of s: UTF-16 code units.
func javaLen(s string) int64 {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			n := int64(0)
			for _, r := range s {
				if r > 0xFFFF {
					n += 2
				} else {
					n++
				}
			}
			return n
		}
	}
	return int64(len(s))
}

func nodeSize(path string, data []byte) int64 { return javaLen(path) + int64(len(data)) }

// computeDataSize sums nodeSize over every node, the root twice (as ""
// and "/").
func (t *Tree) computeDataSize() int64 {
	size := javaLen(RootPath) + 2*int64(len(t.root.data()))
	var walk func(n *node, pathLen int64)
	walk = func(n *node, pathLen int64) {
		n.eachChild(func(c *node) {
			l := pathLen + 1 + javaLen(c.name())
			size += l + int64(len(c.data()))
			walk(c, l)
		})
	}
	walk(t.root, 0)
	return size
}

// create links a new node with a zero stat and counts its digest (for
// New's fixed nodes).
func (t *Tree) create(parent *node, path, name string, data []byte, aclRef int64) *node {
	n := newNode(name, data)
	t.setACLRef(n, aclRef)
	t.addChild(parent, n)
	t.count++
	t.addDigest(path, n)
	return n
}

// preChange and postChange bracket every change to a node's data or stat
// so its digest leaves the sum and comes back recomputed.
func (t *Tree) preChange(path string, n *node)  { t.removeDigest(path, n) }
func (t *Tree) postChange(path string, n *node) { t.addDigest(path, n) }

func digested(path string) bool { return !strings.HasPrefix(path, systemSubtree) }

// addDigest adds n's digest to the tree's (NodeHashMapImpl.put).
func (t *Tree) addDigest(path string, n *node) {
	if t.cfg.digest && digested(path) {
		t.digest += t.nodeDigest(path, n)
	}
}

// removeDigest takes n's digest out of the tree's. The node is unchanged
// since addDigest, so recomputing gives the value that was added.
func (t *Tree) removeDigest(path string, n *node) {
	if t.cfg.digest && digested(path) {
		t.digest -= t.nodeDigest(path, n)
	}
}

// clientStat is DataNode.copyStat: what clients see.
func (t *Tree) clientStat(n *node) proto.Stat {
	nc := int32(n.numChildren())
	s := &n.stat
	owner := s.owner
	if t.cfg.ephemeralType(owner) != Ephemeral {
		owner = 0
	}
	return proto.Stat{
		Czxid:          s.czxid,
		Mzxid:          s.mzxid,
		Ctime:          s.ctime,
		Mtime:          s.mtime,
		Version:        s.version,
		Cversion:       s.cversion*2 - nc,
		Aversion:       s.aversion,
		EphemeralOwner: owner,
		DataLength:     int32(len(n.data())),
		NumChildren:    nc,
		Pzxid:          s.pzxid,
	}
}

// denyAll stands in for the ACL of a node whose aclRef the cache does not
// hold (possible only between loading a fuzzy snapshot and replaying the
// create that fixes it): it grants nothing, where an empty list would grant
// everything.
var denyAll = []proto.ACL{{Perms: 0, ID: proto.AnyoneID}}

func (t *Tree) nodeACL(n *node) []proto.ACL {
	acl, ok := t.acls.lookup(t.aclRef(n))
	if !ok {
		return denyAll
	}
	return acl
}

// GetData returns path's data and stat and, if w is not nil, leaves a data
// watch on it. The data slice is shared and must not be modified.
func (t *Tree) GetData(path string, w watch.Watcher) ([]byte, proto.Stat, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.lookup(path)
	if n == nil {
		return nil, proto.Stat{}, proto.ErrNoNode
	}
	if w != nil {
		t.dataWatches.Add(path, w, watch.ModeStandard)
	}
	t.readStat(path, int64(len(n.data())))
	return n.data(), t.clientStat(n), nil
}

// Exists returns path's stat. If w is not nil it leaves a data watch on path
// whether or not the node exists (an exists watch on a missing node fires
// NodeCreated).
func (t *Tree) Exists(path string, w watch.Watcher) (proto.Stat, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if w != nil {
		t.dataWatches.Add(path, w, watch.ModeStandard)
	}
	n := t.lookup(path)
	if n == nil {
		return proto.Stat{}, proto.ErrNoNode
	}
	t.readStat(path, 0)
	return t.clientStat(n), nil
}

// GetChildren returns path's child names (sorted) and stat and, if w is not
// nil, leaves a child watch on it.
func (t *Tree) GetChildren(path string, w watch.Watcher) ([]string, proto.Stat, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.lookup(path)
	if n == nil {
		return nil, proto.Stat{}, proto.ErrNoNode
	}
	if w != nil {
		t.childWatches.Add(path, w, watch.ModeStandard)
	}
	kids := n.sortedChildren()
	size := int64(0)
	for _, k := range kids {
		size += javaLen(k)
	}
	t.readStat(path, size)
	return kids, t.clientStat(n), nil
}

// GetACL returns path's ACL (shared; do not modify) and stat. A node whose
// ACL entry is missing from the cache gives ErrMarshallingError, as Java's
// RuntimeException there becomes MARSHALLINGERROR.
func (t *Tree) GetACL(path string) ([]proto.ACL, proto.Stat, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.lookup(path)
	if n == nil {
		return nil, proto.Stat{}, proto.ErrNoNode
	}
	acl, ok := t.acls.lookup(t.aclRef(n))
	if !ok {
		return nil, proto.Stat{}, proto.ErrMarshallingError
	}
	return acl, t.clientStat(n), nil
}

// AllChildrenNumber counts every descendant of path, as
// DataTree.getAllChildrenNumber: for "/" that is Java's node count minus its
// two root entries; otherwise the paths starting with path+"/". It returns
// ErrNoNode if path does not exist (FinalRequestProcessor looks the node up
// first).
func (t *Tree) AllChildrenNumber(path string) (int, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.lookup(path)
	if n == nil {
		return 0, proto.ErrNoNode
	}
	if path == RootPath {
		return t.count - 1, nil
	}
	return subtreeSize(n) - 1, nil
}

// Ephemerals returns the sorted paths of sessionID's ephemeral nodes.
func (t *Tree) Ephemerals(sessionID int64) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return sortedKeys(t.ephemerals[sessionID])
}

// EphemeralsByPrefix is the getEphemerals request: sessionID's ephemerals
// whose path starts with prefix; an empty, blank or "/" prefix selects all.
func (t *Tree) EphemeralsByPrefix(sessionID int64, prefix string) []string {
	all := t.Ephemerals(sessionID)
	if p := strings.TrimSpace(prefix); p == "" || p == "/" {
		return all
	}
	out := all[:0]
	for _, p := range all {
		if strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	return out
}

// AllEphemerals returns every session's ephemeral paths (the dump word).
func (t *Tree) AllEphemerals() map[int64][]string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make(map[int64][]string, len(t.ephemerals))
	for id, set := range t.ephemerals {
		out[id] = sortedKeys(set)
	}
	return out
}

// EphemeralsCount returns the number of ephemeral nodes (zk_ephemerals_count).
func (t *Tree) EphemeralsCount() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := 0
	for _, set := range t.ephemerals {
		n += len(set)
	}
	return n
}

func sortedKeys(set map[string]struct{}) []string {
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// NodeCount is Java's DataTree.getNodeCount: the number of nodes plus one,
// since Java's node map holds the root under both "" and "/" (a fresh server
// reports 5). This is the "Node count" of srvr and zk_znode_count.
func (t *Tree) NodeCount() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.count + 1
}

// subtreeSize counts n and its descendants.
func subtreeSize(n *node) int {
	size := 1
	n.eachChild(func(c *node) { size += subtreeSize(c) })
	return size
}

// ApproximateDataSize is Java's cached approximate data size: path lengths
// (UTF-16 units) plus data lengths, the root counted under "" and "/"
// (zk_approximate_data_size).
func (t *Tree) ApproximateDataSize() int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.dataSize
}

// LastProcessedZxid returns the zxid of the last applied txn. It takes no
// lock (pings read it).
func (t *Tree) LastProcessedZxid() int64 { return t.lastZxid.Load() }

// SetLastProcessedZxid sets the last applied zxid; the snapshot loader uses
// it (Java takes it from the snapshot's file name).
func (t *Tree) SetLastProcessedZxid(zxid int64) { t.lastZxid.Store(zxid) }

// Digest returns the tree digest (DigestCalculator version 2), 0 if digests
// are off. The log writer attaches TxnDigest{2, Digest()} after a txn.
func (t *Tree) Digest() int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.digest
}

// DigestVersion is the digest algorithm version (DigestCalculator).
const DigestVersion = 2

// NodeInfo is what the prep stage needs to validate a write on a node.
type NodeInfo struct {
	Stat      proto.Stat          // client view (cversion converted)
	Persisted proto.StatPersisted // stored view; Persisted.Cversion is the create count
	ACL       []proto.ACL         // shared; do not modify
	Type      EphemeralType
	// EphemeralOwner is the stored owner: a session id for Ephemeral, the
	// container or TTL encoding otherwise.
	EphemeralOwner int64
	NumChildren    int
}

// Lookup describes path for the prep stage. A node whose ACL entry is
// missing gets an ACL that grants nothing.
func (t *Tree) Lookup(path string) (NodeInfo, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.lookup(path)
	if n == nil {
		return NodeInfo{}, false
	}
	return NodeInfo{
		Stat:           t.clientStat(n),
		Persisted:      n.persisted(),
		ACL:            t.nodeACL(n),
		Type:           t.cfg.ephemeralType(n.stat.owner),
		EphemeralOwner: n.stat.owner,
		NumChildren:    n.numChildren(),
	}, true
}

// Children returns path's child names, sorted.
func (t *Tree) Children(path string) ([]string, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.lookup(path)
	if n == nil {
		return nil, false
	}
	return n.sortedChildren(), true
}

// ContainerCandidates lists the containers and TTL nodes the container
// manager should delete now, as ContainerManager.getCandidates: containers
// with no children and a create count above 0 (or, if maxNeverUsedMs is not
// 0, older than that since their last data change); TTL nodes with no
// children whose mtime + ttl is before now (ms). Limiting the rate
// (maxPerMinute) is the caller's job. The result is sorted.
func (t *Tree) ContainerCandidates(now, maxNeverUsedMs int64) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []string
	for p := range t.containers {
		n := t.lookup(p)
		if n == nil || n.numChildren() > 0 {
			continue
		}
		if n.stat.cversion > 0 || (maxNeverUsedMs != 0 && now-n.stat.mtime > maxNeverUsedMs) {
			out = append(out, p)
		}
	}
	for p := range t.ttls {
		n := t.lookup(p)
		if n == nil || n.numChildren() > 0 || t.cfg.ephemeralType(n.stat.owner) != TTL {
			continue
		}
		if ttl := ttlValue(n.stat.owner); ttl != 0 && now-n.stat.mtime > ttl {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// ACLCacheSize returns the number of interned ACL lists.
func (t *Tree) ACLCacheSize() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.acls.byRef)
}
