package snapshot

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

// TestBodyIsFileBody checks that the stream body is byte for byte a plain
// snapshot file minus its 16-byte FileHeader and the 13-byte seal (long
// checksum + ustring "/"), as SerializeUtils.serializeSnapshot writes it.
func TestBodyIsFileBody(t *testing.T) {
	for _, extra := range []int{0, 3, 5000} {
		tree := sampleTree(extra)
		src := &Source{Tree: tree, Sessions: tree.Sessions, Digest: &ZxidDigest{Zxid: 9, Digest: 77}}
		var body bytes.Buffer
		require.NoError(t, WriteBody(&body, src))
		var file bytes.Buffer
		require.NoError(t, Write(&file, Plain, &Source{Tree: tree, Sessions: tree.Sessions}))
		f := file.Bytes()
		require.Equal(t, f[16:len(f)-13], body.Bytes(), "extra=%d", extra)
	}
}

func TestBodyRoundTripLeavesReaderAfterBody(t *testing.T) {
	tree := sampleTree(300)
	var buf bytes.Buffer
	require.NoError(t, WriteBody(&buf, &Source{Tree: tree, Sessions: tree.Sessions}))
	var e jute.Encoder
	e.String("BenWasHere")
	buf.Write(e.Bytes())

	r := bufio.NewReader(&buf)
	got := NewMemTree()
	require.NoError(t, ReadBody(r, got))
	assert.Equal(t, tree.Sessions, got.Sessions)
	assert.Equal(t, tree.ACL, got.ACL)
	require.Equal(t, len(tree.Nodes), len(got.Nodes))
	for p, n := range tree.Nodes {
		require.Contains(t, got.Nodes, p)
		assert.Equal(t, n.Stat, got.Nodes[p].Stat, p)
		assert.Equal(t, n.ACLRef, got.Nodes[p].ACLRef, p)
		assert.Equal(t, len(n.Data), len(got.Nodes[p].Data), p)
	}
	// the signature is still there to read
	var l [4]byte
	_, err := r.Read(l[:])
	require.NoError(t, err)
	assert.Equal(t, uint32(10), binary.BigEndian.Uint32(l[:]))
}

func TestReadBodyBad(t *testing.T) {
	var ok bytes.Buffer
	tree := sampleTree(0)
	require.NoError(t, WriteBody(&ok, &Source{Tree: tree, Sessions: tree.Sessions}))
	huge := func() []byte {
		var e jute.Encoder
		e.Int(0)                              // sessions
		e.Int(0)                              // acls
		e.String("")                          // root path
		e.Raw([]byte{0x7f, 0xff, 0xff, 0xf0}) // data length ~2 GiB
		return e.Bytes()
	}()
	overLimit := func() []byte {
		var e jute.Encoder
		e.Int(0)
		e.Int(0)
		e.Int(StreamMaxLen + 1) // path length
		return e.Bytes()
	}()
	orphan := func() []byte {
		var e jute.Encoder
		e.Int(0)
		e.Int(0)
		e.String("/a/b")
		e.Buffer(nil)
		e.Long(-1)
		(&proto.StatPersisted{}).Encode(&e)
		return e.Bytes()
	}()
	for name, b := range map[string][]byte{
		"empty":      nil,
		"truncated":  ok.Bytes()[:ok.Len()-3],
		"huge data":  huge,
		"over limit": overLimit,
		"bad ACLs":   {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0x00},
		"orphan":     orphan,
	} {
		t.Run(name, func(t *testing.T) {
			err := ReadBody(bytes.NewReader(b), NewMemTree())
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrCorrupt), "%v", err)
		})
	}
}

// failWriter fails after n bytes.
type failWriter struct{ n int }

var errWrite = errors.New("write failed")

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, errWrite
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriteBodyError(t *testing.T) {
	tree := sampleTree(5000)
	err := WriteBody(&failWriter{n: 100 << 10}, &Source{Tree: tree, Sessions: tree.Sessions})
	require.ErrorIs(t, err, errWrite)
}

func FuzzReadBody(f *testing.F) {
	var buf bytes.Buffer
	tree := sampleTree(3)
	_ = WriteBody(&buf, &Source{Tree: tree, Sessions: tree.Sessions})
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		got := NewMemTree()
		if err := ReadBody(bytes.NewReader(b), got); err != nil {
			return
		}
		// what parsed writes back to a prefix of the input when the tree is
		// well formed (MemTree sorts children, so compare sizes only)
		var out bytes.Buffer
		require.NoError(t, WriteBody(&out, &Source{Tree: got, Sessions: got.Sessions}))
		require.NotZero(t, out.Len())
	})
}

func BenchmarkWriteBody100k(b *testing.B) {
	tree := benchTree(100_000)
	src := &Source{Tree: tree, Sessions: tree.Sessions}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := WriteBody(&buf, src); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
