package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/acl"
	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/javatest"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/server"
)

func scale(d time.Duration) time.Duration {
	if s, err := strconv.ParseFloat(os.Getenv("ZKIT_TEST_TIMEOUT_SCALE"), 64); err == nil && s > 0 {
		return time.Duration(float64(d) * s)
	}
	return d
}

// writeDataDir runs a zkit server on a fresh dataDir, makes txns of most
// kinds (sessions, creates of every mode, setData, setACL with a digest
// ACL, delete, multi, a failed multi, closeSession), snapshots half way and
// returns the dataDir.
func writeDataDir(t *testing.T) string {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.ClientPort = 0
	cfg.ExtendedTypesEnabled = true
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := server.New(cfg)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	defer func() { require.NoError(t, s.Close()) }()
	ctx, cancel := context.WithTimeout(context.Background(), scale(30*time.Second))
	defer cancel()
	c, err := client.Dial(ctx, s.Addr().String())
	require.NoError(t, err)
	open := proto.OpenACLUnsafe
	digest := []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "digest", ID: acl.GenerateDigest("u:p")}}}
	_, err = c.Create(ctx, "/a", []byte("hello, world"), proto.FlagPersistent, open)
	require.NoError(t, err)
	_, _, err = c.Create2(ctx, "/a/seq-", []byte{0, 1, 2, 0xff}, proto.FlagPersistentSequential, open)
	require.NoError(t, err)
	_, err = c.Create(ctx, "/a/eph", nil, proto.FlagEphemeral, open)
	require.NoError(t, err)
	_, _, err = c.CreateContainer(ctx, "/cont", []byte("c"), open)
	require.NoError(t, err)
	_, _, err = c.CreateTTL(ctx, "/ttl", []byte("t"), proto.FlagPersistentWithTTL, open, time.Hour)
	require.NoError(t, err)
	_, err = s.TakeSnapshot()
	require.NoError(t, err)
	_, err = c.SetData(ctx, "/a", []byte("new"), 0)
	require.NoError(t, err)
	_, err = c.SetACL(ctx, "/a", digest, -1)
	require.NoError(t, err)
	_, err = c.Multi(ctx,
		client.CreateOp("/m", []byte("x"), proto.FlagPersistent, open),
		client.SetDataOp("/ttl", []byte("tt"), -1))
	require.NoError(t, err)
	_, err = c.Multi(ctx,
		client.CreateOp("/never", nil, proto.FlagPersistent, open),
		client.DeleteOp("/nonexistent", -1))
	require.Error(t, err, "a failed multi logs an error txn")
	require.NoError(t, c.Delete(ctx, "/m", -1))
	require.NoError(t, c.Close())
	_, err = s.TakeSnapshot()
	require.NoError(t, err)
	return cfg.DataDir
}

func files(t *testing.T, dir, prefix string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "version-2"))
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix+".") {
			out = append(out, filepath.Join(dir, "version-2", e.Name()))
		}
	}
	require.NotEmpty(t, out, "no %s files", prefix)
	return out
}

func zkit(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	require.Equal(t, 0, run(args, nil, &out, &errb), "zkit %v: %s", args, errb.String())
	return out.String()
}

func TestDumpCommands(t *testing.T) {
	dir := writeDataDir(t)
	var all strings.Builder
	for _, f := range files(t, dir, "log") {
		all.WriteString(zkit(t, "log", "dump", f))
	}
	out := all.String()
	assert.Contains(t, out, "ZooKeeper Transactional Log File with dbid 0 txnlog format version 2\n")
	for _, want := range []string{" createSession ", " create ", " create2 ", " createContainer ", " createTtl ",
		" setData ", " setACL ", " multi ", " delete ", " closeSession ", "EOF reached after "} {
		assert.Contains(t, out, want)
	}
	snaps := files(t, dir, "snapshot")
	for _, f := range snaps {
		out := zkit(t, "snap", "dump", f)
		assert.Contains(t, out, "ZNode Details (count=")
		assert.Contains(t, out, "\n/zookeeper/quota\n")
		assert.Contains(t, out, "\nLast zxid: 0x")
		assert.NotContains(t, out, "  data = ")
		withData := zkit(t, "snap", "dump", "-d", f)
		assert.Contains(t, withData, "  data = ")
	}
}

func TestDumpUsageAndErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "log.1")
	bad := filepath.Join(t.TempDir(), "snapshot.5")
	require.NoError(t, os.WriteFile(bad, []byte("not a snapshot at all"), 0o644))
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"log"}, 2, "usage: zkit log dump"},
		{[]string{"log", "dump"}, 2, "usage: zkit log dump"},
		{[]string{"log", "cat", "x"}, 2, "usage: zkit log dump"},
		{[]string{"snap", "dump", "-x", "f"}, 2, "usage: zkit snap dump"},
		{[]string{"snap", "dump", "a", "b"}, 2, "usage: zkit snap dump"},
		{[]string{"log", "dump", missing}, 1, "no such file"},
		{[]string{"log", "dump", bad}, 1, "zkit: "},
		{[]string{"snap", "dump", bad}, 1, "zkit: "},
	} {
		var out, errb bytes.Buffer
		assert.Equal(t, tc.code, run(tc.args, nil, &out, &errb), "%v", tc.args)
		assert.Contains(t, errb.String(), tc.msg, "%v", tc.args)
	}
	assert.Contains(t, usage(), "log dump")
	assert.Contains(t, usage(), "snap dump")
}

// runJava runs a ZooKeeper tool; it inherits TZ so both sides print times
// in the same zone, and fixes the locale Java formats dates with.
func runJava(t *testing.T, class string, args ...string) string {
	t.Helper()
	return javatest.Tool(t, nil, class, args...)
}

func needJava(t *testing.T) {
	t.Helper()
	javatest.Skip(t)
}

func sortedLines(s string) []string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	slices.Sort(l)
	return l
}

// TestDumpMatchesJava compares the tools with Java's on files a zkit server
// wrote: the log dump byte for byte, the snapshot dump up to line order
// (Java prints children and sessions in hash order).
func TestDumpMatchesJava(t *testing.T) {
	needJava(t)
	dir := writeDataDir(t)
	for _, f := range files(t, dir, "log") {
		assert.Equal(t, runJava(t, "org.apache.zookeeper.server.persistence.TxnLogToolkit", f),
			zkit(t, "log", "dump", f), f)
	}
	for _, f := range files(t, dir, "snapshot") {
		assert.Equal(t, sortedLines(runJava(t, "org.apache.zookeeper.server.SnapshotFormatter", f)),
			sortedLines(zkit(t, "snap", "dump", f)), f)
		assert.Equal(t, sortedLines(runJava(t, "org.apache.zookeeper.server.SnapshotFormatter", "-d", f)),
			sortedLines(zkit(t, "snap", "dump", "-d", f)), "-d "+f)
	}
}
