package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zkit-go/zkit/internal/snapshot"
	"github.com/zkit-go/zkit/internal/txnlog"
	"github.com/zkit-go/zkit/internal/vfs"
)

// Layout names.
const (
	// VersionDir is the subdirectory of dataDir and dataLogDir that holds
	// the files ("version-" + FileTxnSnapLog.VERSION).
	VersionDir = "version-2"
	// CurrentEpochFile and AcceptedEpochFile live in the snapshot
	// directory (dataDir/version-2).
	CurrentEpochFile  = "currentEpoch"
	AcceptedEpochFile = "acceptedEpoch"
	// InitializeFile in dataLogDir says "an empty database is fine"; it is
	// deleted when used.
	InitializeFile = "initialize"
	// MyIDFile in dataDir holds the server id.
	MyIDFile = "myid"
	// MinSnapRetainCount is PurgeTxnLog's minimum.
	MinSnapRetainCount = 3
)

// Errors.
var (
	// ErrDirContent reports snapshots in the log directory or logs in the
	// snapshot directory when they differ (a swapped dataDir/dataLogDir).
	ErrDirContent = errors.New("storage: data directory has the wrong kind of files")
	// ErrEmptySnapshot reports log files without any snapshot, which
	// ZooKeeper refuses unless zookeeper.snapshot.trust.empty is set.
	ErrEmptySnapshot = errors.New("storage: no snapshot found, but there are log entries")
	// ErrRetainCount reports a purge asked to keep fewer than 3 snapshots.
	ErrRetainCount = errors.New("storage: snapRetainCount must be at least 3")
	// ErrBadNumber reports an epoch or myid file that is not a number.
	ErrBadNumber = errors.New("storage: bad number in file")
)

// Config locates and tunes the store. Zero values are ZooKeeper's defaults.
type Config struct {
	FS         vfs.FS
	DataDir    string // snapshots, epochs, myid
	DataLogDir string // txn logs; "" means DataDir
	// TrustEmptySnapshot allows logs without a snapshot
	// (zookeeper.snapshot.trust.empty).
	TrustEmptySnapshot bool
	// NoAutoCreateDB is zookeeper.db.autocreate=false: an empty database
	// is trusted only when the initialize file exists.
	NoAutoCreateDB bool
	Logger         *slog.Logger
}

// Store is FileTxnSnapLog: the two version-2 directories and the rules
// tying snapshots and logs together. It holds no open files; the txn log
// Writer is created by the caller with LogOptions.
type Store struct {
	fs      vfs.FS
	snapDir string
	logDir  string
	cfg     Config
	log     *slog.Logger
}

