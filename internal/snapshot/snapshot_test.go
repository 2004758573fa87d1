package snapshot

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/vfs"
)

const dir = "/data/version-2"

// sampleTree builds a tree like a fresh ZooKeeper's plus some nodes.
func sampleTree(extra int) *MemTree {
	t := NewMemTree()
	st := func(z int64) proto.StatPersisted {
		return proto.StatPersisted{Czxid: z, Mzxid: z, Ctime: 1700000000000 + z, Mtime: 1700000000000 + z, Pzxid: z}
	}
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	must(t.AddNode("/", nil, -1, st(0)))
	must(t.AddNode("/zookeeper", []byte{}, -1, st(0)))
	must(t.AddNode("/zookeeper/quota", []byte{}, -1, st(0)))
	must(t.AddNode("/zookeeper/config", []byte{}, 1, st(0)))
	must(t.SetACL(1, proto.ReadACLUnsafe))
	must(t.SetACL(2, []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "digest", ID: "u:h="}}, {Perms: 1, ID: proto.AnyoneID}}))
	must(t.AddNode("/a", []byte("hello"), 2, st(5)))
	eph := st(6)
	eph.EphemeralOwner = 0x100000abc
	must(t.AddNode("/a/e", []byte("x"), -1, eph))
	for i := 0; i < extra; i++ {
		must(t.AddNode(fmt.Sprintf("/n%06d", i), bytes.Repeat([]byte{byte(i)}, i%50), -1, st(int64(10+i))))
	}
	t.Sessions = map[int64]int32{0x100000abc: 30000, 0x100000abd: 4000}
	return t
}

func writeSnap(t *testing.T, fs vfs.FS, zxid int64, tree *MemTree, c Compression, d *ZxidDigest) string {
	t.Helper()
	name, err := WriteFile(fs, dir, zxid, &Source{Tree: tree, Sessions: tree.Sessions, Digest: d}, WriteOptions{Compression: c})
	require.NoError(t, err)
	return name
}

func newMem(t testing.TB) *vfs.Mem {
	m := vfs.NewMem()
	require.NoError(t, m.MkdirAll(dir))
	return m
}

func TestRoundTrip(t *testing.T) {
	for _, c := range []Compression{Plain, Gzip, Snappy} {
		for _, d := range []*ZxidDigest{nil, {Zxid: 0x20, Version: 2, Digest: -12345}, {}} {
			t.Run(fmt.Sprintf("%q digest=%v", c, d), func(t *testing.T) {
				m := newMem(t)
				tree := sampleTree(2000)
				name := writeSnap(t, m, 0x20, tree, c, d)
				assert.Equal(t, "snapshot.20"+c.Ext(), name)
				got := NewMemTree()
				res, err := Load(m, dir, got, nil)
				require.NoError(t, err)
				assert.Equal(t, int64(0x20), res.Zxid)
				assert.Equal(t, tree.Sessions, got.Sessions)
				assert.Equal(t, tree.ACL, got.ACL)
				require.Equal(t, len(tree.Nodes), len(got.Nodes))
				for p, n := range tree.Nodes {
					g := got.Nodes[p]
					require.NotNil(t, g, p)
					assert.Equal(t, len(n.Data), len(g.Data), p)
					assert.Equal(t, n.Stat, g.Stat, p)
					assert.Equal(t, n.ACLRef, g.ACLRef, p)
				}
				if d != nil && d.Zxid != 0 {
					assert.Equal(t, d, res.Digest)
				} else {
					assert.Nil(t, res.Digest)
				}
			})
		}
	}
}

func TestPlainLayout(t *testing.T) {
	tree := NewMemTree()
	require.NoError(t, tree.AddNode("/", nil, -1, proto.StatPersisted{}))
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, Plain, &Source{Tree: tree, Sessions: map[int64]int32{7: 9}}))
	var e jute.Encoder
	(&proto.FileHeader{Magic: proto.SnapshotMagic, Version: 2, DBID: -1}).Encode(&e)
	e.Int(1)
	e.Long(7)
	e.Int(9)
	e.Int(0)      // no ACLs
	e.String("")  // root
	e.Buffer(nil) // null data
	e.Long(-1)    // acl
	(&proto.StatPersisted{}).Encode(&e)
	e.String("/") // end of nodes
	body := bytes.Clone(e.Bytes())
	e.Long(int64(adler(body)))
	e.String("/")
	assert.Equal(t, e.Bytes(), buf.Bytes())
}

