// Package bench drives load at a ZooKeeper-compatible server (zkit or
// Java ZooKeeper) and measures throughput and latency: zkit's one load
// generator, behind `zkit bench` and every scripts/bench-*.sh (which only
// start the servers and call `zkit bench`).
//
// # Workloads
//
// Each simulated client is one connection (package client) running a
// closed loop: Pipeline requests in flight, the next sent when one returns.
//
//	read    getData of the client's own node (Size bytes)
//	write   setData of the client's own node, version -1
//	create  create persistent-sequential nodes of Size bytes under the
//	        client's own parent (removed after the run, untimed)
//	mixed   ReadRatio reads (getData) and the rest writes (setData)
//	watch   Clients watchers hold a data watch on one node; one extra
//	        writer sets it, and each event's delay from the write is a
//	        sample; the writer waits for every watcher to re-arm before the
//	        next write. Ops are events delivered.
//	lock    ZooKeeper's lock recipe: create an ephemeral-sequential node,
//	        list the lock's children, watch the predecessor until ours is
//	        the lowest, then delete ours. A sample is the time from create
//	        to acquisition; an op is one acquire and release.
//	session a new connection and session per op: TCP, the TLS handshake
//	        when the dial options carry TLS, and ConnectRequest; a sample
//	        is the time to the established session (closing it untimed)
//	populate Count persistent nodes Root/d<i/1000>/n<i> of Size bytes,
//	        the loops sharing one index; the tree stays after the run (the
//	        restart benchmark's data). It needs Count and takes no warm-up.
//
// Server may list several members (a,b,c): client i connects to the
// (i mod n)th and syncs before the run, so a benchmark loads a whole
// ensemble and measures it as one histogram.
//
// Every workload works under Root (default /zkit-bench/<random>), created
// before and removed after the run (but for populate).
//
// Warmup runs the loops untimed before the measured Duration or Count:
// an op claimed during it takes no sample and does not count.
//
// # Comparisons and other measurements
//
// Compare runs workloads on several targets (zkit and Java, standalone or
// ensembles) in interleaved rounds: per workload, round after round, each
// target in turn, so that all see the same machine; it reports each run
// and, per workload and target, the median of the rounds' throughput and
// percentiles and the first target's throughput over each.
//
// Failover kills an ensemble leader's process and times the first write
// a survivor acknowledges, moving one session between survivors.
// FirstAnswer starts a server command and times its first answer to a new
// session, reading its resident memory from /proc then and after a settle.
//
// # Caller duties
//
// Run blocks for Duration (or until Count ops, or ctx is done) and returns
// the Result. Progress, when set, is called about once a second from a
// goroutine Run owns and joins before returning. Failed operations count
// as Errors and take no latency sample; a lost connection ends the run
// with an error.
//
// Latencies go into a log-linear histogram (1/64 relative resolution from
// 1µs to about an hour), so a run costs no allocation per operation and
// percentiles are accurate to about 1.6%.
package bench
