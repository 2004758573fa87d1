package datatree

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/proto"
)

var sizeRE = regexp.MustCompile(` size \d+`)

// stripSize drops the cached data size, which quota updates do not keep
// and a load recounts (as in Java).
func stripSize(d []string) string {
	d[len(d)-1] = sizeRE.ReplaceAllString(d[len(d)-1], "")
	return strings.Join(d, "\n")
}

type snapNode struct {
	path   string
	data   []byte
	aclRef int64
	stat   proto.StatPersisted
}

// TestReplayOverFuzzySnapshot takes a snapshot while txns keep being applied
// (Walk's callback applies more of them), loads it, replays the log from the
// snapshot's zxid and expects the tree that applying everything gives.
func TestReplayOverFuzzySnapshot(t *testing.T) {
	for _, seed := range []uint64{11, 12, 13, 14, 15, 16} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			txns, want := genTxnsMode(t, seed, 500, true, WithExtendedTypes(true))
			for _, start := range []int{0, 150, 300} {
				tr := New(WithExtendedTypes(true))
				apply := func(i int) {
					hdr := txns[i].hdr
					tr.ProcessTxn(&hdr, txns[i].rec)
				}
				for i := 0; i < start; i++ {
					apply(i)
				}
				snapZxid := tr.LastProcessedZxid()
				next := start
				acls := tr.ACLCacheSnapshot()
				var nodes []snapNode
				require.NoError(t, tr.Walk(func(p string, d []byte, ref int64, st proto.StatPersisted) error {
					nodes = append(nodes, snapNode{p, d, ref, st})
					for k := 0; k < 2 && next < len(txns); k++ { // writes go on meanwhile
						apply(next)
						next++
					}
					return nil
				}))
				l := NewLoader(WithExtendedTypes(true))
				l.SetACLCache(acls)
				for _, n := range nodes {
					require.NoError(t, l.AddNode(n.path, n.data, n.aclRef, n.stat))
				}
				loaded, err := l.Finish()
				require.NoError(t, err)
				loaded.SetLastProcessedZxid(snapZxid)
				for i := range txns {
					if txns[i].hdr.Zxid > snapZxid {
						hdr := txns[i].hdr
						loaded.ProcessTxn(&hdr, txns[i].rec)
					}
				}
				wantDump, gotDump := dump(t, want), dump(t, loaded)
				assert.Equal(t, stripSize(wantDump), stripSize(gotDump), "snapshot after %d txns, %d applied during the walk", start, next-start)
				assert.Equal(t, want.LastProcessedZxid(), loaded.LastProcessedZxid())
			}
		})
	}
}

func TestLoaderRoundTrip(t *testing.T) {
	_, want := genTxns(t, 21, 300, WithExtendedTypes(true))
	l := NewLoader(WithExtendedTypes(true))
	l.SetACLCache(want.ACLCacheSnapshot())
	require.NoError(t, want.Walk(func(p string, d []byte, ref int64, st proto.StatPersisted) error {
		return l.AddNode(p, d, ref, st)
	}))
	got, err := l.Finish()
	require.NoError(t, err)
	assert.Equal(t, stripSize(dump(t, want)), stripSize(dump(t, got)))
	assert.Equal(t, want.ACLCacheSnapshot(), got.ACLCacheSnapshot())
	assert.Equal(t, want.Digest(), got.Digest())

	// Unused ACL entries are purged on load; a missing parent is an error.
	l = NewLoader()
	l.SetACLCache(map[int64][]proto.ACL{4: aclA, 9: aclB})
	require.NoError(t, l.AddNode("", nil, -1, proto.StatPersisted{}))
	require.NoError(t, l.AddNode("/a", nil, 9, proto.StatPersisted{}))
	assert.ErrorIs(t, l.AddNode("/x/y", nil, -1, proto.StatPersisted{}), ErrBadSnapshot)
	_, err = l.Finish()
	assert.ErrorIs(t, err, ErrBadSnapshot)

	l = NewLoader()
	l.SetACLCache(map[int64][]proto.ACL{4: aclA, 9: aclB})
	require.NoError(t, l.AddNode("", nil, -1, proto.StatPersisted{}))
	require.NoError(t, l.AddNode("/a", nil, 9, proto.StatPersisted{}))
	require.NoError(t, l.AddNode("/b", nil, 77, proto.StatPersisted{})) // dangling ref
	tr, err := l.Finish()
	require.NoError(t, err)
	assert.Equal(t, map[int64][]proto.ACL{9: aclB}, tr.ACLCacheSnapshot())
	_, _, err = tr.GetACL("/b")
	assert.ErrorIs(t, err, proto.ErrMarshallingError)
	info, _ := tr.Lookup("/b")
	assert.Equal(t, int32(0), info.ACL[0].Perms, "a dangling ref grants nothing")
	// Replaying the create repairs it; new refs continue after the largest.
	hdr := proto.TxnHeader{Zxid: 5, Type: proto.OpCreate}
	r := tr.ProcessTxn(&hdr, &proto.CreateTxn{Path: "/b", ACL: aclA, ParentCVersion: 1})
	assert.Equal(t, proto.ErrNodeExists, r.Err)
	acl, _, err := tr.GetACL("/b")
	require.NoError(t, err)
	assert.Equal(t, aclA, acl)
	assert.Equal(t, map[int64][]proto.ACL{9: aclB, 10: aclA}, tr.ACLCacheSnapshot())
	_, ok := tr.Lookup("/")
	assert.True(t, ok)
	assert.Equal(t, 4, tr.NodeCount())
}