func TestOldHexDigest(t *testing.T) {
	tree := sampleTree(0)
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, Plain, &Source{Tree: tree}))
	// append a version-1 digest section: zxid, 1, hex string, seal
	var e jute.Encoder
	e.Long(0x33)
	e.Int(1)
	e.String("ff")
	all := append(buf.Bytes(), e.Bytes()...)
	e.Reset()
	e.Long(int64(adler(all)))
	e.String("/")
	all = append(all, e.Bytes()...)
	d, err := Read(bytes.NewReader(all), Plain, NewMemTree(), ReadOptions{})
	require.NoError(t, err)
	assert.Equal(t, &ZxidDigest{Zxid: 0x33, Version: 1, Digest: 0xff}, d)
}

// TestCorruptFallsBack damages the newest snapshot in many ways; Load must
// skip it and read the previous one.
func TestCorruptFallsBack(t *testing.T) {
	for _, c := range []Compression{Plain, Gzip, Snappy} {
		m := newMem(t)
		writeSnap(t, m, 0x10, sampleTree(1), c, &ZxidDigest{})
		newest := writeSnap(t, m, 0x20, sampleTree(30), c, &ZxidDigest{})
		good, err := vfs.ReadFile(m, filepath.Join(dir, newest))
		require.NoError(t, err)
		r := rand.New(rand.NewPCG(1, uint64(len(c))))
		offsets := []int{0, 5, 20, 40, len(good) / 2, len(good) - 20, len(good) - 6}
		for i := 0; i < 60; i++ {
			offsets = append(offsets, r.IntN(len(good)))
		}
		for _, off := range offsets {
			b := bytes.Clone(good)
			b[off] ^= 0x10
			f, err := m.Create(filepath.Join(dir, newest))
			require.NoError(t, err)
			_, err = f.Write(b)
			require.NoError(t, err)
			require.NoError(t, f.Close())
			got := NewMemTree()
			res, err := Load(m, dir, got, nil)
			require.NoError(t, err, "%q flip at %d", c, off)
			if res.Zxid == 0x20 {
				// A flip the format cannot see: only possible in bytes that
				// gzip/snappy framing ignores (e.g. gzip header mtime/OS).
				require.NotEqual(t, Plain, c, "flip at %d undetected", off)
				continue
			}
			assert.Equal(t, int64(0x10), res.Zxid, "%q flip at %d", c, off)
			assert.Len(t, got.Nodes, len(sampleTree(1).Nodes), "sink was reset")
		}
		// truncated at every 7th byte
		for cut := 0; cut < len(good); cut += 7 {
			f, err := m.Create(filepath.Join(dir, newest))
			require.NoError(t, err)
			_, err = f.Write(good[:cut])
			require.NoError(t, err)
			require.NoError(t, f.Close())
			res, err := Load(m, dir, NewMemTree(), nil)
			require.NoError(t, err)
			if c == Gzip && gunzipLen(good[:cut]) == gunzipLen(good) {
				// only gzip's end (empty final block, trailer) is cut: the
				// sealed content is whole, and neither ZooKeeper nor we
				// read past the last seal
				continue
			}
			assert.Equal(t, int64(0x10), res.Zxid, "%q cut at %d", c, cut)
		}
	}
}

