package server_test

import (
	"bytes"
	"context"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/acl"
	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/internal/javatest"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/snapshot"
	"github.com/zkit-go/zkit/internal/txnlog"
	"github.com/zkit-go/zkit/internal/vfs"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// Disk interop with Java ZooKeeper 3.8: each server takes over a data
// directory the other wrote and serves the same tree, byte for byte and
// stat for stat, with a live session's ephemerals.

func needJavaZK(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping Java interop in -short mode")
	}
	javatest.Skip(t)
}

// node is what a server serves for one path.
type node struct {
	Data []byte
	Stat proto.Stat
	ACL  []proto.ACL
}

const (
	treeUser = "u:p"
	ttl      = time.Hour
)

// buildTree makes a tree with every kind of node through c (which keeps
// its session: its ephemerals are the live session's). midway is called
// half way, with persistent and TTL nodes made and the ephemerals not yet.
func buildTree(t *testing.T, c *client.Conn, midway func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(60*time.Second))
	defer cancel()
	open := proto.OpenACLUnsafe
	digest := []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "digest", ID: acl.GenerateDigest(treeUser)}}}
	must := func(err error, what string) { require.NoError(t, err, what) }
	create := func(p string, data []byte, flags int32, a []proto.ACL) string {
		got, err := c.Create(ctx, p, data, flags, a)
		must(err, "create "+p)
		return got
	}
	must(c.AddAuth(ctx, "digest", []byte(treeUser)), "addAuth")
	create("/a", []byte("hello"), proto.FlagPersistent, open)
	create("/a/b", []byte{0, 1, 2, 0xff}, proto.FlagPersistent, open)
	_, err := c.SetData(ctx, "/a", []byte("v1"), 0)
	must(err, "setData")
	_, err = c.SetData(ctx, "/a", []byte("version two"), -1)
	must(err, "setData")
	_, err = c.SetACL(ctx, "/a/b", append([]proto.ACL{{Perms: proto.PermRead | proto.PermWrite, ID: proto.AnyoneID}}, digest...), 0)
	must(err, "setACL")
	create("/digest", []byte("secret"), proto.FlagPersistent, digest)
	create("/auth", []byte("mine"), proto.FlagPersistent, proto.CreatorAllACL)
	create("/ip", []byte("ip"), proto.FlagPersistent, []proto.ACL{
		{Perms: proto.PermRead, ID: proto.ID{Scheme: "ip", ID: "127.0.0.1"}},
		{Perms: proto.PermAdmin, ID: proto.AnyoneID}})
	create("/seq", nil, proto.FlagPersistent, open)
	var seqs []string
	for i := 0; i < 3; i++ {
		seqs = append(seqs, create("/seq/s-", []byte{byte(i)}, proto.FlagPersistentSequential, open))
	}
	must(c.Delete(ctx, seqs[1], 0), "delete")
	_, _, err = c.CreateContainer(ctx, "/cont", []byte("box"), open)
	must(err, "createContainer")
	create("/cont/child", nil, proto.FlagPersistent, open)
	_, _, err = c.CreateTTL(ctx, "/ttl", []byte("t"), proto.FlagPersistentWithTTL, open, ttl)
	must(err, "createTTL")
	_, _, err = c.CreateTTL(ctx, "/seq/ttl-", nil, proto.FlagPersistentSequentialWithTTL, open, ttl)
	must(err, "createTTL sequential")
	midway()
	create("/eph", []byte("live"), proto.FlagEphemeral, open)
	create("/seq/e-", nil, proto.FlagEphemeralSequential, digest)
	_, err = c.Multi(ctx,
		client.CreateOp("/m1", []byte("multi"), proto.FlagPersistent, open),
		client.SetDataOp("/a", []byte("from multi"), -1),
		client.CheckOp("/ttl", 0))
	must(err, "multi")
	_, err = c.Multi(ctx, client.CreateOp("/never", nil, proto.FlagPersistent, open), client.CheckOp("/a", 0))
	require.Error(t, err, "a failed multi")
	create("/gone", nil, proto.FlagPersistent, open)
	must(c.Delete(ctx, "/gone", -1), "delete")
	create("/big", bytes.Repeat([]byte("0123456789"), 50_000), proto.FlagPersistent, open)
}

// readTree reads every node (data, Stat, ACL) through a new session
// authenticated as the tree's user, then closes that session.
func readTree(t *testing.T, addr string) map[string]node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(60*time.Second))
	defer cancel()
	c, err := client.Dial(ctx, addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.AddAuth(ctx, "digest", []byte(treeUser)))
	out := map[string]node{}
	var walk func(p string)
	walk = func(p string) {
		data, st, err := c.GetData(ctx, p, false)
		require.NoError(t, err, "getData %s", p)
		a, ast, err := c.GetACL(ctx, p)
		require.NoError(t, err, "getACL %s", p)
		require.Equal(t, st, ast, "%s: getData and getACL stats", p)
		out[p] = node{Data: data, Stat: st, ACL: a}
		kids, err := c.GetChildren(ctx, p, false)
		require.NoError(t, err)
		slices.Sort(kids)
		for _, k := range kids {
			walk(path.Join(p, k))
		}
	}
	walk("/")
	return out
}

// compareTrees asserts that got serves exactly want.
func compareTrees(t *testing.T, want, got map[string]node) {
	t.Helper()
	for p, w := range want {
		g, ok := got[p]
		if !assert.True(t, ok, "%s missing", p) {
			continue
		}
		assert.Equal(t, w.Data, g.Data, "%s data", p)
		assert.Equal(t, w.Stat, g.Stat, "%s stat", p)
		assert.Equal(t, w.ACL, g.ACL, "%s ACL", p)
	}
	for p := range got {
		_, ok := want[p]
		assert.True(t, ok, "%s appeared", p)
	}
}

