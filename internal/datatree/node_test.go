package datatree

import (
	"fmt"
	"hash/maphash"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/proto"
)

// The node size is what a million-znode tree costs; keep it in its class.
func TestNodeSize(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(node{}), uintptr(96))
}

// TestKidSet drives a kidSet through list, hash and shrink modes against a
// map, checking every name after each step.
func TestKidSet(t *testing.T) {
	seed := maphash.MakeSeed()
	for _, size := range []int{3, 9, 40, 2000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(uint64(size), 7))
			var s kidSet
			want := map[string]*node{}
			check := func() {
				require.Equal(t, len(want), s.n)
				seen := 0
				for _, c := range s.tab {
					if c != nil {
						seen++
						require.Same(t, want[c.name()], c)
					}
				}
				require.Equal(t, len(want), seen)
				for name, c := range want {
					require.Same(t, c, s.get(seed, name), name)
				}
				require.Nil(t, s.get(seed, "absent"))
			}
			for round := 0; round < 3; round++ {
				for len(want) < size {
					name := fmt.Sprintf("n%d", rnd.IntN(4*size))
					if want[name] != nil {
						continue
					}
					c := newNode(name, nil)
					s.add(seed, c)
					want[name] = c
					if len(want)%7 == 0 || size < 50 {
						check()
					}
				}
				check()
				// Remove all but a few, in random order.
				names := make([]string, 0, len(want))
				for name := range want {
					names = append(names, name)
				}
				slices.Sort(names)
				rnd.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
				for _, name := range names[:len(names)-2] {
					require.Same(t, want[name], s.remove(seed, name))
					delete(want, name)
					if len(want)%5 == 0 || size < 50 {
						check()
					}
				}
				require.Nil(t, s.remove(seed, "absent"))
				check()
				assert.LessOrEqual(t, len(s.tab), kidHashMin, "the table shrinks")
			}
		})
	}
}

func TestLookupPaths(t *testing.T) {
	a := newApplier(t)
	require.Equal(t, proto.OK, a.create("/a", "x").Err)
	require.Equal(t, proto.OK, a.create("/a/b", "y").Err)
	tr := a.tr
	for _, tc := range []struct {
		path string
		want string // data; "-" for none
	}{
		{"/a", "x"}, {"/a/b", "y"}, {"/a/", "-"}, {"//a", "-"}, {"a", "-"},
		{"/a/b/", "-"}, {"/a//b", "-"}, {"/b", "-"}, {"/a/b/c", "-"},
	} {
		d, _, err := tr.GetData(tc.path, nil)
		if tc.want == "-" {
			assert.ErrorIs(t, err, proto.ErrNoNode, tc.path)
		} else {
			require.NoError(t, err, tc.path)
			assert.Equal(t, tc.want, string(d), tc.path)
		}
	}
	for _, p := range []string{"", "/"} {
		_, st, err := tr.GetData(p, nil)
		require.NoError(t, err)
		assert.Equal(t, int32(2), st.NumChildren, "the root under %q", p)
	}
	// A name the prep stage never asks for would alias its parent.
	assert.Equal(t, proto.ErrBadArguments, a.create("/a/", "z").Err)
	assert.Equal(t, proto.ErrNodeExists, a.create("/", "z").Err)
}

// TestWideNode creates and deletes thousands of children of one node, so
// its child set grows into a hash table and shrinks back, and checks the
// counts and the digest against a tree rebuilt from a walk.
func TestWideNode(t *testing.T) {
	a := newApplier(t)
	require.Equal(t, proto.OK, a.create("/w", "").Err)
	const n = 3000
	for i := range n {
		require.Equal(t, proto.OK, a.create(fmt.Sprintf("/w/c%d", i), "d").Err)
	}
	kids, ok := a.tr.Children("/w")
	require.True(t, ok)
	require.Len(t, kids, n)
	assert.True(t, slices.IsSorted(kids))
	n0, err := a.tr.AllChildrenNumber("/w")
	require.NoError(t, err)
	assert.Equal(t, n, n0)
	for i := 0; i < n; i += 3 {
		require.Equal(t, proto.OK, a.do(0x11, proto.OpDelete, &proto.DeleteTxn{Path: fmt.Sprintf("/w/c%d", i)}).Err)
	}
	assertRebuilds(t, a.tr)
	for i := range n {
		if i%3 != 0 {
			require.Equal(t, proto.OK, a.do(0x11, proto.OpDelete, &proto.DeleteTxn{Path: fmt.Sprintf("/w/c%d", i)}).Err)
		}
	}
	info, ok := a.tr.Lookup("/w")
	require.True(t, ok)
	assert.Equal(t, 0, info.NumChildren)
	assert.Equal(t, 6, a.tr.NodeCount())
	assertRebuilds(t, a.tr)
}

