package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/vfs"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// Crash tests on vfs.Mem: a crash is Mem.CrashClone, which keeps only what
// was fsynced (file data) and dir-synced (directory entries).

const memDataDir = "/data"

func quietLogger() *slog.Logger {
	if os.Getenv("ZKIT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// memConfig is a server on fs with small log preallocation steps and
// frequent snapshots, so that crashes land in every phase.
func memConfig(fs vfs.FS) server.Config {
	cfg := server.DefaultConfig()
	cfg.FS = fs
	cfg.DataDir = memDataDir
	cfg.ClientPort = 0
	cfg.MaxClientCnxns = 0
	cfg.SnapCount = 64
	cfg.Properties["preAllocSize"] = "16" // KiB
	cfg.Logger = quietLogger()
	return cfg
}

func startCfg(t *testing.T, cfg server.Config) *server.Server {
	t.Helper()
	s, err := server.New(cfg)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func dial(t *testing.T, s *server.Server) *client.Conn {
	t.Helper()
	return dialAll(t, s.Addr().String(), 1)[0]
}

// restoreAndVerify starts a server on fs, checks p against it and stops it.
func restoreAndVerify(t *testing.T, fs vfs.FS, p progress, what string) {
	t.Helper()
	cfg := memConfig(fs)
	s, err := server.New(cfg)
	require.NoError(t, err, what)
	require.NoError(t, s.Start(), what)
	c := dial(t, s)
	verify(t, c, p, what)
	c.Drop()
	require.NoError(t, s.Close(), what)
}

type crashPoint struct {
	what  string
	fs    *vfs.Mem
	acked progress
}

// TestCrashKeepsAcknowledgedWrites crashes a busy server at many points
// (before fsyncs, directory syncs and renames, as the storage code reaches
// them, and at moments chosen from outside) and restarts on each crash
// image: every write acknowledged before the crash is there, nothing never
// sent is, and each client's writes survive as a prefix.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	const clients = 8
	mem := vfs.NewMem()
	s := startCfg(t, memConfig(mem))
	w := setupWorkload(t, dial(t, s), clients)

	var (
		mu     sync.Mutex // guards points and ops
		points []crashPoint
		ops    int
	)
	take := func(what string) {
		p := w.acked() // before the crash: all of it is durable
		fs := mem.CrashClone()
		p.sent = w.sentNow() // after it: nothing beyond can be there
		mu.Lock()
		points = append(points, crashPoint{what: what, fs: fs, acked: p})
		mu.Unlock()
	}
	mem.SetInjector(func(op vfs.Op, name string) error {
		switch op {
		case vfs.OpSync, vfs.OpSyncDir, vfs.OpRename, vfs.OpCreate, vfs.OpWrite:
		default:
			return nil
		}
		mu.Lock()
		ops++
		n := ops
		mu.Unlock()
		if n%13 == 0 && n/13 <= 30 {
			take(fmt.Sprintf("before %s %s (op %d)", op, name, n))
		}
		return nil
	})

	stop := make(chan struct{})
	w.start(dialAll(t, s.Addr().String(), clients), stop)
	for i := 1; i <= 10; i++ {
		zktesting.Eventually(t, 30*time.Second, func() bool { return w.acked().total() >= i*150 },
			"workload progress")
		take(fmt.Sprintf("outside, after %d acknowledged writes", i*150))
	}
	close(stop)
	for i, err := range w.wait() {
		require.NoError(t, err, "client %d", i)
	}
	take("after the last write")
	mem.SetInjector(nil)

	mu.Lock()
	defer mu.Unlock()
	require.GreaterOrEqual(t, len(points), 25)
	names, err := mem.ReadDir(path.Join(memDataDir, "version-2"))
	require.NoError(t, err)
	t.Logf("%d crash points over %d acknowledged writes; files at the end: %v", len(points), w.acked().total(), names)
	for _, cp := range points {
		restoreAndVerify(t, cp.fs, cp.acked, cp.what)
	}
}

// TestWriteErrorsStopServer injects a failing fsync or write into the txn
// log of a busy server: it stops with the error, acknowledges nothing it
// did not make durable (a restart on what survives a crash has every
// acknowledged write), and clients see only connection loss.
func TestWriteErrorsStopServer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inject vfs.InjectFunc
		next   bool // the next write meets the fault (not only a later log roll)
	}{
		{"fsync", vfs.FailOn(vfs.OpSync, "log."), true},
		{"write", vfs.FailOn(vfs.OpWrite, "log."), true},
		{"fsync dir", vfs.FailOn(vfs.OpSyncDir, "version-2"), false}, // at the next log roll
	} {
		t.Run(tc.name, func(t *testing.T) {
			const clients = 4
			mem := vfs.NewMem()
			s := startCfg(t, memConfig(mem))
			probe := dial(t, s)
			w := setupWorkload(t, probe, clients)
			stop := make(chan struct{})
			defer close(stop)
			w.start(dialAll(t, s.Addr().String(), clients), stop)
			zktesting.Eventually(t, 30*time.Second, func() bool { return w.acked().total() >= 200 }, "workload progress")

			mem.SetInjector(tc.inject)
			ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(30*time.Second))
			defer cancel()
			if tc.next {
				// A write sent after the fault is never acknowledged.
				_, err := probe.Create(ctx, "/after-fault", nil, proto.FlagPersistent, proto.OpenACLUnsafe)
				require.Error(t, err)
				assert.True(t, isConnLoss(err), "the client sees connection loss, not %v", err)
			}

			select {
			case <-s.Done():
			case <-time.After(zktesting.Scale(30 * time.Second)):
				t.Fatal("server still running after a txn log failure")
			}
			require.Error(t, s.Err())
			assert.ErrorIs(t, s.Err(), vfs.ErrInjected)
			for i, err := range w.wait() {
				require.Error(t, err, "client %d", i)
				assert.True(t, isConnLoss(err), "client %d: %v", i, err)
			}
			_, err := client.Dial(ctx, s.Addr().String())
			assert.Error(t, err, "a stopped server accepts no client")
			assert.ErrorIs(t, s.Close(), vfs.ErrInjected, "Close returns the fatal error")

			final := w.acked()
			final.sent = w.sentNow()
			restoreAndVerify(t, mem.CrashClone(), final, "crash after the fault")
			// The files as the failed server left them (no crash) restore too.
			mem.SetInjector(nil)
			restoreAndVerify(t, mem, final, "restart after the fault")
			c := dial(t, startCfg(t, memConfig(mem.CrashClone())))
			_, err = c.Exists(ctx, "/after-fault", false)
			assert.ErrorIs(t, err, proto.ErrNoNode)
		})
	}
}

