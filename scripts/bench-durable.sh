#!/usr/bin/env bash
# Durable-write throughput and restart cost, zkit vs Java ZooKeeper 3.8 on
# the same machine, interleaved. Not a test: it prints numbers.
#
#   scripts/bench-durable.sh [throughput|restart|all]
#
# Environment: ROUNDS (2), DURATION (10s), CLIENTS (32), DEPTHS ("1 8"),
# NODES (1000000), JAVA_HEAP (-Xmx4g), WORK (a temp dir), KEEP=1 keeps it.
# Both servers fsync every commit (forceSync=yes, the default) into WORK.
# Every run starts a fresh server; the load is `zkit bench` (write is
# setData, create is persistent-sequential creates) after a 2 s untimed
# warm-up; populate and first answer are `zkit bench -workload populate`
# and `zkit bench -mode first-answer`.
set -euo pipefail
command -v jq >/dev/null || { echo "needs jq" >&2; exit 1; }

MODE=${1:-all}
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10s}
CLIENTS=${CLIENTS:-32}
DEPTHS=${DEPTHS:-"1 8"}
NODES=${NODES:-1000000}
JAVA_HEAP=${JAVA_HEAP:--Xmx4g}
# The oracle's JVM flags (java-zookeeper-oracle.md) with a bigger heap.
JAVA_FLAGS="$JAVA_HEAP -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
bench_init bench-durable

throughput() {
	echo "== throughput: $CLIENTS clients, fsync on, $DURATION per run, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
	for r in $(seq 1 "$ROUNDS"); do
		for depth in $DEPTHS; do
			for op in write create; do
				for kind in zkit java; do
					d="$WORK/tp-$kind-$r-$depth-$op"
					port=$(free_port)
					write_cfg "$d" "$port"
					start_server "$kind" "$d"
					wait_mode standalone "$port"
					"$ZKIT" bench -q -json -server "127.0.0.1:$port" -workload "$op" -clients "$CLIENTS" \
						-pipeline "$depth" -duration "$DURATION" -warmup 2s -size 100 -session-timeout 30s |
						jq -r --arg l "round=$r $kind" 'def ms: (. / 1e4 | round) / 100 | tostring + "ms";
							"\($l) op=\(.workload) clients=\(.clients) depth=\(.pipeline) size=\(.size) ops=\(.ops)" +
							" ops/s=\(.ops_per_sec|floor) p50=\(.p50_ns|ms) p99=\(.p99_ns|ms) p999=\(.p999_ns|ms)"'
					stop_server "$PID"
					rm -rf "$d"
				done
			done
		done
	done
}

restart() {
	java_cmd
	echo "== restart with $NODES znodes (JVM: ${JAVA_CMD[*]:1:4})"
	src="$WORK/pop"
	port=$(free_port)
	write_cfg "$src" "$port"
	start_server zkit "$src"
	wait_mode standalone "$port"
	"$ZKIT" bench -q -server "127.0.0.1:$port" -workload populate -root /pop -count "$NODES" -clients 32 \
		-pipeline 16 -size 32 -session-timeout 30s
	stop_server "$PID"
	du -sh "$src/data/version-2"
	ls -la "$src/data/version-2" | tail -n +2
	for r in $(seq 1 "$ROUNDS"); do
		for kind in zkit java; do
			d="$WORK/rs-$kind-$r"
			rm -rf "$d"
			cp -r "$src" "$d"
			sed -i "s|$src|$d|" "$d/zoo.cfg"
			sync
			if [ "$kind" = zkit ]; then
				cmd=("$ZKIT" server "$d/zoo.cfg")
			else
				cmd=("${JAVA_CMD[@]}" "$d/zoo.cfg")
			fi
			printf 'round=%s %s ' "$r" "$kind"
			"$ZKIT" bench -mode first-answer -server "127.0.0.1:$port" -log "$d/server.log" -- "${cmd[@]}"
			rm -rf "$d"
		done
	done
}

case "$MODE" in
throughput) throughput ;;
restart) restart ;;
all) throughput; restart ;;
*) echo "usage: $0 [throughput|restart|all]" >&2; exit 2 ;;
esac