// assertRebuilds loads tr's walk into a new tree and compares what a
// fresh computation gives with tr's incremental state.
func assertRebuilds(t *testing.T, tr *Tree) {
	t.Helper()
	l := NewLoader()
	l.SetACLCache(tr.ACLCacheSnapshot())
	require.NoError(t, tr.Walk(l.AddNode))
	got, err := l.Finish()
	require.NoError(t, err)
	assert.Equal(t, tr.Digest(), got.Digest())
	assert.Equal(t, tr.NodeCount(), got.NodeCount())
	assert.Equal(t, tr.ApproximateDataSize(), got.ApproximateDataSize())
}

// TestBigACLRef loads a snapshot whose aclRefs do not fit 32 bits (ZooKeeper
// never makes one, but a snapshot may hold any long).
func TestBigACLRef(t *testing.T) {
	big := int64(math.MaxInt32) + 5
	l := NewLoader()
	l.SetACLCache(map[int64][]proto.ACL{big: aclA, math.MinInt32: aclB})
	require.NoError(t, l.AddNode("", nil, -1, proto.StatPersisted{}))
	require.NoError(t, l.AddNode("/a", []byte("x"), big, proto.StatPersisted{Czxid: 1}))
	require.NoError(t, l.AddNode("/b", []byte("y"), math.MinInt32, proto.StatPersisted{Czxid: 2}))
	tr, err := l.Finish()
	require.NoError(t, err)
	acl, _, err := tr.GetACL("/a")
	require.NoError(t, err)
	assert.Equal(t, aclA, acl)
	acl, _, err = tr.GetACL("/b")
	require.NoError(t, err)
	assert.Equal(t, aclB, acl)
	refs := map[string]int64{}
	require.NoError(t, tr.Walk(func(p string, _ []byte, ref int64, _ proto.StatPersisted) error {
		refs[p] = ref
		return nil
	}))
	assert.Equal(t, map[string]int64{"": -1, "/a": big, "/b": math.MinInt32}, refs)
	// New refs continue after the largest; deleting frees the big entries.
	hdr := proto.TxnHeader{Zxid: 3, Type: proto.OpCreate}
	require.Equal(t, proto.OK, tr.ProcessTxn(&hdr, &proto.CreateTxn{Path: "/c", ACL: aclB[:1], ParentCVersion: -1}).Err)
	info, _ := tr.Lookup("/c")
	assert.Equal(t, aclB[:1], info.ACL)
	for i, p := range []string{"/a", "/b", "/c"} {
		hdr := proto.TxnHeader{Zxid: int64(4 + i), Type: proto.OpDelete}
		require.Equal(t, proto.OK, tr.ProcessTxn(&hdr, &proto.DeleteTxn{Path: p}).Err)
	}
	assert.Empty(t, tr.ACLCacheSnapshot())
	assert.Empty(t, tr.bigACL)
}

// BenchmarkLoad measures loading a 100k-node tree (two levels, 1000
// children per node) from a walk: time, allocations, and the live heap per
// node (B/node, the memory cost of a restored znode).
func BenchmarkLoad(b *testing.B) {
	type rec struct {
		path string
		data []byte
		st   proto.StatPersisted
	}
	var recs []rec
	recs = append(recs, rec{path: ""})
	for d := range 100 {
		recs = append(recs, rec{path: fmt.Sprintf("/d%d", d)})
		for i := range 1000 {
			recs = append(recs, rec{path: fmt.Sprintf("/d%d/n%d", d, d*1000+i), st: proto.StatPersisted{Czxid: int64(i)}})
		}
	}
	b.ReportAllocs()
	var live float64
	for b.Loop() {
		b.StopTimer()
		before := heapAlloc()
		b.StartTimer()
		l := NewLoader()
		for _, r := range recs {
			// As a snapshot reader does: fresh data per node.
			if err := l.AddNode(r.path, make([]byte, 32), -1, r.st); err != nil {
				b.Fatal(err)
			}
		}
		tr, err := l.Finish()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		live = float64(heapAlloc()-before) / float64(len(recs))
		runtime.KeepAlive(tr)
		b.StartTimer()
	}
	b.ReportMetric(live, "B/node")
}

func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkWalk walks a 100k-node tree (100 nodes of 1000 children each),
// as a snapshot does.
func BenchmarkWalk(b *testing.B) {
	tr := New()
	zxid := int64(0)
	create := func(p string) {
		zxid++
		hdr := proto.TxnHeader{Zxid: zxid, Type: proto.OpCreate}
		tr.ProcessTxn(&hdr, &proto.CreateTxn{Path: p, Data: make([]byte, 32), ACL: proto.OpenACLUnsafe, ParentCVersion: -1})
	}
	for d := range 100 {
		create(fmt.Sprintf("/d%d", d))
		for i := range 1000 {
			create(fmt.Sprintf("/d%d/n%d", d, d*1000+i))
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if err := tr.Walk(func(string, []byte, int64, proto.StatPersisted) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != 100104 {
			b.Fatal(n)
		}
	}
}
