package datatree

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/watch"
)

type recorder struct {
	id     int64
	mu     sync.Mutex
	events []proto.WatcherEvent
}

func (r *recorder) Notify(ev proto.WatcherEvent, _ []proto.ACL) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}
func (r *recorder) SessionID() int64 { return r.id }
func (r *recorder) take() []proto.WatcherEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := r.events
	r.events = nil
	return ev
}

func wev(typ proto.EventType, path string) proto.WatcherEvent {
	return proto.WatcherEvent{Type: typ, State: proto.StateSyncConnected, Path: path}
}

// applier applies txns with increasing zxids.
type applier struct {
	t    *testing.T
	tr   *Tree
	zxid int64
}

func newApplier(t *testing.T, opts ...Option) *applier {
	return &applier{t: t, tr: New(opts...), zxid: 0x500000000}
}

func (a *applier) do(session int64, typ proto.OpCode, rec jute.Record) Result {
	a.zxid++
	hdr := proto.TxnHeader{ClientID: session, Cxid: 1, Zxid: a.zxid, Time: 1000 + a.zxid&0xffff, Type: typ}
	return a.tr.ProcessTxn(&hdr, rec)
}

func (a *applier) create(path string, data string, flags ...bool) Result {
	ephemeral := len(flags) > 0 && flags[0]
	return a.do(0x11, proto.OpCreate2, &proto.CreateTxn{Path: path, Data: []byte(data), ACL: proto.OpenACLUnsafe, Ephemeral: ephemeral, ParentCVersion: -1})
}

func TestNewTree(t *testing.T) {
	tr := New()
	assert.Equal(t, 5, tr.NodeCount())
	assert.Equal(t, int64(len("")+len("/")+len(ProcPath)+len(QuotaPath)+len(ConfigPath)), tr.ApproximateDataSize())
	kids, st, err := tr.GetChildren("/", nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"zookeeper"}, kids)
	assert.Equal(t, proto.Stat{Cversion: -1, NumChildren: 1}, st)
	kids, _ = tr.Children(ProcPath)
	assert.Equal(t, []string{"config", "quota"}, kids)
	acl, st, err := tr.GetACL(ConfigPath)
	require.NoError(t, err)
	assert.Equal(t, proto.ReadACLUnsafe, acl)
	assert.Equal(t, int32(-1), st.Aversion)
	acl, _, err = tr.GetACL("/")
	require.NoError(t, err)
	assert.Equal(t, proto.OpenACLUnsafe, acl)
	n, err := tr.AllChildrenNumber("/")
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	n, err = tr.AllChildrenNumber(ProcPath)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Equal(t, 1, tr.ACLCacheSize())
	assert.Equal(t, int64(0), New(WithDigest(false)).Digest())
	assert.NotEqual(t, int64(0), tr.Digest())
}