func TestNoValidSnapshot(t *testing.T) {
	m := newMem(t)
	res, err := Load(m, dir, NewMemTree(), nil)
	require.NoError(t, err)
	assert.Equal(t, int64(-1), res.Zxid)

	name := writeSnap(t, m, 5, sampleTree(0), Plain, nil)
	b, err := vfs.ReadFile(m, filepath.Join(dir, name))
	require.NoError(t, err)
	b[30] ^= 1
	f, err := m.Create(filepath.Join(dir, name))
	require.NoError(t, err)
	_, err = f.Write(b)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	_, err = Load(m, dir, NewMemTree(), nil)
	assert.ErrorIs(t, err, ErrNoValidSnapshot)
}

func TestListAndValid(t *testing.T) {
	m := newMem(t)
	writeSnap(t, m, 0x1, sampleTree(0), Plain, nil)
	writeSnap(t, m, 0x3, sampleTree(0), Gzip, nil)
	writeSnap(t, m, 0x2, sampleTree(0), Snappy, nil)
	for _, n := range []string{"snapshot.4.tmp", "snapshot.x", "log.5", "snapshot.6"} {
		f, err := m.Create(filepath.Join(dir, n))
		require.NoError(t, err)
		_, err = f.Write([]byte("short"))
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	files, err := List(m, dir)
	require.NoError(t, err)
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		ok, err := Valid(m, dir, f)
		require.NoError(t, err)
		assert.Equal(t, f.Name != "snapshot.6", ok, f.Name)
	}
	assert.Equal(t, []string{"snapshot.6", "snapshot.3.gz", "snapshot.2.snappy", "snapshot.1"}, names)
	assert.Equal(t, Snappy, ParseCompression("SNAPPY"))
	assert.Equal(t, Plain, ParseCompression("zstd"))
}

func TestWriteFileCrashLeavesNoPartialSnapshot(t *testing.T) {
	m := newMem(t)
	writeSnap(t, m, 0x10, sampleTree(1), Plain, nil)
	for _, op := range []vfs.Op{vfs.OpWrite, vfs.OpSync, vfs.OpRename, vfs.OpSyncDir} {
		m.SetInjector(vfs.FailOn(op, "snapshot.20"))
		if op == vfs.OpSyncDir {
			m.SetInjector(vfs.FailOn(op, ""))
		}
		_, err := WriteFile(m, dir, 0x20, &Source{Tree: sampleTree(5)}, WriteOptions{})
		require.Error(t, err, op.String())
		m.SetInjector(nil)
		res, err := Load(m.CrashClone(), dir, NewMemTree(), nil)
		require.NoError(t, err)
		assert.Equal(t, int64(0x10), res.Zxid, op.String())
	}
}

func TestSnappyCodec(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	inputs := [][]byte{nil, []byte("a"), bytes.Repeat([]byte("abcd"), 5000), make([]byte, 100000)}
	rnd := make([]byte, 70000)
	for i := range rnd {
		rnd[i] = byte(r.IntN(4))
	}
	inputs = append(inputs, rnd)
	text := []byte(strings.Repeat("the quick brown fox jumps over the lazy dog 0123456789 ", 3000))
	inputs = append(inputs, text)
	for _, in := range inputs {
		enc := snappyEncode(nil, in)
		dec, err := snappyDecode(nil, enc)
		require.NoError(t, err)
		assert.Equal(t, len(in), len(dec))
		assert.True(t, bytes.Equal(in, dec))
		var buf bytes.Buffer
		w := newSnappyWriter(&buf)
		_, err = w.Write(in)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		var out bytes.Buffer
		_, err = out.ReadFrom(newSnappyReader(&buf))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(in, out.Bytes()))
	}
	assert.Less(t, len(snappyEncode(nil, text)), len(text)/4, "compresses")
}

