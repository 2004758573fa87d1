package zkdb

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	"github.com/zkit-go/zkit/internal/datatree"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/snapshot"
	"github.com/zkit-go/zkit/internal/statemachine"
	"github.com/zkit-go/zkit/internal/storage"
	"github.com/zkit-go/zkit/internal/txnlog"
	"github.com/zkit-go/zkit/internal/vfs"
)

// Config says where the database lives and how it writes.
type Config struct {
	FS         vfs.FS // nil means the real filesystem
	DataDir    string
	DataLogDir string
	// NoSync skips fsync on the txn log (forceSync=no).
	NoSync bool
	// SnapCount is ZooKeeper's snapCount (default 100000).
	SnapCount int
	// SnapSizeLimit triggers a snapshot after this many logged bytes
	// (snapSizeLimitInKb × 1024); 0 means ZooKeeper's 4 GiB default.
	SnapSizeLimit int64
	// Compression is zookeeper.snapshot.compression.method: "", "gz" or "snappy".
	Compression string
	// PreAllocSize is the txn log preallocation step (zookeeper.preAllocSize).
	PreAllocSize int64
	// TrustEmptySnapshot is zookeeper.snapshot.trust.empty.
	TrustEmptySnapshot bool
	// TreeOptions configure the restored tree (extended types, digest).
	TreeOptions []datatree.Option
	Logger      *slog.Logger
}

// DB is an open database.
type DB struct {
	cfg    Config
	log    *slog.Logger
	store  *storage.Store
	writer *txnlog.Writer
	comp   snapshot.Compression

	// Restored state, handed to the engine.
	Tree     *datatree.Tree
	Sessions map[int64]int32
	LastZxid int64

	// mu guards the snapshot trigger state and err.
	mu          sync.Mutex
	logCount    int
	logBytes    int64
	randRoll    int
	randSize    int64
	err         error
	snapPending bool // a snapshot is asked for and not started
	snapRunning bool
	snapWake    chan struct{}
	source      func() (*snapshot.Source, int64)
	stop        chan struct{}
	wg          sync.WaitGroup
	closeOnce   sync.Once
	lastSnap    string

	stats dbStats // load and snapshot timings; lock-free summaries
}

// bigTree is the node count from which Open returns the garbage of the
// restore to the operating system at once (a forced GC, ~0.1 s per million
// nodes); below it the runtime's background scavenger is enough.
const bigTree = 100_000

// ErrFailed reports a DB that refused a txn after a write error.
var ErrFailed = errors.New("zkdb: txn log failed")

