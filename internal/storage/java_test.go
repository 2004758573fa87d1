package storage

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/javatest"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/snapshot"
	"github.com/zkit-go/zkit/internal/txnlog"
	"github.com/zkit-go/zkit/internal/vfs"
)

// Interop tests against the real ZooKeeper 3.8 (Debian package zookeeper).

func needJava(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping Java interop in -short mode")
	}
	javatest.Skip(t)
}

// runJava runs a ZooKeeper tool, its dates in UTC, and returns its stdout.
func runJava(t *testing.T, class string, args ...string) string {
	t.Helper()
	return javatest.Tool(t, []string{"-Duser.timezone=UTC"}, class, args...)
}

// javaServer is a running standalone Java ZooKeeper.
type javaServer struct{ *javatest.Standalone }

// startJava starts Java ZooKeeper on dataDir (props are JVM flags).
func startJava(t *testing.T, dataDir string, props ...string) *javaServer {
	t.Helper()
	s, err := javatest.StartStandalone(t.TempDir(), append([]string{"-Duser.timezone=UTC", "-Duser.language=en", "-Duser.country=US"}, props...), "dataDir="+dataDir)
	require.NoError(t, err)
	t.Cleanup(s.Stop)
	return &javaServer{s}
}

// cli runs one zkCli command and returns its output.
func (s *javaServer) cli(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), javatest.Scale(time.Minute))
	defer cancel()
	res, err := javatest.CLI(ctx, s.Addr, "", nil, args...)
	require.NoError(t, err)
	require.Zero(t, res.ExitCode, "%v: %s%s", args, res.Stdout, res.Stderr)
	return res.Stdout + res.Stderr
}

// writeZkitDataDir writes, through zkit's code, a data directory with a
// snapshot.0 of a fresh tree and a log of varied txns, and returns the
// tree after the txns.
func writeZkitDataDir(t *testing.T, dataDir string) (*Store, *snapshot.MemTree) {
	s, err := Open(Config{DataDir: dataDir})
	require.NoError(t, err)
	tree := baseTree()
	_, err = s.Snapshot(0, &snapshot.Source{Tree: tree, Sessions: tree.Sessions, Digest: &snapshot.ZxidDigest{}}, snapshot.WriteOptions{})
	require.NoError(t, err)
	w := txnlog.NewWriter(s.LogOptions())
	ms := time.Date(2025, 12, 1, 15, 4, 5, 0, time.UTC).UnixMilli()
	sid := int64(0x1000abc0001)
	z := int64(0)
	add := func(op proto.OpCode, rec jute.Record) {
		z++
		h := &proto.TxnHeader{ClientID: sid, Cxid: int32(z), Zxid: z, Time: ms + z, Type: op}
		require.NoError(t, w.Append(h, rec, nil))
		require.NoError(t, applier{tree}.apply(*h, rec))
	}
	add(proto.OpCreateSession, &proto.CreateSessionTxn{TimeOut: 30000})
	add(proto.OpCreate, &proto.CreateTxn{Path: "/a", Data: []byte("hello"), ACL: proto.OpenACLUnsafe, ParentCVersion: 1})
	add(proto.OpCreate2, &proto.CreateTxn{Path: "/a/b", Data: []byte("x,y"), ACL: proto.OpenACLUnsafe, ParentCVersion: 1})
	add(proto.OpSetData, &proto.SetDataTxn{Path: "/a", Data: []byte("world"), Version: 1})
	add(proto.OpMulti, &proto.MultiTxn{Txns: []proto.Txn{
		{Type: proto.OpCreate, Data: jute.Marshal(&proto.CreateTxn{Path: "/m", Data: []byte("mm"), ACL: proto.OpenACLUnsafe, ParentCVersion: 3})},
		{Type: proto.OpDelete, Data: jute.Marshal(&proto.DeleteTxn{Path: "/a/b"})},
	}})
	add(proto.OpCreate, &proto.CreateTxn{Path: "/e", Data: nil, ACL: proto.OpenACLUnsafe, Ephemeral: true, ParentCVersion: 4})
	add(proto.OpSetACL, &proto.SetACLTxn{Path: "/m", ACL: proto.OpenACLUnsafe, Version: 1})
	add(proto.OpError, &proto.ErrorTxn{Err: proto.ErrNoNode})
	add(proto.OpCloseSession, &proto.CloseSessionTxn{Paths2Delete: []string{"/e"}})
	require.NoError(t, w.Close())
	return s, tree
}

func sortedLines(s string) []string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	slices.Sort(l)
	return l
}

