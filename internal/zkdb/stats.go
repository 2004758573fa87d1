package zkdb

import (
	"time"

	"github.com/zkit-go/zkit/internal/metrics"
)

// dbStats are ZooKeeper's database timings, in milliseconds: each restore
// (start-up, a truncation) records the snapshot's load time
// (startup_snap_load_time), the txns replayed after it and their replay
// time when the log had any (startup_txns_loaded, startup_txns_load_time,
// FileTxnSnapLog.restore) and the whole load (dbinittime,
// ZKDatabase.loadDataBase); each snapshot written records snapshottime.
// They belong to the DB, which outlives a member's role engines.
type dbStats struct {
	snapLoadTime, txnsLoaded, txnsLoadTime, dbInitTime, snapshotTime *metrics.Summary
}

func newDBStats() dbStats {
	return dbStats{
		snapLoadTime: metrics.NewSummary(metrics.Basic),
		txnsLoaded:   metrics.NewSummary(metrics.Basic),
		txnsLoadTime: metrics.NewSummary(metrics.Basic),
		dbInitTime:   metrics.NewSummary(metrics.Basic),
		snapshotTime: metrics.NewSummary(metrics.Basic),
	}
}

// AttachMetrics reports the database's timings in an engine's registry.
func (db *DB) AttachMetrics(r *metrics.Registry) {
	r.AttachSummary("startup_snap_load_time", db.stats.snapLoadTime)
	r.AttachSummary("startup_txns_loaded", db.stats.txnsLoaded)
	r.AttachSummary("startup_txns_load_time", db.stats.txnsLoadTime)
	r.AttachSummary("dbinittime", db.stats.dbInitTime)
	r.AttachSummary("snapshottime", db.stats.snapshotTime)
}

// restoreTimer times one restore: the snapshot until the first replayed
// txn, the txns after it.
type restoreTimer struct {
	start, snapDone time.Time
	txns            int64
}

func newRestoreTimer() *restoreTimer { return &restoreTimer{start: time.Now()} }

// replayed notes a txn replayed after the snapshot.
func (rt *restoreTimer) replayed() {
	if rt.txns == 0 {
		rt.snapDone = time.Now()
	}
	rt.txns++
}

// done records the restore's timings.
func (rt *restoreTimer) done(s dbStats) {
	end := time.Now()
	if rt.txns == 0 {
		s.snapLoadTime.Observe(end.Sub(rt.start).Milliseconds())
	} else {
		s.snapLoadTime.Observe(rt.snapDone.Sub(rt.start).Milliseconds())
		s.txnsLoaded.Observe(rt.txns)
		s.txnsLoadTime.Observe(end.Sub(rt.snapDone).Milliseconds())
	}
	s.dbInitTime.Observe(end.Sub(rt.start).Milliseconds())
}
