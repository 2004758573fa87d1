#!/usr/bin/env bash
# bench-scaling.sh: one workload on a 3-member zkit ensemble and a 3-member
# Java ZooKeeper 3.8 ensemble at several client counts (issue 14's scaling
# target), `zkit bench -target` in interleaved rounds (zkit, java, ...) at
# each count; the ensembles start once and serve every count.
#
# usage: scripts/bench-scaling.sh [-w write] [-c "1 8 32 128"] [-d 5s]
#                                 [-r 5] [-s 1024] [-p 3s]
#   -p  untimed mixed run on each target before the first count (warms
#       the JVM's JIT; 3 s does not finish it: use 30s to compare warm)
#
# Java runs with forceSync=yes and JAVA_FLAGS (default -Xmx1g
# -XX:+UseParallelGC, as bench-ensemble.sh). KEEP=1 keeps the members'
# directories and logs.
set -euo pipefail

workload=write
counts="1 8 32 128"
duration=5s
rounds=5
size=1024
prime=3s
while getopts "w:c:d:r:s:p:" opt; do
	case $opt in
	w) workload=$OPTARG ;;
	c) counts=$OPTARG ;;
	d) duration=$OPTARG ;;
	r) rounds=$OPTARG ;;
	s) size=$OPTARG ;;
	p) prime=$OPTARG ;;
	*) sed -n '2,14p' "$0"; exit 2 ;;
	esac
done

JAVA_FLAGS=${JAVA_FLAGS:--Xmx1g -XX:+UseParallelGC}
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
bench_init bench-scaling

declare -A CPORT MPID
start_ensemble zkit
start_ensemble java
for c in $counts; do
	echo "== $workload, $c clients; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	"$ZKIT" bench -target "zkit=$(connect_string zkit)" -target "java=$(connect_string java)" \
		-workload "$workload" -clients "$c" -duration "$duration" -rounds "$rounds" -size "$size" -prime "$prime"
	prime=0 # the JVMs are warm after the first count
	echo
done
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
