package storage

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/snapshot"
	"github.com/zkit-go/zkit/internal/txnlog"
	"github.com/zkit-go/zkit/internal/vfs"
)

// applier replays txns onto a snapshot.MemTree the way DataTree does for
// the kinds these tests write (fuzzy-snapshot tolerant: a create of an
// existing node and a delete of a missing one are ignored).
type applier struct{ t *snapshot.MemTree }

func (a applier) apply(hdr proto.TxnHeader, rec jute.Record) error {
	switch r := rec.(type) {
	case *proto.CreateSessionTxn:
		a.t.Sessions[hdr.ClientID] = r.TimeOut
	case *proto.CloseSessionTxn:
		delete(a.t.Sessions, hdr.ClientID)
		for _, p := range r.Paths2Delete {
			_ = a.apply(hdr, &proto.DeleteTxn{Path: p})
		}
	case *proto.CreateTxn:
		if _, ok := a.t.Nodes[r.Path]; ok {
			return nil
		}
		var owner int64
		if r.Ephemeral {
			owner = hdr.ClientID
		}
		return a.t.AddNode(r.Path, r.Data, -1, proto.StatPersisted{Czxid: hdr.Zxid, Mzxid: hdr.Zxid, Ctime: hdr.Time, Mtime: hdr.Time, Pzxid: hdr.Zxid, EphemeralOwner: owner})
	case *proto.SetDataTxn:
		n, ok := a.t.Nodes[r.Path]
		if !ok {
			return fmt.Errorf("no node %s", r.Path)
		}
		n.Data, n.Stat.Version, n.Stat.Mzxid = r.Data, r.Version, hdr.Zxid
	case *proto.DeleteTxn:
		delete(a.t.Nodes, r.Path)
		i := strings.LastIndexByte(r.Path, '/')
		pp := r.Path[:i]
		if pp == "" {
			pp = "/"
		}
		if p, ok := a.t.Nodes[pp]; ok {
			for j, c := range p.Children {
				if c == r.Path[i+1:] {
					p.Children = append(p.Children[:j], p.Children[j+1:]...)
					break
				}
			}
		}
	case *proto.MultiTxn:
		for _, sub := range r.Txns {
			rec := proto.NewTxnRecord(sub.Type)
			if rec == nil {
				continue
			}
			if err := jute.Unmarshal(sub.Data, rec); err != nil {
				return err
			}
			h := hdr
			h.Type = sub.Type
			if err := a.apply(h, rec); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a applier) replay(e *txnlog.Entry) error { return a.apply(e.Header, e.Record) }

// baseTree is a fresh ZooKeeper tree.
func baseTree() *snapshot.MemTree {
	t := snapshot.NewMemTree()
	_ = t.AddNode("/", nil, -1, proto.StatPersisted{})
	_ = t.AddNode("/zookeeper", []byte{}, -1, proto.StatPersisted{})
	_ = t.AddNode("/zookeeper/quota", []byte{}, -1, proto.StatPersisted{})
	_ = t.AddNode("/zookeeper/config", []byte{}, 1, proto.StatPersisted{})
	_ = t.SetACL(1, proto.ReadACLUnsafe)
	return t
}

func createTxn(z int64, path string) (*proto.TxnHeader, jute.Record) {
	return &proto.TxnHeader{ClientID: 0x42, Cxid: int32(z), Zxid: z, Time: 1000 + z, Type: proto.OpCreate},
		&proto.CreateTxn{Path: path, Data: []byte(path), ACL: proto.OpenACLUnsafe, ParentCVersion: 1}
}

func openMem(t *testing.T) (*vfs.Mem, *Store) {
	m := vfs.NewMem()
	s, err := Open(Config{FS: m, DataDir: "/data", DataLogDir: "/logs"})
	require.NoError(t, err)
	return m, s
}

func TestRestoreSnapshotThenLogs(t *testing.T) {
	_, s := openMem(t)
	w := txnlog.NewWriter(s.LogOptions())
	tree := baseTree()
	ap := applier{tree}
	for z := int64(1); z <= 10; z++ {
		h, r := createTxn(z, fmt.Sprintf("/n%d", z))
		require.NoError(t, w.Append(h, r, nil))
		require.NoError(t, ap.apply(*h, r))
		if z == 6 {
			// a fuzzy snapshot: named 5 but holding txn 6 too
			_, err := s.Snapshot(5, &snapshot.Source{Tree: tree, Sessions: tree.Sessions}, snapshot.WriteOptions{})
			require.NoError(t, err)
			require.NoError(t, w.Roll())
		}
	}
	require.NoError(t, w.Close())

	got := snapshot.NewMemTree()
	var replayed []int64
	res, err := s.Restore(got, func(e *txnlog.Entry) error {
		replayed = append(replayed, e.Header.Zxid)
		return applier{got}.replay(e)
	})
	require.NoError(t, err)
	assert.Equal(t, int64(10), res.LastZxid)
	assert.Equal(t, int64(5), res.SnapZxid)
	assert.Equal(t, []int64{6, 7, 8, 9, 10}, replayed)
	assert.Len(t, got.Nodes, 4+10)
	assert.False(t, res.NeedsInitialSnapshot)

	// a replay error stops the restore
	_, err = s.Restore(snapshot.NewMemTree(), func(e *txnlog.Entry) error { return fs.ErrInvalid })
	assert.ErrorIs(t, err, fs.ErrInvalid)
}

func TestRestoreEmpty(t *testing.T) {
	m, s := openMem(t)
	res, err := s.Restore(snapshot.NewMemTree(), nil)
	require.NoError(t, err)
	assert.Equal(t, int64(0), res.LastZxid)
	assert.True(t, res.NeedsInitialSnapshot)

	// db.autocreate=false: untrusted empty database, unless "initialize"
	s2, err := Open(Config{FS: m, DataDir: "/data", DataLogDir: "/logs", NoAutoCreateDB: true})
	require.NoError(t, err)
	res, err = s2.Restore(snapshot.NewMemTree(), nil)
	require.NoError(t, err)
	assert.Equal(t, int64(-1), res.LastZxid)
	require.NoError(t, vfs.WriteFileAtomic(m, "/logs/initialize", nil))
	res, err = s2.Restore(snapshot.NewMemTree(), nil)
	require.NoError(t, err)
	assert.Equal(t, int64(0), res.LastZxid)
	ok, err := vfs.Exists(m, "/logs/initialize")
	require.NoError(t, err)
	assert.False(t, ok, "initialize is consumed")
}

func TestRestoreLogsWithoutSnapshot(t *testing.T) {
	m, s := openMem(t)
	w := txnlog.NewWriter(s.LogOptions())
	h, r := createTxn(1, "/a")
	require.NoError(t, w.Append(h, r, nil))
	require.NoError(t, w.Close())
	_, err := s.Restore(baseTree(), applier{}.replay)
	assert.ErrorIs(t, err, ErrEmptySnapshot)

	s2, err := Open(Config{FS: m, DataDir: "/data", DataLogDir: "/logs", TrustEmptySnapshot: true})
	require.NoError(t, err)
	got := snapshot.NewMemTree()
	res, err := s2.Restore(got, func(e *txnlog.Entry) error {
		if len(got.Nodes) == 0 {
			*got = *baseTree()
		}
		return applier{got}.replay(e)
	})
	require.NoError(t, err)
	assert.Equal(t, int64(1), res.LastZxid)
	assert.Contains(t, got.Nodes, "/a")
}

func TestRestoreStopsAtCRCError(t *testing.T) {
	m, s := openMem(t)
	_, err := s.Snapshot(0, &snapshot.Source{Tree: baseTree()}, snapshot.WriteOptions{})
	require.NoError(t, err)
	w := txnlog.NewWriter(txnlog.Options{FS: m, Dir: s.LogDir(), PreAllocSize: -1})
	for z := int64(1); z <= 3; z++ {
		h, r := createTxn(z, fmt.Sprintf("/n%d", z))
		require.NoError(t, w.Append(h, r, nil))
	}
	require.NoError(t, w.Close())
	p := filepath.Join(s.LogDir(), "log.1")
	b, err := vfs.ReadFile(m, p)
	require.NoError(t, err)
	b[len(b)-10] ^= 0xff // inside the last entry's body
	require.NoError(t, vfs.WriteFileAtomic(m, p, b))
	var replayed int
	_, err = s.Restore(snapshot.NewMemTree(), func(*txnlog.Entry) error { replayed++; return nil })
	assert.ErrorIs(t, err, txnlog.ErrCRC)
	assert.Equal(t, 2, replayed, "replays up to the bad entry, then fails")
}

func TestDirContentCheck(t *testing.T) {
	m, s := openMem(t)
	require.NoError(t, vfs.WriteFileAtomic(m, filepath.Join(s.LogDir(), "snapshot.1"), []byte("x")))
	_, err := Open(Config{FS: m, DataDir: "/data", DataLogDir: "/logs"})
	assert.ErrorIs(t, err, ErrDirContent)
	// the same directory for both is fine
	_, err = Open(Config{FS: m, DataDir: "/logs"})
	require.NoError(t, err)
}

func TestPurge(t *testing.T) {
	m, s := openMem(t)
	w := txnlog.NewWriter(txnlog.Options{FS: m, Dir: s.LogDir(), PreAllocSize: -1})
	tree := baseTree()
	for z := int64(1); z <= 50; z++ {
		h, r := createTxn(z, fmt.Sprintf("/n%d", z))
		require.NoError(t, w.Append(h, r, nil))
		if z%10 == 5 { // snapshots at 5, 15, 25, 35, 45, then roll
			require.NoError(t, w.Sync())
			_, err := s.Snapshot(z, &snapshot.Source{Tree: tree}, snapshot.WriteOptions{})
			require.NoError(t, err)
			require.NoError(t, w.Roll())
		}
	}
	require.NoError(t, w.Close())
	_, err := s.Purge(2)
	assert.ErrorIs(t, err, ErrRetainCount)
	removed, err := s.Purge(3)
	require.NoError(t, err)
	// keeps snapshots 25, 35, 45 and the log holding 26.. (log.16, since
	// the log rolled after snapshot 15 starts at 16 and holds 16..25)
	assert.ElementsMatch(t, []string{"log.1", "log.6", "snapshot.5", "snapshot.f"}, removed)
	names, err := m.ReadDir(s.SnapDir())
	require.NoError(t, err)
	assert.Equal(t, []string{"snapshot.19", "snapshot.23", "snapshot.2d"}, names)
	res, err := s.Restore(snapshot.NewMemTree(), func(*txnlog.Entry) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, int64(50), res.LastZxid)
}

func TestEpochFiles(t *testing.T) {
	m, s := openMem(t)
	_, err := s.ReadEpoch(CurrentEpochFile)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	require.NoError(t, s.WriteEpoch(CurrentEpochFile, 7))
	b, err := vfs.ReadFile(m, "/data/version-2/currentEpoch")
	require.NoError(t, err)
	assert.Equal(t, "7", string(b), "decimal, no newline")
	v, err := s.ReadEpoch(CurrentEpochFile)
	require.NoError(t, err)
	assert.Equal(t, int64(7), v)
	// durable at once
	c, err := Open(Config{FS: m.CrashClone(), DataDir: "/data", DataLogDir: "/logs"})
	require.NoError(t, err)
	v, err = c.ReadEpoch(CurrentEpochFile)
	require.NoError(t, err)
	assert.Equal(t, int64(7), v)

	// a crash during the rename leaves the old value and the tmp file
	m.SetInjector(vfs.FailOn(vfs.OpRename, "currentEpoch"))
	assert.Error(t, s.WriteEpoch(CurrentEpochFile, 8))
	m.SetInjector(nil)
	v, err = s.ReadEpoch(CurrentEpochFile)
	require.NoError(t, err)
	assert.Equal(t, int64(7), v)

	require.NoError(t, vfs.WriteFileAtomic(m, "/data/version-2/acceptedEpoch", []byte("12\n")))
	v, err = s.ReadEpoch(AcceptedEpochFile)
	require.NoError(t, err)
	assert.Equal(t, int64(12), v)
	require.NoError(t, vfs.WriteFileAtomic(m, "/data/version-2/acceptedEpoch", []byte("x")))
	_, err = s.ReadEpoch(AcceptedEpochFile)
	assert.ErrorIs(t, err, ErrBadNumber)
}

func TestMyID(t *testing.T) {
	m := vfs.NewMem()
	require.NoError(t, m.MkdirAll("/data"))
	require.NoError(t, vfs.WriteFileAtomic(m, "/data/myid", []byte("3\n")))
	id, err := ReadMyID(m, "/data")
	require.NoError(t, err)
	assert.Equal(t, int64(3), id)
}

// TestCrashRestoreEveryStep crashes at every filesystem operation of a
// workload of appends, syncs, a snapshot and rolls, then restores from
// what survived: the result must be a prefix of the txns that includes
// every synced one.
func TestCrashRestoreEveryStep(t *testing.T) {
	for k := 1; ; k++ {
		m, s := openMem(t)
		var clone *vfs.Mem
		ops := 0
		m.SetInjector(func(vfs.Op, string) error {
			ops++
			if ops == k {
				clone = m.CrashClone()
			}
			if ops >= k {
				return fmt.Errorf("crash")
			}
			return nil
		})
		opts := s.LogOptions()
		opts.PreAllocSize = 300
		w := txnlog.NewWriter(opts)
		tree := baseTree()
		synced, z := int64(0), int64(0)
		func() {
			// a new database starts with snapshot.0, as ZooKeeper's does
			if _, err := s.Snapshot(0, &snapshot.Source{Tree: tree}, snapshot.WriteOptions{}); err != nil {
				return
			}
			for round := 0; round < 6; round++ {
				for i := 0; i < 2; i++ {
					z++
					h, r := createTxn(z, fmt.Sprintf("/n%d", z))
					if w.Append(h, r, nil) != nil {
						return
					}
					_ = applier{tree}.apply(*h, r)
				}
				if w.Sync() != nil {
					return
				}
				synced = z
				if round == 2 {
					if _, err := s.Snapshot(z, &snapshot.Source{Tree: tree}, snapshot.WriteOptions{}); err != nil {
						return
					}
					if w.Roll() != nil {
						return
					}
				}
			}
		}()
		_ = w.Close()
		if clone == nil {
			t.Logf("crashed at each of %d operations", k-1)
			require.Greater(t, k, 20)
			return
		}
		cs, err := Open(Config{FS: clone, DataDir: "/data", DataLogDir: "/logs"})
		require.NoError(t, err)
		got := snapshot.NewMemTree()
		res, err := cs.Restore(got, func(e *txnlog.Entry) error {
			if len(got.Nodes) == 0 {
				*got = *baseTree()
			}
			return applier{got}.replay(e)
		})
		require.NoError(t, err, "k=%d", k)
		require.GreaterOrEqual(t, res.LastZxid, synced, "k=%d lost synced txns", k)
		for i := int64(1); i <= res.LastZxid; i++ {
			require.Contains(t, got.Nodes, fmt.Sprintf("/n%d", i), "k=%d", k)
		}
		if res.LastZxid > 0 {
			require.Len(t, got.Nodes, int(res.LastZxid)+4, "k=%d", k)
		}
	}
}