func TestTxnTypes(t *testing.T) {
	type step struct {
		session int64
		typ     proto.OpCode
		rec     jute.Record
		err     proto.Code
		check   func(t *testing.T, tr *Tree, r Result)
	}
	cr := func(path string, cv int32) *proto.CreateTxn {
		return &proto.CreateTxn{Path: path, Data: []byte("d"), ACL: proto.OpenACLUnsafe, ParentCVersion: cv}
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"create and create2", []step{
			{1, proto.OpCreate, cr("/a", 1), proto.OK, func(t *testing.T, tr *Tree, r Result) {
				assert.Equal(t, "/a", r.Path)
				assert.Equal(t, proto.Stat{}, r.Stat, "create (type 1) carries no stat")
			}},
			{1, proto.OpCreate2, cr("/a/b", 1), proto.OK, func(t *testing.T, tr *Tree, r Result) {
				assert.Equal(t, int32(1), r.Stat.DataLength)
				assert.Equal(t, r.Stat.Czxid, r.Stat.Pzxid)
				info, _ := tr.Lookup("/a")
				assert.Equal(t, int32(1), info.Persisted.Cversion)
				assert.Equal(t, int32(1), info.Stat.Cversion) // 1*2 - 1 child
				assert.Equal(t, r.Stat.Czxid, info.Stat.Pzxid)
			}},
		}},
		{"create errors", []step{
			{1, proto.OpCreate, cr("/x/y", 1), proto.ErrNoNode, nil},
			{1, proto.OpCreate, cr("/a", 1), proto.OK, nil},
			{1, proto.OpCreate2, cr("/a", 5), proto.ErrNodeExists, func(t *testing.T, tr *Tree, _ Result) {
				info, _ := tr.Lookup("/")
				assert.Equal(t, int32(1), info.Persisted.Cversion, "create2 NODEEXISTS leaves the parent alone")
			}},
			{1, proto.OpCreate, cr("/a", 5), proto.ErrNodeExists, func(t *testing.T, tr *Tree, r Result) {
				info, _ := tr.Lookup("/")
				assert.Equal(t, int32(5), info.Persisted.Cversion, "create NODEEXISTS moves the parent (replay rule)")
			}},
			{1, proto.OpCreate, cr("noslash", 1), proto.ErrBadArguments, nil},
		}},
		{"parentCVersion -1 and lower values", []step{
			{1, proto.OpCreate, cr("/a", -1), proto.OK, func(t *testing.T, tr *Tree, _ Result) {
				info, _ := tr.Lookup("/")
				assert.Equal(t, int32(1), info.Persisted.Cversion)
			}},
			{1, proto.OpCreate, cr("/b", 1), proto.OK, func(t *testing.T, tr *Tree, r Result) {
				info, _ := tr.Lookup("/")
				assert.Equal(t, int32(1), info.Persisted.Cversion, "an equal cversion does not move the parent")
				assert.Equal(t, int32(1*2-3), info.Stat.Cversion)
				assert.Less(t, info.Stat.Pzxid, tr.LastProcessedZxid())
			}},
		}},
		{"ephemeral, container, ttl", []step{
			{7, proto.OpCreate, &proto.CreateTxn{Path: "/e", ACL: proto.OpenACLUnsafe, Ephemeral: true, ParentCVersion: 1}, proto.OK, func(t *testing.T, tr *Tree, _ Result) {
				assert.Equal(t, []string{"/e"}, tr.Ephemerals(7))
				info, _ := tr.Lookup("/e")
				assert.Equal(t, Ephemeral, info.Type)
				assert.Equal(t, int64(7), info.Stat.EphemeralOwner)
			}},
			{7, proto.OpCreateContainer, &proto.CreateContainerTxn{Path: "/c", ACL: proto.OpenACLUnsafe, ParentCVersion: 2}, proto.OK, func(t *testing.T, tr *Tree, r Result) {
				assert.Equal(t, int64(0), r.Stat.EphemeralOwner)
				info, _ := tr.Lookup("/c")
				assert.Equal(t, Container, info.Type)
				assert.Equal(t, proto.ContainerOwner, info.EphemeralOwner)
			}},
			{7, proto.OpCreateTTL, &proto.CreateTTLTxn{Path: "/t", ACL: proto.OpenACLUnsafe, ParentCVersion: 3, TTL: 500}, proto.OK, func(t *testing.T, tr *Tree, r Result) {
				assert.Equal(t, int64(0), r.Stat.EphemeralOwner)
				info, _ := tr.Lookup("/t")
				assert.Equal(t, TTL, info.Type)
				assert.Equal(t, TTLOwner(500), info.EphemeralOwner)
			}},
			{7, proto.OpCreateTTL, &proto.CreateTTLTxn{Path: "/t2", ACL: proto.OpenACLUnsafe, ParentCVersion: 4, TTL: 0}, proto.ErrBadArguments, nil},
			{7, proto.OpDeleteContainer, &proto.DeleteTxn{Path: "/c"}, proto.OK, nil},
			{7, proto.OpCloseSession, &proto.CloseSessionTxn{}, proto.OK, func(t *testing.T, tr *Tree, _ Result) {
				_, ok := tr.Lookup("/e")
				assert.False(t, ok, "closeSession kills every ephemeral, listed or not")
				assert.Empty(t, tr.AllEphemerals())
			}},
		}},
		{"delete", []step{
			{1, proto.OpCreate, cr("/a", 1), proto.OK, nil},
			{1, proto.OpDelete, &proto.DeleteTxn{Path: "/a"}, proto.OK, func(t *testing.T, tr *Tree, _ Result) {
				info, _ := tr.Lookup("/")
				assert.Equal(t, int32(1), info.Persisted.Cversion, "delete keeps the create count")
				assert.Equal(t, int32(2*1-1), info.Stat.Cversion)
			}},
			{1, proto.OpDelete, &proto.DeleteTxn{Path: "/a"}, proto.ErrNoNode, func(t *testing.T, tr *Tree, _ Result) {
				info, _ := tr.Lookup("/")
				assert.Equal(t, tr.LastProcessedZxid()+1, info.Persisted.Pzxid+0*1+1, "pzxid moves even for a missing child")
			}},
			{1, proto.OpDelete, &proto.DeleteTxn{Path: "/q/r"}, proto.ErrNoNode, nil},
		}},
		{"setData, reconfig, setACL", []step{
			{1, proto.OpCreate, cr("/a", 1), proto.OK, nil},
			{1, proto.OpSetData, &proto.SetDataTxn{Path: "/a", Data: []byte("xyz"), Version: 1}, proto.OK, func(t *testing.T, tr *Tree, r Result) {
				assert.Equal(t, int32(1), r.Stat.Version)
				assert.Equal(t, int32(3), r.Stat.DataLength)
				assert.NotEqual(t, r.Stat.Czxid, r.Stat.Mzxid)
			}},
			{1, proto.OpSetData, &proto.SetDataTxn{Path: "/b", Version: 1}, proto.ErrNoNode, nil},
			{1, proto.OpReconfig, &proto.SetDataTxn{Path: ConfigPath, Data: []byte("server.1=x"), Version: 3}, proto.OK, func(t *testing.T, tr *Tree, _ Result) {
				d, st, err := tr.GetData(ConfigPath, nil)
				require.NoError(t, err)
				assert.Equal(t, "server.1=x", string(d))
				assert.Equal(t, int32(3), st.Version)
			}},
			{1, proto.OpSetACL, &proto.SetACLTxn{Path: "/a", ACL: aclA, Version: 4}, proto.OK, func(t *testing.T, tr *Tree, r Result) {
				assert.Equal(t, int32(4), r.Stat.Aversion)
				acl, _, _ := tr.GetACL("/a")
				assert.Equal(t, aclA, acl)
			}},
			{1, proto.OpSetACL, &proto.SetACLTxn{Path: "/b", ACL: aclA, Version: 1}, proto.ErrNoNode, nil},
		}},
		{"error, session and check txns", []step{
			{1, proto.OpError, &proto.ErrorTxn{Err: proto.ErrBadVersion}, proto.ErrBadVersion, nil},
			{1, proto.OpCreateSession, &proto.CreateSessionTxn{TimeOut: 1}, proto.OK, nil},
			{1, proto.OpCloseSession, nil, proto.OK, nil},
			{1, proto.OpCheck, &proto.CheckVersionTxn{Path: "/x"}, proto.OK, func(t *testing.T, _ *Tree, r Result) {
				assert.Equal(t, "/x", r.Path)
			}},
			{1, proto.OpCreate, &proto.SetDataTxn{}, proto.ErrMarshallingError, nil},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newApplier(t, WithExtendedTypes(true))
			for i, s := range tc.steps {
				before := a.tr.Digest()
				r := a.do(s.session, s.typ, s.rec)
				assert.Equal(t, s.err, r.Err, "step %d", i)
				assert.Equal(t, a.zxid, a.tr.LastProcessedZxid())
				if s.err == proto.ErrMarshallingError {
					assert.Equal(t, before, a.tr.Digest())
				}
				if s.check != nil {
					s.check(t, a.tr, r)
				}
			}
		})
	}
}

