package engine

import (
	"math"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/zkit-go/zkit/internal/datatree"
	"github.com/zkit-go/zkit/internal/metrics"
	"github.com/zkit-go/zkit/internal/session"
)

// This file gives the four-letter words, the AdminServer and the metrics
// endpoint one source of numbers: ZooKeeper's ServerStats, its per-
// connection stats and its metrics registry.

// defaultTraceMask is ZooKeeper's ZooTrace default mask (gtmk prints it).
const defaultTraceMask = 306

// bufferStats is ZooKeeper's BufferStats for response sizes: -1 until the
// first response.
type bufferStats struct {
	last, min, max atomic.Int64
}

func (b *bufferStats) reset() {
	b.last.Store(-1)
	b.min.Store(-1)
	b.max.Store(-1)
}

func (b *bufferStats) observe(n int64) {
	b.last.Store(n)
	for cur := b.min.Load(); (cur == -1 || n < cur) && !b.min.CompareAndSwap(cur, n); cur = b.min.Load() {
	}
	for cur := b.max.Load(); n > cur && !b.max.CompareAndSwap(cur, n); cur = b.max.Load() {
	}
}

// ResponseSizes are the sizes of replies sent to clients, in bytes
// without the length prefix; -1 before the first.
type ResponseSizes struct {
	Last, Min, Max int64
}

// ServerStats is what srvr and stat report (ZooKeeper's ServerStats).
type ServerStats struct {
	Version         string
	PacketsSent     int64
	PacketsReceived int64
	Outstanding     int64
	MinLatency      int64
	AvgLatency      float64 // ms, rounded to four decimals
	MaxLatency      int64
	Connections     int
	Uptime          time.Duration
	LastZxid        int64
	NodeCount       int
	Mode            string
	DataDirSize     int64
	LogDirSize      int64
	ClientResponse  ResponseSizes
	AuthFailed      int64
}

// Stats returns the server's statistics.
func (e *Engine) Stats() ServerStats {
	min, max, avg := e.latency()
	e.treeMu.RLock()
	zxid, nodes := e.tree.LastProcessedZxid(), e.tree.NodeCount()
	e.treeMu.RUnlock()
	return ServerStats{
		Version:         e.cfg.Info.Version,
		PacketsSent:     e.stats.sent.Load(),
		PacketsReceived: e.stats.received.Load(),
		Outstanding:     e.stats.outstanding.Load(),
		MinLatency:      min,
		AvgLatency:      avg,
		MaxLatency:      max,
		Connections:     e.connCount(),
		Uptime:          e.uptime(),
		LastZxid:        zxid,
		NodeCount:       nodes,
		Mode:            e.Mode(),
		DataDirSize:     dirSize(e.cfg.Info.DataDir),
		LogDirSize:      dirSize(e.cfg.Info.DataLogDir),
		ClientResponse:  ResponseSizes{e.stats.resp.last.Load(), e.stats.resp.min.Load(), e.stats.resp.max.Load()},
		AuthFailed:      e.stats.authFailed.Load(),
	}
}

func (e *Engine) uptime() time.Duration {
	if e.started.IsZero() {
		return 0
	}
	return time.Since(e.started)
}

// ConnInfo is one client connection as cons reports it.
type ConnInfo struct {
	Remote      string // host:port
	InterestOps int    // 1 while reading requests, 0 for a four-letter-word connection
	Queued      int
	Received    int64
	Sent        int64
	// The rest is meaningful only when SessionID != 0.
	SessionID    int64
	LastOp       string
	Established  time.Time
	Timeout      int32
	LastCxid     int32
	LastZxid     int64 // -1 before the first reply
	LastResponse int64 // ms since the server started (ZooKeeper's is on its monotonic clock)
	LastLatency  int64
	MinLatency   int64
	AvgLatency   int64 // ms, integer as ZooKeeper's cons prints it
	MaxLatency   int64
}

