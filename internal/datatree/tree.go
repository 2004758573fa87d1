package datatree

import (
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

// node is one znode. Its data slice is never written after the node takes
// it: a change replaces the slice, so readers may keep the old one.
type node struct {
	data     []byte
	acl      int64
	stat     proto.StatPersisted // Cversion is the stored create count
	children map[string]struct{}
	digest   int64 // this node's digest, kept current by preChange/postChange
}

func (n *node) addChild(name string) {
	if n.children == nil {
		n.children = make(map[string]struct{}, 4)
	}
	n.children[name] = struct{}{}
}

func (n *node) sortedChildren() []string {
	out := make([]string, 0, len(n.children))
	for c := range n.children {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

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
	// nodes maps every path to its node; the root is there twice, as ""
	// and "/", exactly as in Java (so len(nodes) is Java's node count).
	nodes      map[string]*node
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
}

func newEmpty(cfg config) *Tree {
	return &Tree{
		cfg:          cfg,
		nodes:        make(map[string]*node),
		ephemerals:   make(map[int64]map[string]struct{}),
		containers:   make(map[string]struct{}),
		ttls:         make(map[string]struct{}),
		acls:         newACLCache(),
		dataWatches:  watch.NewManager(),
		childWatches: watch.NewManager(),
	}
}

// New returns a tree holding what a fresh ZooKeeper server has: "/",
// "/zookeeper", "/zookeeper/quota" and "/zookeeper/config" (the last with
// READ_ACL_UNSAFE, aversion -1), all with zero stats and empty data.
func New(opts ...Option) *Tree {
	t := newEmpty(newConfig(opts))
	root := &node{data: []byte{}, acl: openACLRef}
	t.put("", root)
	t.nodes[RootPath] = root // alias, without a second digest
	root.addChild("zookeeper")
	t.put(ProcPath, &node{data: []byte{}, acl: openACLRef})
	t.nodes[ProcPath].addChild("quota")
	t.put(QuotaPath, &node{data: []byte{}, acl: openACLRef})
	t.nodes[ProcPath].addChild("config")
	cfgNode := &node{data: []byte{}, acl: openACLRef}
	t.put(ConfigPath, cfgNode)
	// DataTree.addConfigNode: setACL(READ_ACL_UNSAFE, version -1).
	t.preChange(ConfigPath, cfgNode)
	cfgNode.stat.Aversion = -1
	cfgNode.acl = t.acls.convert(proto.ReadACLUnsafe)
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

func (t *Tree) computeDataSize() int64 {
	var n int64
	for p, nd := range t.nodes {
		n += nodeSize(p, nd.data)
	}
	return n
}

// put adds a node under path and its digest (NodeHashMapImpl.put).
func (t *Tree) put(path string, n *node) {
	if old := t.nodes[path]; old != nil {
		t.removeDigest(path, old)
	}
	t.nodes[path] = n
	t.addDigest(path, n)
}

// remove drops path and its digest.
func (t *Tree) remove(path string) {
	if old := t.nodes[path]; old != nil {
		delete(t.nodes, path)
		t.removeDigest(path, old)
	}
}

// preChange and postChange bracket every change to a node's data or stat
// so its digest leaves the sum and comes back recomputed.
func (t *Tree) preChange(path string, n *node) { t.removeDigest(path, n) }
func (t *Tree) postChange(path string, n *node) {
	n.digest = t.nodeDigest(path, n)
	t.addDigest(path, n)
}

func (t *Tree) addDigest(path string, n *node) {
	if !t.cfg.digest || strings.HasPrefix(path, systemSubtree) {
		return
	}
	n.digest = t.nodeDigest(path, n)
	t.digest += n.digest
}

func (t *Tree) removeDigest(path string, n *node) {
	if !t.cfg.digest || strings.HasPrefix(path, systemSubtree) {
		return
	}
	t.digest -= n.digest
}

// clientStat is DataNode.copyStat: what clients see.
func (t *Tree) clientStat(n *node) proto.Stat {
	nc := int32(len(n.children))
	owner := n.stat.EphemeralOwner
	if t.cfg.ephemeralType(owner) != Ephemeral {
		owner = 0
	}
	return proto.Stat{
		Czxid:          n.stat.Czxid,
		Mzxid:          n.stat.Mzxid,
		Ctime:          n.stat.Ctime,
		Mtime:          n.stat.Mtime,
		Version:        n.stat.Version,
		Cversion:       n.stat.Cversion*2 - nc,
		Aversion:       n.stat.Aversion,
		EphemeralOwner: owner,
		DataLength:     int32(len(n.data)),
		NumChildren:    nc,
		Pzxid:          n.stat.Pzxid,
	}
}

// denyAll stands in for the ACL of a node whose aclRef the cache does not
// hold (possible only between loading a fuzzy snapshot and replaying the
// create that fixes it): it grants nothing, where an empty list would grant
// everything.
var denyAll = []proto.ACL{{Perms: 0, ID: proto.AnyoneID}}

func (t *Tree) nodeACL(n *node) []proto.ACL {
	acl, ok := t.acls.lookup(n.acl)
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
	n := t.nodes[path]
	if n == nil {
		return nil, proto.Stat{}, proto.ErrNoNode
	}
	if w != nil {
		t.dataWatches.Add(path, w, watch.ModeStandard)
	}
	return n.data, t.clientStat(n), nil
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
	n := t.nodes[path]
	if n == nil {
		return proto.Stat{}, proto.ErrNoNode
	}
	return t.clientStat(n), nil
}

// GetChildren returns path's child names (sorted) and stat and, if w is not
// nil, leaves a child watch on it.
func (t *Tree) GetChildren(path string, w watch.Watcher) ([]string, proto.Stat, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.nodes[path]
	if n == nil {
		return nil, proto.Stat{}, proto.ErrNoNode
	}
	if w != nil {
		t.childWatches.Add(path, w, watch.ModeStandard)
	}
	return n.sortedChildren(), t.clientStat(n), nil
}

// GetACL returns path's ACL (shared; do not modify) and stat. A node whose
// ACL entry is missing from the cache gives ErrMarshallingError, as Java's
// RuntimeException there becomes MARSHALLINGERROR.
func (t *Tree) GetACL(path string) ([]proto.ACL, proto.Stat, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.nodes[path]
	if n == nil {
		return nil, proto.Stat{}, proto.ErrNoNode
	}
	acl, ok := t.acls.lookup(n.acl)
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
	if t.nodes[path] == nil {
		return 0, proto.ErrNoNode
	}
	if path == RootPath {
		return len(t.nodes) - 2, nil
	}
	prefix := path + "/"
	n := 0
	for p := range t.nodes {
		if strings.HasPrefix(p, prefix) {
			n++
		}
	}
	return n, nil
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
	return len(t.nodes)
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
	n := t.nodes[path]
	if n == nil {
		return NodeInfo{}, false
	}
	return NodeInfo{
		Stat:           t.clientStat(n),
		Persisted:      n.stat,
		ACL:            t.nodeACL(n),
		Type:           t.cfg.ephemeralType(n.stat.EphemeralOwner),
		EphemeralOwner: n.stat.EphemeralOwner,
		NumChildren:    len(n.children),
	}, true
}

// Children returns path's child names, sorted.
func (t *Tree) Children(path string) ([]string, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.nodes[path]
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
		n := t.nodes[p]
		if n == nil || len(n.children) > 0 {
			continue
		}
		if n.stat.Cversion > 0 || (maxNeverUsedMs != 0 && now-n.stat.Mtime > maxNeverUsedMs) {
			out = append(out, p)
		}
	}
	for p := range t.ttls {
		n := t.nodes[p]
		if n == nil || len(n.children) > 0 || t.cfg.ephemeralType(n.stat.EphemeralOwner) != TTL {
			continue
		}
		if ttl := ttlValue(n.stat.EphemeralOwner); ttl != 0 && now-n.stat.Mtime > ttl {
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
