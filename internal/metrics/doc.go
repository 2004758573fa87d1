// Package metrics is a server's own metrics registry, in ZooKeeper's
// vocabulary: counters, gauges (callbacks read when a report is made) and
// summaries (avg/min/max/count/sum, plus percentiles at the advanced level).
// Each server owns one Registry; nothing is global, so several servers in
// one process (tests, embedding) keep separate numbers.
//
// # Caller duties
//
//  1. Create the registry with New and register metrics, normally before
//     the server serves. Registering a counter or summary name twice returns
//     the existing metric; registering a gauge twice replaces its callback,
//     as ZooKeeper's MetricsContext does. Names are reported in
//     registration order.
//  2. Update counters and summaries from any goroutine; they are lock-free.
//  3. Gauge callbacks run on the reporting goroutine: they must be cheap,
//     must not block and must not call back into the registry.
//
// # Two text formats
//
// WriteMntr writes the mntr four-letter word's body, one metric a line,
// tab-separated, as ZooKeeper 3.8 prints it:
//
//	zk_znode_count<TAB>5
//	zk_avg_readlatency<TAB>0.0       summaries: avg_, min_, max_, cnt_, sum_
//	zk_p99_readlatency<TAB>0         advanced summaries add p50_, p95_, p99_, p999_
//
// WritePrometheus writes the Prometheus text exposition format 0.0.4, as
// ZooKeeper's PrometheusMetricsProvider (simpleclient 0.x) does: HELP is the
// name, values are Java doubles, quantile labels keep simpleclient's
// trailing comma:
//
//	# HELP znode_count znode_count
//	# TYPE znode_count gauge
//	znode_count 5.0
//	# HELP readlatency readlatency
//	# TYPE readlatency summary
//	readlatency{quantile="0.5",} 0.0
//	readlatency_count 3.0
//	readlatency_sum 1.0
//
// Basic summaries export the 0.5 quantile, advanced ones 0.5, 0.9 and 0.99.
// Percentiles come from the most recent samples (a ring of
// summaryReservoir values), which is what a monitoring scrape wants.
package metrics
