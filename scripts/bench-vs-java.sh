#!/usr/bin/env bash
# bench-vs-java.sh: `zkit bench` against zkit and Java ZooKeeper 3.8 on the
# same machine, in interleaved rounds (zkit, java, zkit, java, ...): each
# workload's median throughput and latency and the zkit/java ratio.
#
# usage: scripts/bench-vs-java.sh [-w "read write create mixed"] [-c 32]
#                                 [-d 5s] [-r 3] [-s 32] [-p 1]
#                                 [-m standalone|ensemble]
#   -p  requests in flight per client; -m ensemble: 3-member ensembles of
#       each, the clients spread over the members
#
# Needs Go and Debian's zookeeper package (/usr/share/java/zookeeper.jar).
# The servers run on loopback with their data in a temp dir; Java with its
# default forceSync=yes and JAVA_FLAGS (default -Xmx2g). KEEP=1 keeps the
# directories and logs.
set -euo pipefail

workloads="read write create mixed"
clients=32
duration=5s
rounds=3
size=32
pipeline=1
mode=standalone
while getopts "w:c:d:r:s:p:m:" opt; do
	case $opt in
	w) workloads=$OPTARG ;;
	c) clients=$OPTARG ;;
	d) duration=$OPTARG ;;
	r) rounds=$OPTARG ;;
	s) size=$OPTARG ;;
	p) pipeline=$OPTARG ;;
	m) mode=$OPTARG ;;
	*) sed -n '2,15p' "$0"; exit 2 ;;
	esac
done

JAVA_FLAGS=${JAVA_FLAGS:--Xmx2g}
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
bench_init bench-vs-java

declare -A CPORT MPID
case $mode in
standalone)
	start_standalone zkit; zaddr=$ADDR
	start_standalone java; jaddr=$ADDR ;;
ensemble)
	start_ensemble zkit; zaddr=$(connect_string zkit)
	start_ensemble java; jaddr=$(connect_string java) ;;
*) echo "bench-vs-java: -m $mode (want standalone or ensemble)" >&2; exit 2 ;;
esac
echo "zkit at $zaddr, java at $jaddr (java flags: $JAVA_FLAGS); $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# -prime warms both up (the JVM's JIT especially) with one untimed mixed run.
"$ZKIT" bench -target "zkit=$zaddr" -target "java=$jaddr" -workload "${workloads// /,}" -clients "$clients" \
	-pipeline "$pipeline" -duration "$duration" -rounds "$rounds" -size "$size" -prime 3s
