package engine

import (
	"sync"
	"time"

	"github.com/zkit-go/zkit/internal/datatree"
	"github.com/zkit-go/zkit/internal/proto"
)

// checkQuota is ZooKeeperServer.checkQuota, run by prep for create and
// setData when hard limits are enforced (EnforceQuota, ZooKeeper's
// zookeeper.enforceQuota): the write is refused with QUOTAEXCEEDED when it
// would take the usage of the quota covering path over a hard limit. A
// soft limit (or any limit while enforcement is off) is only logged, as in
// ZooKeeper; without enforcement the check is skipped entirely, as Java
// skips it.
//
// As in ZooKeeper the usage is the applied tree's, not counting writes
// still in flight, so concurrent writes may together overshoot a limit.
func (e *Engine) checkQuota(path string, bytesDiff, countDiff int64) error {
	if !e.cfg.EnforceQuota {
		return nil
	}
	prefix, limits, usage, ok := e.tree.QuotaFor(path)
	if !ok {
		return nil
	}
	checkCount := countDiff != 0 && (limits.Count > -1 || limits.CountHardLimit > -1)
	checkBytes := bytesDiff != 0 && (limits.Bytes > -1 || limits.ByteHardLimit > -1)
	if checkCount {
		n := usage.Count + countDiff
		hard := limits.CountHardLimit > -1
		limit := limits.Count
		if hard {
			limit = limits.CountHardLimit
		}
		if n > limit {
			e.quotaLog.warn(e, "quota exceeded", "quota", prefix, "count", n, "limit", limit, "hard", hard)
			if hard {
				e.quotaExceeded(path)
				return proto.ErrQuotaExceeded
			}
		}
	}
	if checkBytes {
		n := usage.Bytes + bytesDiff
		hard := limits.ByteHardLimit > -1
		limit := limits.Bytes
		if hard {
			limit = limits.ByteHardLimit
		}
		if n > limit {
			e.quotaLog.warn(e, "quota exceeded", "quota", prefix, "bytes", n, "limit", limit, "hard", hard)
			if hard {
				e.quotaExceeded(path)
				return proto.ErrQuotaExceeded
			}
		}
	}
	return nil
}

// quotaExceeded counts a write refused by a hard quota under path's
// top-level namespace (ZooKeeperServer.updateQuotaExceededMetrics).
func (e *Engine) quotaExceeded(path string) {
	if ns, ok := datatree.TopNamespace(path); ok {
		e.stats.quotaExceeded.Add(ns, 1)
	}
}

// rateLog logs at most one message a second (ZooKeeper's RateLogger), so
// a client hammering a full quota does not flood the log.
type rateLog struct {
	mu   sync.Mutex // guards last and dropped
	last time.Time
	// dropped counts messages suppressed since the last one logged.
	dropped int
}

func (r *rateLog) warn(e *Engine, msg string, args ...any) {
	r.mu.Lock()
	now := time.Now()
	if now.Sub(r.last) < time.Second {
		r.dropped++
		r.mu.Unlock()
		return
	}
	dropped := r.dropped
	r.last, r.dropped = now, 0
	r.mu.Unlock()
	if dropped > 0 {
		args = append(args, "suppressed", dropped)
	}
	e.log.Warn(msg, args...)
}