// resume reconnects with a session and checks its ephemerals are there.
func resume(t *testing.T, addr string, id int64, passwd []byte, want map[string]node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(30*time.Second))
	defer cancel()
	c, err := client.Dial(ctx, addr, client.WithSession(id, passwd), client.WithSessionTimeout(30*time.Second))
	require.NoError(t, err, "resume session 0x%x", id)
	defer c.Drop() // keep the session and its ephemerals for readTree
	require.Equal(t, id, c.SessionID(), "the session was resumed, not replaced")
	eph, err := c.GetEphemerals(ctx, "/")
	require.NoError(t, err)
	slices.Sort(eph)
	var wantEph []string
	for p, n := range want {
		if n.Stat.EphemeralOwner == id {
			wantEph = append(wantEph, p)
		}
	}
	slices.Sort(wantEph)
	assert.Len(t, wantEph, 2)
	assert.Equal(t, wantEph, eph)
}

func zkitConfig(dataDir string) server.Config {
	cfg := server.DefaultConfig()
	cfg.DataDir = dataDir
	cfg.ClientPort = 0
	cfg.MaxClientCnxns = 0
	cfg.ExtendedTypesEnabled = true
	cfg.Logger = quietLogger()
	return cfg
}

// javaLogErrors returns the ERROR lines of a Java server's log (digest
// mismatches and load problems are logged there, not fatal).
func javaLogErrors(t *testing.T, dir string) []string {
	b, err := os.ReadFile(filepath.Join(dir, "server.log"))
	require.NoError(t, err)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "command socket") { // the four-letter-word polls of StartJavaServer
			continue
		}
		if strings.Contains(l, " ERROR ") || strings.Contains(strings.ToLower(l), "digest mismatch") {
			out = append(out, l)
		}
	}
	return out
}

func TestJavaServesZkitDataDir(t *testing.T) {
	needJavaZK(t)
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	s := startCfg(t, zkitConfig(dataDir))
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(30*time.Second))
	defer cancel()
	live, err := client.Dial(ctx, s.Addr().String(), client.WithSessionTimeout(30*time.Second))
	require.NoError(t, err)
	buildTree(t, live, func() {
		_, err := s.TakeSnapshot()
		require.NoError(t, err)
	})
	want := readTree(t, s.Addr().String())
	id, passwd := live.SessionID(), live.Passwd()
	live.Drop() // the session lives on in the files
	require.NoError(t, s.Close())

	// (c) Java's tools read every file zkit wrote, and print what ours print.
	vdir := filepath.Join(dataDir, "version-2")
	logs, err := txnlog.List(vfs.OS{}, vdir)
	require.NoError(t, err)
	require.NotEmpty(t, logs)
	for _, l := range logs {
		p := filepath.Join(vdir, l.Name)
		var ours bytes.Buffer
		require.NoError(t, txnlog.Dump(&ours, vfs.OS{}, p, time.Local))
		assert.Equal(t, javaTool(t, "org.apache.zookeeper.server.persistence.TxnLogToolkit", p), ours.String(), l.Name)
	}
	snaps, err := snapshot.List(vfs.OS{}, vdir)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(snaps), 2)
	for _, f := range snaps {
		p := filepath.Join(vdir, f.Name)
		var ours bytes.Buffer
		require.NoError(t, snapshot.Dump(&ours, vfs.OS{}, vdir, f, snapshot.DumpOptions{Data: true, Location: time.Local}))
		javaOut := javaTool(t, "org.apache.zookeeper.server.SnapshotFormatter", "-d", p)
		assert.Equal(t, sortLines(javaOut), sortLines(ours.String()), f.Name)
	}

	// (a) Java serves the same tree, and the live session's ephemerals.
	js, err := clienttest.StartJavaServer(dir)
	require.NoError(t, err)
	defer js.Stop()
	resume(t, js.Addr, id, passwd, want)
	got := readTree(t, js.Addr)
	compareTrees(t, want, got)
	assert.Empty(t, javaLogErrors(t, dir), "Java logged errors loading zkit's files")
}

func TestZkitServesJavaDataDir(t *testing.T) {
	needJavaZK(t)
	dir := t.TempDir()
	js, err := clienttest.StartJavaServer(dir, "snapCount=20")
	require.NoError(t, err)
	defer js.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(30*time.Second))
	defer cancel()
	live, err := client.Dial(ctx, js.Addr, client.WithSessionTimeout(30*time.Second))
	require.NoError(t, err)
	buildTree(t, live, func() {})
	want := readTree(t, js.Addr)
	id, passwd := live.SessionID(), live.Passwd()
	live.Drop()
	js.Stop() // SIGKILL: Java made every acknowledged txn durable
	require.Empty(t, javaLogErrors(t, dir))

	snaps, err := snapshot.List(vfs.OS{}, filepath.Join(dir, "data", "version-2"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(snaps), 2, "Java took snapshots along the way (snapCount=20)")
	s := startCfg(t, zkitConfig(filepath.Join(dir, "data")))
	resume(t, s.Addr().String(), id, passwd, want)
	got := readTree(t, s.Addr().String())
	compareTrees(t, want, got)
}

func javaTool(t *testing.T, class string, args ...string) string {
	t.Helper()
	return javatest.Tool(t, nil, class, args...)
}

func sortLines(s string) []string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	slices.Sort(l)
	return l
}