// TestDiskFull runs out of space under a busy server: it stops with ENOSPC
// in its error, the files are not corrupted, and a restart once space is
// back (with or without a crash in between) has every acknowledged write.
func TestDiskFull(t *testing.T) {
	const clients = 4
	mem := vfs.NewMem()
	s := startCfg(t, memConfig(mem))
	w := setupWorkload(t, dial(t, s), clients)
	mem.SetSpaceLimit(usedBytes(t, mem) + 256<<10)
	stop := make(chan struct{})
	defer close(stop)
	w.start(dialAll(t, s.Addr().String(), clients), stop)
	select {
	case <-s.Done():
	case <-time.After(zktesting.Scale(60 * time.Second)):
		t.Fatal("server still running with a full disk")
	}
	err := s.Err()
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.ENOSPC)
	assert.Contains(t, err.Error(), "no space left on device")
	t.Logf("server stopped: %v", err)
	for i, err := range w.wait() {
		assert.True(t, isConnLoss(err), "client %d: %v", i, err)
	}
	final := w.acked()
	final.sent = w.sentNow()
	require.Greater(t, final.total(), 100)
	_ = s.Close()

	restoreAndVerify(t, mem.CrashClone(), final, "crash after ENOSPC")
	mem.SetSpaceLimit(-1)
	restoreAndVerify(t, mem, final, "restart after ENOSPC with space freed")
}

