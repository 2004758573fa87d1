#!/usr/bin/env bash
# bench-before-after.sh: a change's effect on 3-member ensembles, measured
# side by side: zkit built from the work tree ("after"), zkit built from a
# git revision ("before") and Java ZooKeeper 3.8, three ensembles running at
# once, `zkit bench` alternating rounds between them (after, before, java).
#
# usage: scripts/bench-before-after.sh [-b main] [-w "write create lock"]
#                                      [-c 32] [-d 5s] [-r 5] [-s 1024]
#
# Needs Go, git and Debian's zookeeper package. JAVA_FLAGS default to the
# ensemble baseline's (-Xmx1g -XX:+UseParallelGC). KEEP=1 keeps the
# directories and logs.
set -euo pipefail

base=main
workloads="write create lock"
clients=32
duration=5s
rounds=5
size=1024
while getopts "b:w:c:d:r:s:" opt; do
	case $opt in
	b) base=$OPTARG ;;
	w) workloads=$OPTARG ;;
	c) clients=$OPTARG ;;
	d) duration=$OPTARG ;;
	r) rounds=$OPTARG ;;
	s) size=$OPTARG ;;
	*) sed -n '2,12p' "$0"; exit 2 ;;
	esac
done

JAVA_FLAGS=${JAVA_FLAGS:--Xmx1g -XX:+UseParallelGC}
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
bench_init bench-before-after

mkdir -p "$WORK/before-src"
git -C "$REPO" archive "$base" | tar -x -C "$WORK/before-src"
(cd "$WORK/before-src" && go build -o "$WORK/bin/zkit-before" ./cmd/zkit)

# start_server, extended with the "before" and "after" kinds.
start_server() { # kind dir
	case $1 in
	before) "$WORK/bin/zkit-before" server "$2/zoo.cfg" >>"$2/log" 2>&1 & ;;
	after) "$ZKIT" server "$2/zoo.cfg" >>"$2/log" 2>&1 & ;;
	java) java_cmd; "${JAVA_CMD[@]}" "$2/zoo.cfg" >>"$2/log" 2>&1 & ;;
	*) echo "start_server: kind $1" >&2; return 1 ;;
	esac
	PID=$!
	BENCH_PIDS+=("$PID")
}

declare -A CPORT MPID
start_ensemble before
start_ensemble after
start_ensemble java
echo "before=$base ($(git -C "$REPO" rev-parse --short "$base")), after=work tree; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

"$ZKIT" bench -target "after=$(connect_string after)" -target "before=$(connect_string before)" \
	-target "java=$(connect_string java)" -workload "${workloads// /,}" -clients "$clients" \
	-duration "$duration" -rounds "$rounds" -size "$size" -prime 3s
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
