// Package bench drives load at a ZooKeeper-compatible server (zkit or
// Java ZooKeeper) and measures throughput and latency: the engine behind
// `zkit bench` and scripts/bench-vs-java.sh.
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
//
// Server may list several members (a,b,c): client i connects to the
// (i mod n)th and syncs before the run, so a benchmark loads a whole
// ensemble and measures it as one histogram.
//
// Every workload works under Root (default /zkit-bench/<random>), created
// before and removed after the run.
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