// Open creates the version-2 directories if needed and checks that a
// separate dataLogDir and dataDir hold only their own kind of files.
func Open(cfg Config) (*Store, error) {
	if cfg.FS == nil {
		cfg.FS = vfs.OS{}
	}
	if cfg.DataLogDir == "" {
		cfg.DataLogDir = cfg.DataDir
	}
	s := &Store{
		fs:      cfg.FS,
		snapDir: filepath.Join(cfg.DataDir, VersionDir),
		logDir:  filepath.Join(cfg.DataLogDir, VersionDir),
		cfg:     cfg,
		log:     cfg.Logger,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, d := range []string{s.snapDir, s.logDir} {
		if err := s.fs.MkdirAll(d); err != nil {
			return nil, fmt.Errorf("storage: create %s: %w", d, err)
		}
	}
	if s.snapDir != s.logDir {
		if err := s.checkOnly(s.logDir, snapshot.Prefix); err != nil {
			return nil, err
		}
		if err := s.checkOnly(s.snapDir, txnlog.Prefix); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Store) checkOnly(dir, forbidden string) error {
	names, err := s.fs.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, n := range names {
		if strings.HasPrefix(n, forbidden+".") {
			return fmt.Errorf("%w: %s holds %s", ErrDirContent, dir, n)
		}
	}
	return nil
}

// FS returns the store's filesystem.
func (s *Store) FS() vfs.FS { return s.fs }

// SnapDir returns dataDir/version-2.
func (s *Store) SnapDir() string { return s.snapDir }

// LogDir returns dataLogDir/version-2.
func (s *Store) LogDir() string { return s.logDir }

// LogOptions returns txn log writer options for this store; the caller
// sets the tuning fields.
func (s *Store) LogOptions() txnlog.Options {
	return txnlog.Options{FS: s.fs, Dir: s.logDir, Logger: s.log}
}

// RestoreResult says what Restore found.
type RestoreResult struct {
	// LastZxid is the last txn applied: the snapshot's zxid or the last
	// replayed txn; 0 for a new empty database, -1 when the database is
	// empty and not trusted (possibly missing data).
	LastZxid int64
	SnapZxid int64  // -1 without a snapshot
	Snapshot string // file read, "" if none
	Txns     int    // txns replayed
	// Digest is the snapshot's digest to compare when the txn at its
	// zxid is replayed (nil if none).
	Digest *snapshot.ZxidDigest
	// NeedsInitialSnapshot is set for a new empty database: ZooKeeper
	// writes snapshot.0 of the empty tree before going on, and so must the
	// caller.
	NeedsInitialSnapshot bool
	// Repair says what was cut from a torn log tail.
	Repair txnlog.RepairResult
}

// Restore rebuilds the database (FileTxnSnapLog.restore): it repairs a
// torn log tail, loads the newest valid snapshot into sink, then calls
// replay for every logged txn after the snapshot's zxid, in order. An error
// from replay, a log CRC error or an undecodable txn stops the restore with
// that error, as in ZooKeeper (the server must not start).
//
// Snapshots are fuzzy, so replay must accept txns already reflected in the
// tree (DataTree.processTxn's rules).
func (s *Store) Restore(sink snapshot.Sink, replay func(e *txnlog.Entry) error) (RestoreResult, error) {
	res := RestoreResult{LastZxid: -1, SnapZxid: -1}
	rep, err := txnlog.Repair(s.fs, s.logDir)
	res.Repair = rep
	// A CRC error is left for the replay to meet, so the txns before it
	// are replayed first, as in ZooKeeper; the restore fails there.
	if err != nil && !errors.Is(err, txnlog.ErrCRC) {
		return res, fmt.Errorf("storage: repair log: %w", err)
	}
	if rep.Truncated != "" || len(rep.Removed) > 0 {
		s.log.Warn("repaired torn txn log tail", "file", rep.Truncated, "offset", rep.TruncatedAt, "removed", rep.Removed)
	}
	lr, err := snapshot.Load(s.fs, s.snapDir, sink, s.log)
	if err != nil {
		return res, err
	}
	res.SnapZxid, res.Snapshot, res.Digest = lr.Zxid, lr.Name, lr.Digest

	trustEmptyDB := !s.cfg.NoAutoCreateDB
	initFile := filepath.Join(s.cfg.DataLogDir, InitializeFile)
	if ok, _ := vfs.Exists(s.fs, initFile); ok {
		if err := s.fs.Remove(initFile); err != nil {
			return res, err
		}
		s.log.Info("initialize file found, an empty database will not block voting participation")
		trustEmptyDB = true
	}

	from := lr.Zxid
	if lr.Zxid == -1 {
		last, err := txnlog.LastZxid(s.fs, s.logDir)
		if err != nil {
			return res, err
		}
		if last != -1 {
			if !s.cfg.TrustEmptySnapshot {
				return res, fmt.Errorf("%w: something is broken", ErrEmptySnapshot)
			}
			s.log.Warn("no snapshot found, but there are log entries; this should only be allowed during upgrading")
			from = 0
		} else {
			sink.Reset()
			if trustEmptyDB {
				res.LastZxid = 0
				res.NeedsInitialSnapshot = true
			} else {
				s.log.Warn("unexpected empty data tree, setting zxid to -1")
			}
			return res, nil
		}
	}
	res.LastZxid = from
	it, err := txnlog.NewIterator(s.fs, s.logDir, from+1)
	if err != nil {
		return res, err
	}
	defer it.Close()
	for it.Next() {
		e := it.Entry()
		if e.Header.Zxid < res.LastZxid && res.LastZxid != 0 {
			s.log.Error("txn log goes backwards", "highest", fmt.Sprintf("0x%x", res.LastZxid), "next", fmt.Sprintf("0x%x", e.Header.Zxid))
		} else {
			res.LastZxid = e.Header.Zxid
		}
		if err := replay(e); err != nil {
			return res, fmt.Errorf("storage: replay txn 0x%x: %w", e.Header.Zxid, err)
		}
		res.Txns++
	}
	if err := it.Err(); err != nil {
		return res, err
	}
	s.log.Info("restored database", "snapshot", res.Snapshot, "txns", res.Txns, "lastZxid", fmt.Sprintf("0x%x", res.LastZxid))
	return res, nil
}

// Snapshot writes a snapshot taken at zxid (see snapshot.WriteFile).
func (s *Store) Snapshot(zxid int64, src *snapshot.Source, opts snapshot.WriteOptions) (string, error) {
	name, err := snapshot.WriteFile(s.fs, s.snapDir, zxid, src, opts)
	if err == nil {
		s.log.Info("snapshot written", "file", name)
	}
	return name, err
}

// TruncateLog removes logged txns after zxid (a TRUNC from the leader).
func (s *Store) TruncateLog(zxid int64) error { return txnlog.Truncate(s.fs, s.logDir, zxid) }

// LastLoggedZxid is FileTxnSnapLog.getLastLoggedZxid.
func (s *Store) LastLoggedZxid() (int64, error) { return txnlog.LastZxid(s.fs, s.logDir) }

// Purge removes old files (PurgeTxnLog.purge, autopurge): it keeps the
// newest retain valid snapshots, the log files needed to replay from the
// oldest of them, and everything newer; it removes older snapshot and log
// files. It returns the names removed.
func (s *Store) Purge(retain int) ([]string, error) {
	if retain < MinSnapRetainCount {
		return nil, ErrRetainCount
	}
	files, err := snapshot.List(s.fs, s.snapDir)
	if err != nil {
		return nil, err
	}
	var kept []snapshot.FileInfo
	for _, f := range files {
		if len(kept) == retain {
			break
		}
		if ok, _ := snapshot.Valid(s.fs, s.snapDir, f); ok {
			kept = append(kept, f)
		}
	}
	if len(kept) == 0 {
		return nil, nil
	}
	least := kept[len(kept)-1].Zxid
	logs, err := txnlog.List(s.fs, s.logDir)
	if err != nil {
		return nil, err
	}
	retained := map[string]bool{}
	for _, l := range txnlog.FilesFor(logs, least) {
		retained[l.Name] = true
	}
	var removed []string
	rm := func(dir, prefix string, keep map[string]bool) error {
		names, err := s.fs.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, n := range names {
			z, ok := txnlog.ParseName(n, prefix)
			if !ok || keep[n] || z >= least {
				continue
			}
			s.log.Info("removing file", "file", filepath.Join(dir, n))
			if err := s.fs.Remove(filepath.Join(dir, n)); err != nil {
				return err
			}
			removed = append(removed, n)
		}
		return nil
	}
	if err := rm(s.logDir, txnlog.Prefix, retained); err != nil {
		return removed, err
	}
	return removed, rm(s.snapDir, snapshot.Prefix, nil)
}

// ReadEpoch reads currentEpoch or acceptedEpoch from the snapshot
// directory: a decimal number on the first line. A missing file is an
// error matching fs.ErrNotExist (the caller then creates it from the last
// zxid's epoch, as QuorumPeer.loadDataBase does).
func (s *Store) ReadEpoch(name string) (int64, error) {
	return readNumber(s.fs, filepath.Join(s.snapDir, name))
}

// WriteEpoch replaces an epoch file atomically: decimal, no newline,
// written to name.tmp, fsynced, renamed, directory fsynced.
func (s *Store) WriteEpoch(name string, epoch int64) error {
	return vfs.WriteFileAtomic(s.fs, filepath.Join(s.snapDir, name), []byte(strconv.FormatInt(epoch, 10)))
}

// EpochTmpExists reports whether name.tmp exists: QuorumPeer accepts a
// currentEpoch behind the last zxid's epoch when currentEpoch.tmp exists
// (a crash during the write).
func (s *Store) EpochTmpExists(name string) (bool, error) {
	return vfs.Exists(s.fs, filepath.Join(s.snapDir, name+".tmp"))
}

// ReadEpochTmp reads name.tmp (see EpochTmpExists).
func (s *Store) ReadEpochTmp(name string) (int64, error) {
	return readNumber(s.fs, filepath.Join(s.snapDir, name+".tmp"))
}

// ReadMyID reads dataDir/myid: the server id, a decimal number on the
// first line.
func ReadMyID(fsys vfs.FS, dataDir string) (int64, error) {
	return readNumber(fsys, filepath.Join(dataDir, MyIDFile))
}

func readNumber(fsys vfs.FS, path string) (int64, error) {
	b, err := vfs.ReadFile(fsys, path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, err
		}
		return 0, fmt.Errorf("storage: read %s: %w", path, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSpace(line)
	v, err := strconv.ParseInt(line, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: found %q in %s", ErrBadNumber, line, path)
	}
	return v, nil
}