func subTxn(typ proto.OpCode, rec jute.Record) proto.Txn {
	return proto.Txn{Type: typ, Data: jute.Marshal(rec)}
}

func TestMulti(t *testing.T) {
	a := newApplier(t)
	a.create("/m", "x")
	r := a.do(1, proto.OpMulti, &proto.MultiTxn{Txns: []proto.Txn{
		subTxn(proto.OpCreate, &proto.CreateTxn{Path: "/m/a", ACL: proto.OpenACLUnsafe, ParentCVersion: 1}),
		subTxn(proto.OpCreate2, &proto.CreateTxn{Path: "/m/b", ACL: proto.OpenACLUnsafe, ParentCVersion: 2}),
		subTxn(proto.OpCheck, &proto.CheckVersionTxn{Path: "/m", Version: 0}),
		subTxn(proto.OpSetData, &proto.SetDataTxn{Path: "/m", Data: []byte("y"), Version: 1}),
		subTxn(proto.OpDelete, &proto.DeleteTxn{Path: "/m/a"}),
	}})
	require.Equal(t, proto.OK, r.Err)
	require.Len(t, r.Multi, 5)
	assert.Equal(t, []proto.OpCode{proto.OpCreate, proto.OpCreate2, proto.OpCheck, proto.OpSetData, proto.OpDelete},
		[]proto.OpCode{r.Multi[0].Type, r.Multi[1].Type, r.Multi[2].Type, r.Multi[3].Type, r.Multi[4].Type})
	assert.Equal(t, "/m/b", r.Multi[1].Path)
	assert.Equal(t, int32(0), r.Multi[1].Stat.DataLength)
	assert.Equal(t, int32(1), r.Multi[3].Stat.Version)
	kids, _ := a.tr.Children("/m")
	assert.Equal(t, []string{"b"}, kids)

	// A failed multi: nothing applies; results are 0 before the error,
	// its code, then -2 (error txns keep their own code).
	before := a.tr.Digest()
	r = a.do(1, proto.OpMulti, &proto.MultiTxn{Txns: []proto.Txn{
		subTxn(proto.OpCreate, &proto.CreateTxn{Path: "/m/c", ACL: proto.OpenACLUnsafe, ParentCVersion: 3}),
		subTxn(proto.OpError, &proto.ErrorTxn{Err: proto.ErrBadVersion}),
		subTxn(proto.OpSetData, &proto.SetDataTxn{Path: "/m", Version: 2}),
		subTxn(proto.OpError, &proto.ErrorTxn{Err: proto.ErrRuntimeInconsistency}),
	}})
	assert.Equal(t, proto.ErrBadVersion, r.Err)
	var got []string
	for _, m := range r.Multi {
		got = append(got, fmt.Sprintf("%d:%d", m.Type, m.Err))
	}
	assert.Equal(t, []string{"-1:0", "-1:-103", "-1:-2", "-1:-2"}, got)
	assert.Equal(t, before, a.tr.Digest())

	r = a.do(1, proto.OpMulti, &proto.MultiTxn{Txns: []proto.Txn{{Type: proto.OpGetData, Data: nil}}})
	assert.Equal(t, proto.ErrMarshallingError, r.Err)
	r = a.do(1, proto.OpMulti, &proto.MultiTxn{Txns: []proto.Txn{{Type: proto.OpCreate, Data: []byte{1}}}})
	assert.Equal(t, proto.ErrMarshallingError, r.Err)
}