// Connections returns every open client connection, oldest first.
func (e *Engine) Connections() []ConnInfo {
	e.connsMu.Lock()
	conns := e.sortedConnsLocked()
	e.connsMu.Unlock()
	out := make([]ConnInfo, 0, len(conns))
	for _, c := range conns {
		s := &c.stats
		ci := ConnInfo{
			Remote:      c.remote,
			InterestOps: 1,
			Queued:      c.queued(),
			Received:    s.received.Load(),
			Sent:        s.sent.Load(),
			SessionID:   c.sessionID.Load(),
			LastOp:      s.lastOp.Load().(string),
			Established: c.est,
			Timeout:     c.timeout.Load(),
			LastCxid:    s.lastCxid.Load(),
			LastZxid:    s.lastZxid.Load(),
			LastLatency: s.lastLat.Load(),
			MinLatency:  s.minLat.Load(),
			MaxLatency:  s.maxLat.Load(),
		}
		if c.fourLetter.Load() {
			ci.InterestOps = 0
		}
		if n := s.countLat.Load(); n > 0 {
			ci.AvgLatency = s.sumLat.Load() / n
			ci.LastResponse = s.lastResp.Load() - e.started.UnixMilli()
		} else {
			ci.LastZxid = -1
		}
		out = append(out, ci)
	}
	return out
}

// ResetConnectionStats zeroes every connection's counters (crst).
func (e *Engine) ResetConnectionStats() {
	e.connsMu.Lock()
	for c := range e.conns {
		c.resetStats()
	}
	e.connsMu.Unlock()
}

// ResetStats zeroes the server's counters and latencies (srst).
func (e *Engine) ResetStats() {
	e.stats.reset()
	e.metrics.Reset()
}

// TraceMask returns the trace mask (gtmk). zkit logs through slog levels;
// the mask is kept for the commands' sake.
func (e *Engine) TraceMask() int64 { return e.traceMask.Load() }

// SetTraceMask sets the trace mask (stmk).
func (e *Engine) SetTraceMask(m int64) { e.traceMask.Store(m) }

// PeerState is what ZooKeeper's mntr reports as peer_state for a quorum
// member (QuorumPeer.getDetailedPeerState: the peer state, then the Zab
// phase, broadcast whenever an engine serves), "" for a standalone or
// read-only server, which report none.
func (e *Engine) PeerState() string {
	switch e.cfg.Role {
	case RoleLeader:
		return "leading - broadcast"
	case RoleFollower:
		return "following - broadcast"
	case RoleObserver:
		return "observing - broadcast"
	}
	return ""
}

// Metrics returns the server's metrics registry.
func (e *Engine) Metrics() *metrics.Registry { return e.metrics }

// Config returns the engine's configuration (with defaults filled in).
func (e *Engine) Config() Config { return e.cfg }

// SessionDump returns the session expiry buckets (dump).
func (e *Engine) SessionDump() session.Dump { return e.sessions.Dump() }

// Ephemerals returns each session's ephemeral paths, sorted.
func (e *Engine) Ephemerals() map[int64][]string {
	e.treeMu.RLock()
	byS := e.tree.AllEphemerals()
	e.treeMu.RUnlock()
	out := make(map[int64][]string, len(byS))
	for id, paths := range byS {
		p := append([]string(nil), paths...)
		sort.Strings(p)
		out[id] = p
	}
	return out
}

// DigestLog returns the recent tree digests (hash).
func (e *Engine) DigestLog() []datatree.ZxidDigest {
	e.treeMu.RLock()
	defer e.treeMu.RUnlock()
	return e.tree.DigestLog()
}

// WatchesBySession returns each session's data-watched paths, sorted (wchc).
func (e *Engine) WatchesBySession() map[int64][]string {
	m := e.tree.DataWatches().BySession()
	for id, paths := range m {
		p := append([]string(nil), paths...)
		sort.Strings(p)
		m[id] = p
	}
	return m
}