// usedBytes sums the sizes of the files under the data directory.
func usedBytes(t *testing.T, fs vfs.FS) int64 {
	t.Helper()
	var total int64
	var walk func(dir string)
	walk = func(dir string) {
		names, err := fs.ReadDir(dir)
		require.NoError(t, err)
		for _, n := range names {
			fi, err := fs.Stat(path.Join(dir, n))
			require.NoError(t, err)
			if fi.IsDir() {
				walk(path.Join(dir, n))
			} else {
				total += fi.Size()
			}
		}
	}
	walk("/")
	return total
}

// damagedDir runs a server on a fresh Mem that creates /t0../t<n-1> through
// one session, snapshotting after each create in snapAfter, and returns the
// Mem after a clean stop (the session is left open: no closeSession txn, so
// the last log entry is the create of /t<n-1>).
func damagedDir(t *testing.T, n int, snapAfter ...int) *vfs.Mem {
	t.Helper()
	mem := vfs.NewMem()
	cfg := memConfig(mem)
	cfg.SnapCount = 1 << 20 // only the snapshots asked for
	s := startCfg(t, cfg)
	c := dial(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(30*time.Second))
	defer cancel()
	for i := 0; i < n; i++ {
		_, err := c.Create(ctx, fmt.Sprintf("/t%d", i), []byte(fmt.Sprintf("value-%d", i)), proto.FlagPersistent, proto.OpenACLUnsafe)
		require.NoError(t, err)
		for _, a := range snapAfter {
			if a == i {
				_, err := s.TakeSnapshot()
				require.NoError(t, err)
			}
		}
	}
	c.Drop()
	require.NoError(t, s.Close())
	return mem
}

// files returns the names in version-2 starting with prefix, oldest first.
func memFiles(t *testing.T, mem *vfs.Mem, prefix string) []string {
	t.Helper()
	names, err := mem.ReadDir(path.Join(memDataDir, "version-2"))
	require.NoError(t, err)
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, prefix+".") {
			out = append(out, path.Join(memDataDir, "version-2", n))
		}
	}
	// Same-length hex names sort by zxid; ours are short enough to pad.
	slicesSortByZxid(out)
	return out
}

func slicesSortByZxid(names []string) {
	key := func(s string) string {
		parts := strings.Split(path.Base(s), ".")
		return fmt.Sprintf("%016s", parts[1])
	}
	for i := 1; i < len(names); i++ {
		for j := i; j > 0 && key(names[j]) < key(names[j-1]); j-- {
			names[j], names[j-1] = names[j-1], names[j]
		}
	}
}

// rewrite replaces a Mem file's bytes (durably).
func rewrite(t *testing.T, mem *vfs.Mem, name string, edit func([]byte) []byte) {
	t.Helper()
	b, err := vfs.ReadFile(mem, name)
	require.NoError(t, err)
	b = edit(bytes.Clone(b))
	require.NoError(t, mem.Remove(name))
	f, err := mem.Create(name)
	require.NoError(t, err)
	_, err = f.Write(b)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
	require.NoError(t, mem.SyncDir(path.Dir(name)))
}

// flip flips the bits of the byte at the first occurrence of marker, plus off.
func flip(t *testing.T, marker string, off int) func([]byte) []byte {
	return func(b []byte) []byte {
		i := bytes.Index(b, []byte(marker))
		require.GreaterOrEqual(t, i, 0, "marker %q not in file", marker)
		b[i+off] ^= 0xff
		return b
	}
}

