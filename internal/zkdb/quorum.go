package zkdb

import (
	"fmt"
	"time"

	"github.com/zkit-go/zkit/internal/datatree"
	"github.com/zkit-go/zkit/internal/snapshot"
	"github.com/zkit-go/zkit/internal/txnlog"
)

// An ensemble member's database duties beyond the standalone write path:
// appending txns a leader proposed, cutting the log back on TRUNC,
// installing a snapshot sent with SNAP, and reading history for DIFF.

// AppendRaw buffers a txn log entry (TxnHeader + record [+ digest]) as a
// proposal carries it.
func (db *DB) AppendRaw(zxid int64, entry []byte) error {
	if err := db.writer.AppendRaw(zxid, entry); err != nil {
		return err
	}
	db.mu.Lock()
	db.logCount++
	db.mu.Unlock()
	return nil
}

// SyncRaw makes every appended entry durable without asking for a
// snapshot (a learner's snapshots follow the same trigger as Sync).
func (db *DB) SyncRaw() error { return db.Sync() }

// Truncate cuts the txn log back to zxid (keeping it) and reloads the
// tree from disk, for a TRUNC from the leader. The caller must hold no
// engine over the old tree.
func (db *DB) Truncate(zxid int64) error {
	if err := db.writer.Close(); err != nil {
		return fmt.Errorf("zkdb: close log before truncate: %w", err)
	}
	if err := db.store.TruncateLog(zxid); err != nil && err != txnlog.ErrNoLogs {
		return fmt.Errorf("zkdb: truncate log to 0x%x: %w", zxid, err)
	}
	if err := db.restore(); err != nil {
		return err
	}
	db.openWriter()
	return nil
}

// InstallSnapshot makes a snapshot received from the leader the database:
// the log is cut back to zxid (a learner's entries past it belong to
// another history), the snapshot is written as snapshot.<zxid> and fsynced,
// and tree becomes the database's tree.
func (db *DB) InstallSnapshot(tree *datatree.Tree, sessions map[int64]int32, zxid int64) error {
	if err := db.writer.Close(); err != nil {
		return fmt.Errorf("zkdb: close log before snapshot install: %w", err)
	}
	if err := db.store.TruncateLog(zxid); err != nil && err != txnlog.ErrNoLogs {
		return fmt.Errorf("zkdb: truncate log to 0x%x: %w", zxid, err)
	}
	tree.SetLastProcessedZxid(zxid)
	src := &snapshot.Source{Tree: treeSource{tree}, Sessions: sessions, Digest: &snapshot.ZxidDigest{}}
	start := time.Now()
	if _, err := db.store.Snapshot(zxid, src, snapshot.WriteOptions{Compression: db.comp}); err != nil {
		return fmt.Errorf("zkdb: write received snapshot: %w", err)
	}
	db.stats.snapshotTime.Observe(time.Since(start).Milliseconds())
	if db.Tree != nil {
		tree.AdoptStats(db.Tree) // the server's counts go on
	}
	db.Tree = tree
	db.Sessions = sessions
	db.LastZxid = zxid
	db.openWriter()
	return nil
}

func (db *DB) openWriter() {
	opts := db.store.LogOptions()
	opts.NoSync = db.cfg.NoSync
	if db.cfg.PreAllocSize != 0 {
		opts.PreAllocSize = db.cfg.PreAllocSize
	}
	opts.Logger = db.cfg.Logger
	db.writer = txnlog.NewWriter(opts)
}

// History returns the logged txns after zxid, oldest first, at most max
// (max ≤ 0: all). Entries are raw log entries as proposals carry them.
func (db *DB) History(after int64, max int) ([]txnlog.Entry, error) {
	it, err := txnlog.NewIterator(db.store.FS(), db.store.LogDir(), after+1)
	if err != nil {
		if err == txnlog.ErrNoLogs {
			return nil, nil
		}
		return nil, err
	}
	defer it.Close()
	var out []txnlog.Entry
	for it.Next() {
		e := it.Entry()
		if e.Header.Zxid <= after {
			continue
		}
		out = append(out, *e)
		if max > 0 && len(out) > max {
			out = out[1:]
		}
	}
	return out, it.Err()
}