// WatchesByPath returns each data-watched path's sessions (wchp).
func (e *Engine) WatchesByPath() map[string][]int64 { return e.tree.DataWatches().ByPath() }

// WatchSummary counts data watches (wchs).
func (e *Engine) WatchSummary() (connections, paths, total int) {
	s := e.tree.DataWatches().Summary()
	return s.Connections, s.Paths, s.Total
}

// registerMetrics registers ZooKeeper's server gauges (those meaningful
// for zkit) and the request summaries.
func (e *Engine) registerMetrics() {
	m := e.metrics
	i := metrics.Int
	m.Gauge("avg_latency", func() metrics.Value { _, _, avg := e.latency(); return metrics.Float(avg) })
	m.Gauge("max_latency", func() metrics.Value { _, max, _ := e.latency(); return i(max) })
	m.Gauge("min_latency", func() metrics.Value { min, _, _ := e.latency(); return i(min) })
	m.Gauge("packets_received", func() metrics.Value { return i(e.stats.received.Load()) })
	m.Gauge("packets_sent", func() metrics.Value { return i(e.stats.sent.Load()) })
	m.Gauge("num_alive_connections", func() metrics.Value { return i(int64(e.connCount())) })
	m.Gauge("outstanding_requests", func() metrics.Value { return i(e.stats.outstanding.Load()) })
	m.Gauge("uptime", func() metrics.Value { return i(e.uptime().Milliseconds()) })
	m.Gauge("znode_count", func() metrics.Value {
		e.treeMu.RLock()
		defer e.treeMu.RUnlock()
		return i(int64(e.tree.NodeCount()))
	})
	m.Gauge("watch_count", func() metrics.Value { return i(int64(e.tree.WatchCount())) })
	m.Gauge("ephemerals_count", func() metrics.Value {
		e.treeMu.RLock()
		defer e.treeMu.RUnlock()
		return i(int64(e.tree.EphemeralsCount()))
	})
	m.Gauge("approximate_data_size", func() metrics.Value {
		e.treeMu.RLock()
		defer e.treeMu.RUnlock()
		return i(e.tree.ApproximateDataSize())
	})
	m.Gauge("global_sessions", func() metrics.Value { return i(int64(e.sessions.Len())) })
	m.Gauge("local_sessions", func() metrics.Value {
		if e.local == nil {
			return i(0) // local sessions off: there are none
		}
		return i(int64(e.local.Len()))
	})
	m.Gauge("open_file_descriptor_count", func() metrics.Value { return i(int64(openFDs())) })
	m.Gauge("max_file_descriptor_count", func() metrics.Value {
		return i(int64(min(maxFDs(), uint64(math.MaxInt64))))
	})
	m.Gauge("connection_drop_probability", func() metrics.Value { return metrics.Float(0) })
	m.Gauge("last_client_response_size", func() metrics.Value { return i(e.stats.resp.last.Load()) })
	m.Gauge("max_client_response_size", func() metrics.Value { return i(e.stats.resp.max.Load()) })
	m.Gauge("min_client_response_size", func() metrics.Value { return i(e.stats.resp.min.Load()) })
	m.Gauge("outstanding_tls_handshake", func() metrics.Value { return i(0) })
	m.Gauge("auth_failed_count", func() metrics.Value { return i(e.stats.authFailed.Load()) })
	m.Gauge("non_mtls_remote_conn_count", func() metrics.Value { return i(0) })
	m.Gauge("non_mtls_local_conn_count", func() metrics.Value { return i(0) })
	e.stats.connRequests = m.Counter("connection_request_count")
	e.stats.bytesReceived = m.Counter("bytes_received_count")
	e.stats.responseBytes = m.Counter("response_bytes")
	e.stats.watchBytes = m.Counter("watch_bytes")
	e.stats.quotaExceeded = m.CounterSet("quota_exceeded_error_per_namespace")
	e.stats.readLatency = m.Summary("readlatency", metrics.Advanced)
	e.stats.updateLatency = m.Summary("updatelatency", metrics.Advanced)
	e.stats.fsyncTime = m.Summary("fsynctime", metrics.Basic)
	e.stats.syncBatch = m.Summary("sync_processor_batch_size", metrics.Basic)
	e.stats.syncQueued = m.Counter("sync_processor_request_queued")
	e.stats.prepQueued = m.Counter("prep_processor_request_queued")
	e.stats.staleSessionsExpired = m.Counter("stale_sessions_expired")
	e.stats.largeRequestsRejected = m.Counter("large_requests_rejected")
	e.stats.connectionRejected = m.Counter("connection_rejected")
	m.CounterFunc("digest_mismatches_count", e.tree.DigestMismatches)
	e.tree.AttachMetrics(m) // per-namespace bytes, watchers per event
	// Per top-level namespace quota limits and usage (QuotaMetricsUtils).
	m.GaugeSet("quota_count_limit_per_namespace", func() map[string]metrics.Value { return e.quotaMetric(quotaCountLimit) })
	m.GaugeSet("quota_bytes_limit_per_namespace", func() map[string]metrics.Value { return e.quotaMetric(quotaBytesLimit) })
	m.GaugeSet("quota_count_usage_per_namespace", func() map[string]metrics.Value { return e.quotaMetric(quotaCountUsage) })
	m.GaugeSet("quota_bytes_usage_per_namespace", func() map[string]metrics.Value { return e.quotaMetric(quotaBytesUsage) })
	// Java's metrics that zkit does not measure but that are truly 0
	// (metrics.Java38 says which, and for which roles).
	m.RegisterJavaZeros(func() bool { return e.cfg.Role == RoleStandalone })
}

