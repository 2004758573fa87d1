package storage

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/snapshot"
	"github.com/zkit-go/zkit/internal/txnlog"
	"github.com/zkit-go/zkit/internal/vfs"
)

// Interop tests against the real ZooKeeper 3.8 (Debian package zookeeper).

const (
	zkJar    = "/usr/share/java/zookeeper.jar"
	slf4jNop = "/usr/share/java/slf4j-nop.jar"
	zkCli    = "/usr/share/zookeeper/bin/zkCli.sh"
)

func needJava(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping Java interop in -short mode")
	}
	for _, f := range []string{zkJar, slf4jNop, zkCli} {
		if _, err := os.Stat(f); err != nil {
			t.Skipf("Java ZooKeeper not installed (%s missing): apt-get install -y zookeeper", f)
		}
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Skip("java not on PATH")
	}
}

func timeout(d time.Duration) time.Duration {
	if s, err := strconv.ParseFloat(os.Getenv("ZKIT_TEST_TIMEOUT_SCALE"), 64); err == nil && s > 0 {
		return time.Duration(float64(d) * s)
	}
	return d
}

var jvmFlags = []string{"-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Duser.timezone=UTC", "-Duser.language=en", "-Duser.country=US"}

// runJava runs a ZooKeeper main class and returns its stdout.
func runJava(t *testing.T, class string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout(2*time.Minute))
	defer cancel()
	a := append(slices.Clone(jvmFlags), "-cp", zkJar+":"+slf4jNop, class)
	cmd := exec.CommandContext(ctx, "java", append(a, args...)...)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Run(), "%s %v: %s%s", class, args, out.String(), errb.String())
	return out.String()
}

// javaServer is a running standalone Java ZooKeeper.
type javaServer struct {
	cmd  *exec.Cmd
	addr string
	log  bytes.Buffer
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startJava(t *testing.T, dataDir string, props ...string) *javaServer {
	t.Helper()
	port := freePort(t)
	cfg := fmt.Sprintf("tickTime=2000\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n", dataDir, port)
	cfgPath := filepath.Join(t.TempDir(), "zoo.cfg")
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o644))
	a := append(slices.Clone(jvmFlags), props...)
	a = append(a, "-cp", zkJar+":/usr/share/java/slf4j-simple.jar", "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfgPath)
	s := &javaServer{cmd: exec.Command("java", a...), addr: fmt.Sprintf("127.0.0.1:%d", port)}
	s.cmd.Stdout, s.cmd.Stderr = &s.log, &s.log
	require.NoError(t, s.cmd.Start())
	t.Cleanup(s.stop)
	deadline := time.Now().Add(timeout(60 * time.Second))
	for {
		if c, err := net.DialTimeout("tcp", s.addr, time.Second); err == nil {
			_, _ = c.Write([]byte("srvr"))
			_ = c.SetReadDeadline(time.Now().Add(timeout(5 * time.Second)))
			b := make([]byte, 512)
			n, _ := c.Read(b)
			c.Close()
			if strings.Contains(string(b[:n]), "Mode") {
				return s
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			t.Fatalf("Java ZooKeeper did not start:\n%s", s.log.String())
		}
		time.Sleep(200 * time.Millisecond) // polling with a deadline
	}
}

func (s *javaServer) stop() {
	if s.cmd.ProcessState == nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
}

// cli runs one zkCli.sh command and returns its output.
func (s *javaServer) cli(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout(time.Minute))
	defer cancel()
	cmd := exec.CommandContext(ctx, zkCli, append([]string{"-server", s.addr}, args...)...)
	cmd.Env = append(os.Environ(), "CLIENT_JVMFLAGS=-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%v: %s", args, out)
	return string(out)
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
			js.stop()

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
