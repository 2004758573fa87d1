// Package metrics is a server's own metrics registry, in ZooKeeper's
// vocabulary: counters, gauges (callbacks read when a report is made),
// gauge sets (a gauge per key, such as a namespace) and summaries
// (avg/min/max/count/sum, plus percentiles at the advanced level).
// Each server owns one Registry; nothing is global, so several servers in
// one process (tests, embedding) keep separate numbers.
//
// # Caller duties
//
//  1. Create the registry with New and register metrics, normally before
//     the server serves. Registering a counter or summary name twice returns
//     the existing metric; registering a gauge twice replaces its callback,
//     as ZooKeeper's MetricsContext does. Java's metrics are reported in
//     Java's order (Java38), others after them in registration order.
//  2. Update counters and summaries from any goroutine; they are lock-free.
//  3. Gauge (and gauge set and CounterFunc) callbacks run on the reporting
//     goroutine: they must be cheap, must not block and must not call back
//     into the registry.
//
// # One source, two outputs
//
// Java38 lists every server metric ZooKeeper 3.8 registers (read from its
// source) with its kind, level and what zkit reports for it: Measured,
// RoleMeasured (measured in the roles Java reports it in: the leader's
// gauges, quorum_size), QuorumMeasured (0 on a standalone server, measured
// on an ensemble member), ZeroAlways, ZeroStandalone (truly 0 in those
// situations, as Java reports) or Omitted (Java has a real value zkit does
// not measure yet; left out rather than reported as a false 0). Metrics
// are reported in Java38's order, which is Java 3.8's mntr order, then the
// others in registration order. RegisterJavaZeros adds the zero metrics an
// engine does not keep.
//
// Statistics that outlive one registry (a data tree's, a database's, a
// quorum member's across its role engines) are kept by their owner in a
// Counter, a Summary (NewSummary) or a SummarySet (NewSummarySet: a
// summary per key, such as a namespace) and attached to each registry
// that reports them (AttachCounter, AttachSummary, AttachSummarySet);
// srst resets them through any registry they are attached to.
//
// WriteMntr writes the mntr four-letter word's body, one metric a line,
// tab-separated, as ZooKeeper 3.8 prints it:
//
//	zk_znode_count<TAB>5
//	zk_avg_readlatency<TAB>0.0       summaries: avg_, min_, max_, cnt_, sum_
//	zk_p99_readlatency<TAB>0         advanced summaries add p50_, p95_, p99_, p999_
//
// NewCollector exports the same registry to Prometheus through
// client_golang as ZooKeeper's PrometheusMetricsProvider does: the bare
// name, HELP equal to the name, counters, gauges, and summaries with the
// 0.5 quantile (0.5, 0.9 and 0.99 when advanced, NaN before the first
// sample), _count and _sum. NewPrometheusRegistry adds the Go runtime and
// process collectors to a registry owned by the caller (never the global
// one); Handler serves it. Percentiles come from the most recent samples
// (a ring of summaryReservoir values), which is what a monitoring scrape
// wants.
package metrics