func TestSnapshotDigestCheck(t *testing.T) {
	txns, want := genTxns(t, 31, 50)
	tr := New()
	tr.SetSnapshotDigest(ZxidDigest{Zxid: txns[10].hdr.Zxid, Version: DigestVersion, Digest: 12345}, 0)
	for i := range txns {
		hdr := txns[i].hdr
		tr.ProcessTxn(&hdr, txns[i].rec)
		if i < 10 {
			assert.True(t, tr.CompareDigest(DigestVersion, 1), "skipped while the snapshot digest is pending")
		}
	}
	assert.Equal(t, int64(1), tr.DigestMismatches(), "the snapshot's digest did not match")
	assert.True(t, tr.CompareDigest(DigestVersion, want.Digest()))
	assert.True(t, tr.CompareDigest(1, 0), "another digest version is not compared")
	assert.False(t, tr.CompareDigest(DigestVersion, 1))
	assert.Equal(t, int64(2), tr.DigestMismatches())
	assert.Equal(t, want.Digest(), tr.LastZxidDigest().Digest)
}

// TestConcurrentReaders runs readers against the apply loop. Each multi
// creates two nodes and bumps a counter node; readers must never see one
// without the other, and a reader that sees a change must already have its
// watch event (it was queued before the write lock was released).
func TestConcurrentReaders(t *testing.T) {
	a := newApplier(t)
	a.create("/c", "0")
	const writes = 300
	var done atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func(id int64) {
			defer wg.Done()
			w := &recorder{id: id}
			for !done.Load() {
				_, st, err := a.tr.GetData("/c", w)
				if err != nil {
					errs <- err
					return
				}
				kids, _, err := a.tr.GetChildren("/c", nil)
				if err != nil {
					errs <- err
					return
				}
				if len(kids)%2 != 0 {
					errs <- fmt.Errorf("saw half a multi: %d children", len(kids))
					return
				}
				_, st2, _ := a.tr.GetData("/c", nil)
				if st2.Version != st.Version && len(w.take()) == 0 {
					errs <- fmt.Errorf("saw version %d after %d without the event", st2.Version, st.Version)
					return
				}
				w.take()
				a.tr.Walk(func(string, []byte, int64, proto.StatPersisted) error { return nil })
			}
		}(int64(r))
	}
	for i := 0; i < writes; i++ {
		a.do(1, proto.OpMulti, &proto.MultiTxn{Txns: []proto.Txn{
			subTxn(proto.OpCreate, &proto.CreateTxn{Path: fmt.Sprintf("/c/a%d", i), ACL: proto.OpenACLUnsafe, ParentCVersion: -1}),
			subTxn(proto.OpCreate, &proto.CreateTxn{Path: fmt.Sprintf("/c/b%d", i), ACL: proto.OpenACLUnsafe, ParentCVersion: -1}),
			subTxn(proto.OpSetData, &proto.SetDataTxn{Path: "/c", Data: []byte(fmt.Sprint(i)), Version: int32(i + 1)}),
		}})
	}
	done.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	kids, _ := a.tr.Children("/c")
	assert.Len(t, kids, 2*writes)
}

func BenchmarkGetDataParallel(b *testing.B) {
	tr := New()
	for i := 0; i < 1000; i++ {
		hdr := proto.TxnHeader{Zxid: int64(i + 1), Type: proto.OpCreate}
		tr.ProcessTxn(&hdr, &proto.CreateTxn{Path: fmt.Sprintf("/n%d", i), Data: make([]byte, 100), ACL: proto.OpenACLUnsafe, ParentCVersion: -1})
	}
	paths := make([]string, 1000)
	for i := range paths {
		paths[i] = fmt.Sprintf("/n%d", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, _, err := tr.GetData(paths[i%len(paths)], nil); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func BenchmarkProcessTxnCreate(b *testing.B) {
	tr := New()
	paths := make([]string, b.N)
	for i := range paths {
		paths[i] = fmt.Sprintf("/n%d", i)
	}
	data := make([]byte, 100)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		hdr := proto.TxnHeader{Zxid: int64(i + 1), Type: proto.OpCreate}
		tr.ProcessTxn(&hdr, &proto.CreateTxn{Path: paths[i], Data: data, ACL: proto.OpenACLUnsafe, ParentCVersion: -1})
	}
}

func BenchmarkProcessTxnSetData(b *testing.B) {
	tr := New()
	hdr := proto.TxnHeader{Zxid: 1, Type: proto.OpCreate}
	tr.ProcessTxn(&hdr, &proto.CreateTxn{Path: "/n", ACL: proto.OpenACLUnsafe, ParentCVersion: -1})
	data := make([]byte, 100)
	rec := &proto.SetDataTxn{Path: "/n", Data: data}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		hdr := proto.TxnHeader{Zxid: int64(i + 2), Type: proto.OpSetData}
		rec.Version = int32(i + 1)
		tr.ProcessTxn(&hdr, rec)
	}
}