func TestJavaReadsZkitFiles(t *testing.T) {
	needJava(t)
	dataDir := t.TempDir()
	s, tree := writeZkitDataDir(t, dataDir)

	// TxnLogToolkit reads our log and prints exactly what our dump prints.
	logPath := filepath.Join(s.LogDir(), "log.1")
	javaOut := runJava(t, "org.apache.zookeeper.server.persistence.TxnLogToolkit", logPath)
	var ours bytes.Buffer
	require.NoError(t, txnlog.Dump(&ours, vfs.OS{}, logPath, time.UTC))
	assert.Equal(t, javaOut, ours.String())
	assert.Contains(t, javaOut, "EOF reached after 9 txns.")

	// SnapshotFormatter reads our snapshots, plain and compressed, and
	// prints what we print (up to hash order).
	for _, c := range []snapshot.Compression{snapshot.Plain, snapshot.Gzip, snapshot.Snappy} {
		dir := t.TempDir()
		name, err := snapshot.WriteFile(vfs.OS{}, dir, 9, &snapshot.Source{Tree: tree, Sessions: map[int64]int32{0x1000abc0001: 30000}, Digest: &snapshot.ZxidDigest{Zxid: 9, Digest: 77}}, snapshot.WriteOptions{Compression: c})
		require.NoError(t, err)
		javaOut := runJava(t, "org.apache.zookeeper.server.SnapshotFormatter", filepath.Join(dir, name))
		var ours bytes.Buffer
		require.NoError(t, snapshot.Dump(&ours, vfs.OS{}, dir, snapshot.FileInfo{Name: name, Zxid: 9, Compression: c}, snapshot.DumpOptions{Location: time.UTC}))
		assert.Equal(t, sortedLines(javaOut), sortedLines(ours.String()), "%q", c)
		assert.Contains(t, javaOut, "/a\n  cZxid = 0x00000000000002\n")
	}

	// A Java server takes over the data directory zkit wrote.
	js := startJava(t, dataDir)
	out := js.cli(t, "get", "/a")
	assert.Contains(t, out, "\nworld\n")
	out = js.cli(t, "ls", "/")
	assert.Contains(t, out, "[a, m, zookeeper]")
	out = js.cli(t, "get", "/m")
	assert.Contains(t, out, "\nmm\n")
}

func TestZkitReadsJavaFiles(t *testing.T) {
	needJava(t)
	for _, c := range []string{"", "snappy", "gz"} {
		t.Run("compression="+c, func(t *testing.T) {
			dataDir := t.TempDir()
			js := startJava(t, dataDir, "-Dzookeeper.snapCount=2", "-Dzookeeper.snapshot.compression.method="+c)
			js.cli(t, "create", "/x1", "d1")
			js.cli(t, "create", "/x2", "d2")
			js.cli(t, "set", "/x1", "new")
			js.cli(t, "create", "/x3", "")
			js.Stop()

			s, err := Open(Config{DataDir: dataDir})
			require.NoError(t, err)
			snaps, err := snapshot.List(vfs.OS{}, s.SnapDir())
			require.NoError(t, err)
			require.NotEmpty(t, snaps)
			for _, f := range snaps {
				assert.Equal(t, snapshot.ParseCompression(c), f.Compression, f.Name)
			}
			got := snapshot.NewMemTree()
			res, err := s.Restore(got, applier{got}.replay)
			require.NoError(t, err)
			require.Contains(t, got.Nodes, "/x1")
			assert.Equal(t, "new", string(got.Nodes["/x1"].Data))
			assert.Equal(t, "d2", string(got.Nodes["/x2"].Data))
			assert.Contains(t, got.Nodes, "/x3")
			assert.Contains(t, got.Nodes, "/zookeeper/config")
			assert.Positive(t, res.LastZxid)
			assert.Positive(t, res.SnapZxid, "read a snapshot Java took after writes")
			t.Logf("restored %s + %d txns, last zxid 0x%x", res.Snapshot, res.Txns, res.LastZxid)

			// Our dumps print what Java's tools print for Java's files.
			logs, err := txnlog.List(vfs.OS{}, s.LogDir())
			require.NoError(t, err)
			for _, l := range logs {
				p := filepath.Join(s.LogDir(), l.Name)
				var ours bytes.Buffer
				require.NoError(t, txnlog.Dump(&ours, vfs.OS{}, p, time.UTC))
				assert.Equal(t, runJava(t, "org.apache.zookeeper.server.persistence.TxnLogToolkit", p), ours.String(), l.Name)
			}
			f := snaps[0]
			var ours bytes.Buffer
			require.NoError(t, snapshot.Dump(&ours, vfs.OS{}, s.SnapDir(), f, snapshot.DumpOptions{Location: time.UTC}))
			javaOut := runJava(t, "org.apache.zookeeper.server.SnapshotFormatter", filepath.Join(s.SnapDir(), f.Name))
			assert.Equal(t, sortedLines(javaOut), sortedLines(ours.String()), f.Name)
		})
	}
}