// TestDamagedFiles damages the files a stopped server left and restarts:
// as in ZooKeeper, a torn last log entry is the end of the log, a checksum
// error anywhere in the log stops the server from starting, and a damaged
// newest snapshot makes it fall back to an older one and replay the log
// from there.
func TestDamagedFiles(t *testing.T) {
	const n = 10
	for _, tc := range []struct {
		name      string
		snapAfter []int
		damage    func(t *testing.T, mem *vfs.Mem)
		fail      string // error text the restart must fail with; "" = starts
		want      int    // /t0../t<want-1> must be there, no more
	}{
		{
			name: "torn last log entry",
			damage: func(t *testing.T, mem *vfs.Mem) {
				logs := memFiles(t, mem, "log")
				rewrite(t, mem, logs[len(logs)-1], func(b []byte) []byte {
					i := bytes.LastIndex(b, []byte(fmt.Sprintf("/t%d", n-1)))
					require.Positive(t, i)
					return b[:i+4] // cut inside the entry, before its data and end marker
				})
			},
			want: n - 1,
		},
		{
			name: "torn last log entry in the zero tail",
			damage: func(t *testing.T, mem *vfs.Mem) {
				logs := memFiles(t, mem, "log")
				rewrite(t, mem, logs[len(logs)-1], func(b []byte) []byte {
					i := bytes.LastIndex(b, []byte(fmt.Sprintf("/t%d", n-1)))
					require.Positive(t, i)
					for j := i + 4; j < len(b); j++ { // the rest of the entry never reached the disk
						b[j] = 0
					}
					return b
				})
			},
			want: n - 1,
		},
		{
			name:   "flipped byte in a log entry",
			damage: func(t *testing.T, mem *vfs.Mem) { rewrite(t, mem, memFiles(t, mem, "log")[0], flip(t, "value-4", 2)) },
			fail:   "CRC",
		},
		{
			name: "flipped byte in the last log entry",
			damage: func(t *testing.T, mem *vfs.Mem) {
				rewrite(t, mem, memFiles(t, mem, "log")[0], flip(t, fmt.Sprintf("value-%d", n-1), 2))
			},
			fail: "CRC",
		},
		{
			name:      "flipped byte in the newest snapshot",
			snapAfter: []int{3, 6},
			damage: func(t *testing.T, mem *vfs.Mem) {
				snaps := memFiles(t, mem, "snapshot")
				require.Len(t, snaps, 3) // snapshot.0 and two taken
				rewrite(t, mem, snaps[2], flip(t, "value-5", 1))
			},
			want: n,
		},
		{
			name:      "torn newest snapshot",
			snapAfter: []int{3, 6},
			damage: func(t *testing.T, mem *vfs.Mem) {
				snaps := memFiles(t, mem, "snapshot")
				rewrite(t, mem, snaps[2], func(b []byte) []byte { return b[:len(b)/2] })
			},
			want: n,
		},
		{
			name:      "every snapshot damaged",
			snapAfter: []int{6},
			damage: func(t *testing.T, mem *vfs.Mem) {
				for _, s := range memFiles(t, mem, "snapshot") {
					rewrite(t, mem, s, flip(t, "/zookeeper", 2))
				}
			},
			fail: "snapshot",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := damagedDir(t, n, tc.snapAfter...)
			tc.damage(t, mem)
			s, err := server.New(memConfig(mem))
			if tc.fail != "" {
				require.Error(t, err, "ZooKeeper refuses to start on this directory")
				assert.Contains(t, err.Error(), tc.fail)
				t.Logf("refused: %v", err)
				return
			}
			require.NoError(t, err)
			require.NoError(t, s.Start())
			defer s.Close()
			c := dial(t, s)
			ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(30*time.Second))
			defer cancel()
			for i := 0; i < n; i++ {
				data, _, err := c.GetData(ctx, fmt.Sprintf("/t%d", i), false)
				if i < tc.want {
					if assert.NoError(t, err, "/t%d", i) {
						assert.Equal(t, fmt.Sprintf("value-%d", i), string(data))
					}
				} else {
					assert.ErrorIs(t, err, proto.ErrNoNode, "/t%d", i)
				}
			}
			// The server goes on logging after the repaired end.
			_, err = c.Create(ctx, "/next", nil, proto.FlagPersistent, proto.OpenACLUnsafe)
			require.NoError(t, err)
			c.Drop()
			require.NoError(t, s.Close())
			s2 := startCfg(t, memConfig(mem.CrashClone()))
			c2 := dial(t, s2)
			_, err = c2.Exists(ctx, "/next", false)
			assert.NoError(t, err, "a write after recovery survives the next restart")
			if tc.want > 0 {
				_, err = c2.Exists(ctx, fmt.Sprintf("/t%d", tc.want-1), false)
				assert.NoError(t, err)
			}
		})
	}
}