func TestWatchEvents(t *testing.T) {
	a := newApplier(t)
	w := &recorder{id: 1}
	tr := a.tr

	_, err := tr.Exists("/a", w) // exists watch on a missing node
	require.ErrorIs(t, err, proto.ErrNoNode)
	_, _, err = tr.GetData("/a", w)
	require.ErrorIs(t, err, proto.ErrNoNode)
	_, _, err = tr.GetChildren("/", w)
	require.NoError(t, err)
	a.create("/a", "1")
	assert.ElementsMatch(t, []proto.WatcherEvent{wev(proto.EventNodeCreated, "/a"), wev(proto.EventNodeChildrenChanged, "/")}, w.take())

	// Standard watches fire once.
	a.create("/a/b", "")
	assert.Empty(t, w.take())

	_, _, err = tr.GetData("/a", w)
	require.NoError(t, err)
	a.do(1, proto.OpSetData, &proto.SetDataTxn{Path: "/a", Data: []byte("2"), Version: 1})
	assert.Equal(t, []proto.WatcherEvent{wev(proto.EventNodeDataChanged, "/a")}, w.take())

	// A delete fires NodeDeleted once even with data and child watches.
	_, _, _ = tr.GetData("/a/b", w)
	_, _, _ = tr.GetChildren("/a/b", w)
	_, _, _ = tr.GetChildren("/a", w)
	a.do(1, proto.OpDelete, &proto.DeleteTxn{Path: "/a/b"})
	assert.Equal(t, []proto.WatcherEvent{wev(proto.EventNodeDeleted, "/a/b"), wev(proto.EventNodeChildrenChanged, "/a")}, w.take())
	assert.Equal(t, 0, tr.WatchCount())

	// Persistent: path only, every event type, stays.
	p := &recorder{id: 2}
	tr.AddWatch("/a", p, watch.ModePersistent)
	a.create("/a/c", "")
	a.do(1, proto.OpSetData, &proto.SetDataTxn{Path: "/a", Version: 2})
	a.do(1, proto.OpSetData, &proto.SetDataTxn{Path: "/a/c", Version: 1})
	assert.Equal(t, []proto.WatcherEvent{wev(proto.EventNodeChildrenChanged, "/a"), wev(proto.EventNodeDataChanged, "/a")}, p.take())

	// Recursive: every descendant, one event per change, no NodeChildrenChanged.
	rw := &recorder{id: 3}
	tr.AddWatch("/", rw, watch.ModePersistentRecursive)
	a.create("/a/c/d", "")
	a.do(1, proto.OpSetData, &proto.SetDataTxn{Path: "/a/c/d", Version: 1})
	a.do(1, proto.OpDelete, &proto.DeleteTxn{Path: "/a/c/d"})
	assert.Equal(t, []proto.WatcherEvent{wev(proto.EventNodeCreated, "/a/c/d"), wev(proto.EventNodeDataChanged, "/a/c/d"),
		wev(proto.EventNodeDeleted, "/a/c/d")}, rw.take())
	assert.Empty(t, p.take())

	// checkWatches / removeWatches by type.
	assert.True(t, tr.ContainsWatcher("/", proto.WatcherData, rw))
	assert.True(t, tr.ContainsWatcher("/", proto.WatcherChildren, rw))
	assert.False(t, tr.ContainsWatcher("/", proto.WatcherData, w))
	assert.True(t, tr.ContainsWatcher("/a", WatcherPersistent, p))
	assert.False(t, tr.ContainsWatcher("/a", WatcherPersistentRecursive, p))
	assert.True(t, tr.RemoveWatch("/a", proto.WatcherData, p))
	assert.True(t, tr.ContainsWatcher("/a", proto.WatcherChildren, p))
	assert.True(t, tr.RemoveWatch("/a", proto.WatcherAny, p))
	assert.False(t, tr.RemoveWatch("/a", proto.WatcherAny, p))
	tr.RemoveWatcher(rw)
	assert.Equal(t, 0, tr.WatchCount())
	assert.Equal(t, watch.Summary{}, tr.DataWatches().Summary())

	// closeSession fires NodeDeleted for ephemerals.
	_, _ = tr.Exists("/eph", w)
	a.do(9, proto.OpCreate, &proto.CreateTxn{Path: "/eph", ACL: proto.OpenACLUnsafe, Ephemeral: true, ParentCVersion: -1})
	_, _ = tr.Exists("/eph", w)
	w.take()
	a.do(9, proto.OpCloseSession, &proto.CloseSessionTxn{Paths2Delete: []string{"/eph"}})
	assert.Equal(t, []proto.WatcherEvent{wev(proto.EventNodeDeleted, "/eph")}, w.take())
}