func TestDump(t *testing.T) {
	m := newMem(t)
	tree := sampleTree(0)
	name := writeSnap(t, m, 0x20, tree, Plain, nil)
	var out bytes.Buffer
	require.NoError(t, Dump(&out, m, dir, FileInfo{Name: name, Zxid: 0x20}, DumpOptions{Location: time.UTC}))
	s := out.String()
	assert.True(t, strings.HasPrefix(s, "ZNode Details (count=7):\n----\n/\n  cZxid = 0x00000000000000\n  ctime = Tue Nov 14 22:13:20 UTC 2023\n"), s)
	assert.Contains(t, s, "----\n/a/e\n  cZxid = 0x00000000000006\n")
	assert.Contains(t, s, "  ephemeralOwner = 0x00000100000abc\n  dataLength = 1\n")
	assert.Contains(t, s, "Session Details (sid, timeout, ephemeralCount):\n0x00000100000abc, 30000, 1\n0x00000100000abd, 4000, 0\n")
	assert.True(t, strings.HasSuffix(s, "----\nLast zxid: 0x20\n"), s)
	out.Reset()
	require.NoError(t, Dump(&out, m, dir, FileInfo{Name: name, Zxid: 0x20}, DumpOptions{Data: true, Location: time.UTC}))
	assert.Contains(t, out.String(), "  data = aGVsbG8=\n")
}

func gunzipLen(b []byte) int {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return -1
	}
	n, _ := io.Copy(io.Discard, zr)
	return int(n)
}

func adler(b []byte) uint32 {
	var a, s uint32 = 1, 0
	for _, c := range b {
		a = (a + uint32(c)) % 65521
		s = (s + a) % 65521
	}
	return s<<16 | a
}

func FuzzRead(f *testing.F) {
	for _, c := range []Compression{Plain, Snappy} {
		var buf bytes.Buffer
		_ = Write(&buf, c, &Source{Tree: sampleTree(3), Sessions: map[int64]int32{1: 2}, Digest: &ZxidDigest{Zxid: 1}})
		f.Add(buf.Bytes(), c == Snappy)
	}
	f.Fuzz(func(t *testing.T, b []byte, snappy bool) {
		c := Plain
		if snappy {
			c = Snappy
		}
		_, _ = Read(bytes.NewReader(b), c, NewMemTree(), ReadOptions{})
	})
}

func FuzzSnappyDecode(f *testing.F) {
	f.Add(snappyEncode(nil, []byte(strings.Repeat("abcabcabd", 20))))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := snappyDecode(nil, b)
		if err == nil {
			// re-encoding and decoding what decoded must round-trip
			back, err := snappyDecode(nil, snappyEncode(nil, out))
			require.NoError(t, err)
			require.Equal(t, out, back)
		}
	})
}

func benchTree(n int) *MemTree {
	t := NewMemTree()
	_ = t.AddNode("/", nil, -1, proto.StatPersisted{})
	data := bytes.Repeat([]byte("v"), 100)
	for i := 0; i < n/100; i++ {
		p := fmt.Sprintf("/d%03d", i)
		_ = t.AddNode(p, data, -1, proto.StatPersisted{Czxid: int64(i)})
		for j := 0; j < 99; j++ {
			_ = t.AddNode(fmt.Sprintf("%s/n%02d", p, j), data, -1, proto.StatPersisted{Czxid: int64(i*100 + j)})
		}
	}
	return t
}

func BenchmarkWrite100k(b *testing.B) {
	tree := benchTree(100000)
	for _, c := range []Compression{Plain, Gzip, Snappy} {
		b.Run(fmt.Sprintf("%q", c), func(b *testing.B) {
			d := b.TempDir()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				_, err := WriteFile(vfs.OS{}, d, int64(i+1), &Source{Tree: tree}, WriteOptions{Compression: c})
				require.NoError(b, err)
				_ = os.Remove(filepath.Join(d, Name(int64(i+1), c)))
			}
		})
	}
}

func BenchmarkRead100k(b *testing.B) {
	tree := benchTree(100000)
	for _, c := range []Compression{Plain, Gzip, Snappy} {
		b.Run(fmt.Sprintf("%q", c), func(b *testing.B) {
			d := b.TempDir()
			name, err := WriteFile(vfs.OS{}, d, 1, &Source{Tree: tree}, WriteOptions{Compression: c})
			require.NoError(b, err)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_, err := ReadFile(vfs.OS{}, d, FileInfo{Name: name, Zxid: 1, Compression: c}, NewMemTree(), ReadOptions{})
				require.NoError(b, err)
			}
		})
	}
}