// Open restores the database in cfg's directories.
func Open(cfg Config) (*DB, error) {
	if cfg.FS == nil {
		cfg.FS = vfs.OS{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SnapCount <= 1 {
		cfg.SnapCount = 100000
	}
	if cfg.SnapSizeLimit <= 0 {
		cfg.SnapSizeLimit = 4 << 30
	}
	comp := snapshot.ParseCompression(cfg.Compression)
	store, err := storage.Open(storage.Config{
		FS:                 cfg.FS,
		DataDir:            cfg.DataDir,
		DataLogDir:         cfg.DataLogDir,
		TrustEmptySnapshot: cfg.TrustEmptySnapshot,
		Logger:             cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	db := &DB{
		cfg:      cfg,
		log:      cfg.Logger,
		store:    store,
		comp:     comp,
		snapWake: make(chan struct{}, 1),
		stop:     make(chan struct{}),
		stats:    newDBStats(),
	}
	db.resetRoll()
	if err := db.restore(); err != nil {
		return nil, err
	}
	db.openWriter()
	return db, nil
}

// sink loads a snapshot into a datatree loader and collects sessions.
type sink struct {
	opts     []datatree.Option
	loader   *datatree.Loader
	acls     map[int64][]proto.ACL
	sessions map[int64]int32
}

func (s *sink) Reset() {
	s.loader = datatree.NewLoader(s.opts...)
	s.acls = make(map[int64][]proto.ACL)
	s.sessions = make(map[int64]int32)
}

func (s *sink) AddSession(id int64, timeout int32) error {
	s.sessions[id] = timeout
	return nil
}

func (s *sink) SetACL(ref int64, acl []proto.ACL) error {
	s.acls[ref] = acl
	return nil
}

func (s *sink) AddNode(path string, data []byte, aclRef int64, stat proto.StatPersisted) error {
	if path == "/" {
		path = "" // the loader keys the root as ZooKeeper's snapshot does
	}
	return s.loader.AddNode(path, data, aclRef, stat)
}

func (db *DB) restore() error {
	sk := &sink{opts: db.cfg.TreeOptions}
	sk.Reset()
	var (
		tree     *datatree.Tree
		loaded   bool
		finishOK = func() error {
			if tree != nil {
				return nil
			}
			if !loaded {
				tree = datatree.New(db.cfg.TreeOptions...)
				return nil
			}
			sk.loader.SetACLCache(sk.acls)
			t, err := sk.loader.Finish()
			if err != nil {
				return err
			}
			tree = t
			return nil
		}
	)
	timer := newRestoreTimer()
	replay := func(e *txnlog.Entry) error {
		timer.replayed()
		loaded = loaded || sk.loaderHasRoot()
		if err := finishOK(); err != nil {
			return err
		}
		statemachine.TrackSession(sk.sessions, &e.Header, e.Record)
		tree.ProcessTxn(&e.Header, e.Record)
		return nil
	}
	res, err := db.store.Restore(sk, replay)
	if err != nil {
		return fmt.Errorf("zkdb: restore: %w", err)
	}
	timer.done(db.stats)
	loaded = loaded || sk.loaderHasRoot()
	if err := finishOK(); err != nil {
		return fmt.Errorf("zkdb: restore: %w", err)
	}
	if res.Digest != nil && tree != nil {
		tree.SetSnapshotDigest(datatree.ZxidDigest{Zxid: res.Digest.Zxid, Version: res.Digest.Version, Digest: res.Digest.Digest}, res.SnapZxid)
	}
	last := res.LastZxid
	if last < 0 {
		last = 0
	}
	tree.SetLastProcessedZxid(last)
	if db.Tree != nil {
		tree.AdoptStats(db.Tree) // the server's counts go on
	}
	db.Tree = tree
	db.Sessions = sk.sessions
	db.LastZxid = last
	if res.NeedsInitialSnapshot {
		src := &snapshot.Source{Tree: treeSource{tree}, Sessions: map[int64]int32{}, Digest: &snapshot.ZxidDigest{}}
		start := time.Now()
		if _, err := db.store.Snapshot(0, src, snapshot.WriteOptions{Compression: db.comp}); err != nil {
			return fmt.Errorf("zkdb: initial snapshot: %w", err)
		}
		db.stats.snapshotTime.Observe(time.Since(start).Milliseconds())
	}
	if tree.NodeCount() >= bigTree {
		// Loading made about as much garbage as the tree is big (decode
		// buffers, replayed txns); give those pages back now rather than
		// serve with a resident size of twice the tree.
		debug.FreeOSMemory()
	}
	db.log.Info("database loaded", "snapshot", res.Snapshot, "txns_replayed", res.Txns,
		"last_zxid", fmt.Sprintf("0x%x", last), "sessions", len(sk.sessions))
	return nil
}

func (s *sink) loaderHasRoot() bool { return s.loader != nil && s.loader.HasRoot() }

// treeSource adapts a datatree to the snapshot writer.
type treeSource struct{ t *datatree.Tree }

func (s treeSource) ACLs() map[int64][]proto.ACL { return s.t.ACLCacheSnapshot() }

func (s treeSource) Walk(fn func(path string, data []byte, aclRef int64, stat proto.StatPersisted) error) error {
	return s.t.Walk(datatree.WalkFunc(fn))
}

// SnapshotTree adapts a datatree for snapshot.Source.
func SnapshotTree(t *datatree.Tree) snapshot.Tree { return treeSource{t} }

func (db *DB) resetRoll() {
	half := db.cfg.SnapCount / 2
	db.randRoll = rand.IntN(max(half, 1))
	halfSize := db.cfg.SnapSizeLimit / 2
	db.randSize = rand.Int64N(max(halfSize, 1))
	db.logCount = 0
	db.logBytes = 0
}

// Append buffers a txn in the log (engine.TxnLog).
func (db *DB) Append(hdr *proto.TxnHeader, rec jute.Record, digest *proto.TxnDigest) error {
	if err := db.writer.Append(hdr, rec, digest); err != nil {
		return err
	}
	db.mu.Lock()
	db.logCount++
	db.mu.Unlock()
	return nil
}

// Sync makes every appended txn durable, then rolls the log and asks for a
// snapshot if enough has been logged since the last one.
func (db *DB) Sync() error {
	if err := db.writer.Sync(); err != nil {
		return err
	}
	size := db.writer.Size()
	db.mu.Lock()
	due := db.logCount > db.cfg.SnapCount/2+db.randRoll ||
		size > db.cfg.SnapSizeLimit/2+db.randSize
	if due {
		db.resetRoll()
	}
	db.mu.Unlock()
	if !due {
		return nil
	}
	if err := db.writer.Roll(); err != nil {
		return err
	}
	db.requestSnapshot()
	return nil
}

// RequestSnapshot asks the snapshotter for a snapshot of the applied state
// and returns at once; like a periodic one, it is skipped while another is
// asked for or running. An ensemble member that starts leading asks for
// one, so that a restart (of zkit, or of Java on the same dataDir) replays
// only the log written since, as after ZooKeeper's leader's snapshot.
func (db *DB) RequestSnapshot() { db.requestSnapshot() }

func (db *DB) requestSnapshot() {
	db.mu.Lock()
	if db.snapRunning || db.snapPending {
		db.mu.Unlock()
		db.log.Warn("too busy to snapshot, skipping")
		return
	}
	db.snapPending = true
	db.mu.Unlock()
	select {
	case db.snapWake <- struct{}{}:
	default:
	}
}

// StartSnapshotter runs the snapshot goroutine. source returns the applied
// state to write and its zxid; its Tree is walked fuzzily while writes go on.
// purgeEvery > 0 also purges old snapshots and logs, keeping retain.
func (db *DB) StartSnapshotter(source func() (*snapshot.Source, int64), purgeEvery time.Duration, retain int) {
	db.source = source
	db.wg.Add(1)
	go func() {
		defer db.wg.Done()
		var purge <-chan time.Time
		if purgeEvery > 0 {
			t := time.NewTicker(purgeEvery)
			defer t.Stop()
			purge = t.C
		}
		for {
			select {
			case <-db.stop:
				return
			case <-db.snapWake:
				db.takeSnapshot()
			case <-purge:
				if removed, err := db.store.Purge(retain); err != nil {
					db.log.Warn("purge failed", "err", err)
				} else if len(removed) > 0 {
					db.log.Info("purged old snapshots and logs", "files", len(removed))
				}
			}
		}
	}()
}

// TakeSnapshot writes a snapshot now, on the caller's goroutine.
func (db *DB) TakeSnapshot() (string, error) {
	db.mu.Lock()
	if db.snapRunning {
		db.mu.Unlock()
		return "", errors.New("zkdb: a snapshot is already running")
	}
	db.snapRunning = true
	db.snapPending = false
	db.mu.Unlock()
	defer func() {
		db.mu.Lock()
		db.snapRunning = false
		db.mu.Unlock()
	}()
	src, zxid := db.source()
	start := time.Now()
	name, err := db.store.Snapshot(zxid, src, snapshot.WriteOptions{Compression: db.comp})
	if err != nil {
		return "", err
	}
	db.mu.Lock()
	db.lastSnap = name
	db.mu.Unlock()
	db.stats.snapshotTime.Observe(time.Since(start).Milliseconds())
	db.log.Info("snapshot taken", "file", name, "zxid", fmt.Sprintf("0x%x", zxid), "took", time.Since(start).Round(time.Millisecond))
	return name, nil
}

func (db *DB) takeSnapshot() {
	if db.source == nil {
		return
	}
	if _, err := db.TakeSnapshot(); err != nil {
		// ZooKeeper logs a failed snapshot and goes on: the txn log still
		// holds everything, so nothing acknowledged is at risk.
		db.log.Error("snapshot failed", "err", err)
	}
}

// LastSnapshot returns the newest snapshot file this DB wrote.
func (db *DB) LastSnapshot() string {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.lastSnap
}

// Store returns the underlying store (epoch files, truncation).
func (db *DB) Store() *storage.Store { return db.store }

// Close stops the snapshotter and closes the log.
func (db *DB) Close() error {
	var err error
	db.closeOnce.Do(func() {
		close(db.stop)
		db.wg.Wait()
		err = db.writer.Close()
	})
	return err
}