func TestSetWatches(t *testing.T) {
	a := newApplier(t)
	a.create("/same", "")
	a.create("/kids", "")
	seen := a.zxid
	a.create("/changed", "")
	a.create("/kids/k", "")
	w := &recorder{id: 1}
	a.tr.SetWatches(seen,
		[]string{"/same", "/changed", "/gone"},
		[]string{"/same", "/absent"},
		[]string{"/kids", "/same", "/gone"},
		[]string{"/p"}, []string{"/r"}, w)
	assert.Equal(t, []proto.WatcherEvent{
		wev(proto.EventNodeDataChanged, "/changed"), wev(proto.EventNodeDeleted, "/gone"),
		wev(proto.EventNodeCreated, "/same"),
		wev(proto.EventNodeChildrenChanged, "/kids"), wev(proto.EventNodeDeleted, "/gone"),
	}, w.take())
	assert.True(t, a.tr.DataWatches().Contains("/same", w, watch.ModeStandard))
	assert.True(t, a.tr.DataWatches().Contains("/absent", w, watch.ModeStandard))
	assert.True(t, a.tr.ChildWatches().Contains("/same", w, watch.ModeStandard))
	assert.True(t, a.tr.ChildWatches().Contains("/p", w, watch.ModePersistent))
	assert.True(t, a.tr.DataWatches().Contains("/r", w, watch.ModePersistentRecursive))
	assert.Equal(t, watch.Summary{Connections: 1, Paths: 4, Total: 4}, a.tr.DataWatches().Summary())
}