// quotaKind selects one of the per-namespace quota gauges.
type quotaKind int

const (
	quotaCountLimit quotaKind = iota
	quotaBytesLimit
	quotaCountUsage
	quotaBytesUsage
)

// quotaMetric is ZooKeeper's QuotaMetricsUtils: it walks /zookeeper/quota
// and, at each zookeeper_limits (limits) or zookeeper_stats (usage) leaf,
// adds the value to the top-level namespace of the path the quota is on.
// A limit is the hard limit when set, else the soft one (-1: none).
func (e *Engine) quotaMetric(kind quotaKind) map[string]metrics.Value {
	const root = "/zookeeper/quota"
	sums := map[string]int64{}
	e.treeMu.RLock()
	defer e.treeMu.RUnlock()
	var walk func(path string)
	walk = func(path string) {
		children, ok := e.tree.Children(path)
		if !ok {
			return
		}
		if len(children) > 0 {
			for _, c := range children {
				walk(path + "/" + c)
			}
			return
		}
		limits := strings.HasSuffix(path, "/zookeeper_limits")
		if !limits && !strings.HasSuffix(path, "/zookeeper_stats") ||
			limits != (kind == quotaCountLimit || kind == quotaBytesLimit) {
			return
		}
		parts := strings.Split(strings.TrimPrefix(path, root), "/") // "", namespace, ...
		if len(parts) < 2 {
			return
		}
		data, ok := e.tree.PeekData(path)
		if !ok || data == nil {
			return
		}
		st := datatree.ParseQuotaStats(data)
		var v int64
		switch kind {
		case quotaCountLimit:
			v = st.Count
			if st.CountHardLimit > -1 {
				v = st.CountHardLimit
			}
		case quotaBytesLimit:
			v = st.Bytes
			if st.ByteHardLimit > -1 {
				v = st.ByteHardLimit
			}
		case quotaCountUsage:
			v = st.Count
		case quotaBytesUsage:
			v = st.Bytes
		}
		sums[parts[1]] += v
	}
	walk(root)
	out := make(map[string]metrics.Value, len(sums))
	for ns, v := range sums {
		out[ns] = metrics.Int(v)
	}
	return out
}