func TestReadsAndLookup(t *testing.T) {
	a := newApplier(t)
	a.create("/a", "hello")
	a.create("/a/x", "")
	a.create("/a/y", "")
	a.do(0x22, proto.OpCreate, &proto.CreateTxn{Path: "/a/e1", ACL: proto.OpenACLUnsafe, Ephemeral: true, ParentCVersion: -1})
	a.do(0x22, proto.OpCreate, &proto.CreateTxn{Path: "/b", ACL: proto.OpenACLUnsafe, Ephemeral: true, ParentCVersion: -1})
	tr := a.tr

	d, st, err := tr.GetData("/a", nil)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(d))
	assert.Equal(t, int32(3), st.NumChildren)
	assert.Equal(t, int32(3*2-3), st.Cversion)
	kids, _, err := tr.GetChildren("/a", nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"e1", "x", "y"}, kids)
	n, err := tr.AllChildrenNumber("/a")
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	_, err = tr.AllChildrenNumber("/nope")
	assert.ErrorIs(t, err, proto.ErrNoNode)
	assert.Equal(t, []string{"/a/e1", "/b"}, tr.Ephemerals(0x22))
	assert.Equal(t, []string{"/a/e1"}, tr.EphemeralsByPrefix(0x22, "/a"))
	assert.Equal(t, []string{"/a/e1", "/b"}, tr.EphemeralsByPrefix(0x22, " / "))
	assert.Equal(t, 2, tr.EphemeralsCount())
	info, ok := tr.Lookup("/a/e1")
	require.True(t, ok)
	assert.Equal(t, Ephemeral, info.Type)
	assert.Equal(t, int64(0x22), info.EphemeralOwner)
	_, ok = tr.Lookup("/zz")
	assert.False(t, ok)
	_, _, err = tr.GetACL("/zz")
	assert.ErrorIs(t, err, proto.ErrNoNode)

	// Data handed out is never changed by a later setData.
	a.do(1, proto.OpSetData, &proto.SetDataTxn{Path: "/a", Data: []byte("world"), Version: 1})
	assert.Equal(t, "hello", string(d))
}

func TestContainerCandidates(t *testing.T) {
	a := newApplier(t, WithExtendedTypes(true))
	a.do(1, proto.OpCreateContainer, &proto.CreateContainerTxn{Path: "/fresh", ACL: proto.OpenACLUnsafe, ParentCVersion: -1})
	a.do(1, proto.OpCreateContainer, &proto.CreateContainerTxn{Path: "/used", ACL: proto.OpenACLUnsafe, ParentCVersion: -1})
	a.create("/used/k", "")
	a.do(1, proto.OpDelete, &proto.DeleteTxn{Path: "/used/k"})
	a.do(1, proto.OpCreateContainer, &proto.CreateContainerTxn{Path: "/busy", ACL: proto.OpenACLUnsafe, ParentCVersion: -1})
	a.create("/busy/k", "")
	a.do(1, proto.OpCreateTTL, &proto.CreateTTLTxn{Path: "/ttl", ACL: proto.OpenACLUnsafe, ParentCVersion: -1, TTL: 100})
	info, _ := a.tr.Lookup("/ttl")
	mtime := info.Persisted.Mtime
	fresh, _ := a.tr.Lookup("/fresh")

	assert.Equal(t, []string{"/used"}, a.tr.ContainerCandidates(mtime+100, 0))
	assert.Equal(t, []string{"/ttl", "/used"}, a.tr.ContainerCandidates(mtime+101, 0))
	assert.Equal(t, []string{"/fresh", "/ttl", "/used"}, a.tr.ContainerCandidates(fresh.Persisted.Mtime+1000, 50))
	// Without extended types the TTL node is a session's ephemeral.
	b := newApplier(t)
	b.do(1, proto.OpCreateTTL, &proto.CreateTTLTxn{Path: "/ttl", ACL: proto.OpenACLUnsafe, ParentCVersion: -1, TTL: 100})
	assert.Empty(t, b.tr.ContainerCandidates(1<<40, 0))
	assert.Equal(t, []string{"/ttl"}, b.tr.Ephemerals(TTLOwner(100)))
}

func TestACLCacheRefCounts(t *testing.T) {
	a := newApplier(t)
	a.do(1, proto.OpCreate, &proto.CreateTxn{Path: "/x", ACL: aclA, ParentCVersion: -1})
	a.do(1, proto.OpCreate, &proto.CreateTxn{Path: "/y", ACL: aclA, ParentCVersion: -1})
	a.do(1, proto.OpCreate, &proto.CreateTxn{Path: "/z", ACL: nil, ParentCVersion: -1})
	m := a.tr.ACLCacheSnapshot()
	assert.Equal(t, map[int64][]proto.ACL{1: proto.ReadACLUnsafe, 2: aclA}, m, "nil ACL is ref -1, not stored")
	acl, _, _ := a.tr.GetACL("/z")
	assert.Equal(t, proto.OpenACLUnsafe, acl)
	a.do(1, proto.OpDelete, &proto.DeleteTxn{Path: "/x"})
	assert.Equal(t, 2, a.tr.ACLCacheSize())
	a.do(1, proto.OpSetACL, &proto.SetACLTxn{Path: "/y", ACL: aclB, Version: 1})
	assert.Equal(t, map[int64][]proto.ACL{1: proto.ReadACLUnsafe, 3: aclB}, a.tr.ACLCacheSnapshot(), "unused entry dropped, new ref is ++index")
}

func TestQuota(t *testing.T) {
	a := newApplier(t)
	a.create("/q", "abc")
	a.create(QuotaPath+"/q", "")
	a.create(QuotaPath+"/q/"+quotaLimitNode, "count=5,bytes=-1")
	a.create(QuotaPath+"/q/"+quotaStatNode, "count=0,bytes=0")
	stat := func() string {
		d, _, err := a.tr.GetData(QuotaPath+"/q/"+quotaStatNode, nil)
		require.NoError(t, err)
		return string(d)
	}
	assert.Equal(t, "count=1,bytes=3", stat())
	a.create("/q/a", "12345")
	assert.Equal(t, "count=2,bytes=8", stat())
	a.do(1, proto.OpSetData, &proto.SetDataTxn{Path: "/q/a", Data: []byte("1"), Version: 1})
	assert.Equal(t, "count=2,bytes=4", stat())
	a.do(1, proto.OpDelete, &proto.DeleteTxn{Path: "/q/a"})
	assert.Equal(t, "count=1,bytes=3", stat())
	a.create("/qq", "zz") // not under /q
	assert.Equal(t, "count=1,bytes=3", stat())
	a.do(1, proto.OpDelete, &proto.DeleteTxn{Path: QuotaPath + "/q/" + quotaLimitNode})
	a.create("/q/b", "x")
	assert.Equal(t, "count=1,bytes=3", stat(), "no quota once the limit node is gone")

	assert.Equal(t, "count=3,bytes=7=;countHardLimit=9", string(statsTrack{"count": 3, "bytes": 7, "countHardLimit": 9}.bytes()))
	assert.Equal(t, statsTrack{"count": 3, "bytes": 7, "countHardLimit": 9}, parseStatsTrack([]byte("count=3,bytes=7=;countHardLimit=9")))
}
