#!/usr/bin/env bash
# Durable-write throughput and restart cost, zkit vs Java ZooKeeper 3.8 on
# the same machine, interleaved. Not a test: it prints numbers.
#
#   scripts/bench-durable.sh [throughput|restart|all]
#
# Environment: ROUNDS (2), DURATION (10s), CLIENTS (32), DEPTHS ("1 8"),
# NODES (1000000), JAVA_HEAP (-Xmx4g), WORK (a temp dir), KEEP=1 keeps it.
# Both servers fsync every commit (forceSync=yes, the default) into WORK.
set -euo pipefail

cd "$(dirname "$0")/.."
MODE=${1:-all}
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10s}
CLIENTS=${CLIENTS:-32}
DEPTHS=${DEPTHS:-"1 8"}
NODES=${NODES:-1000000}
JAVA_HEAP=${JAVA_HEAP:--Xmx4g}
JAR=/usr/share/java/zookeeper.jar
WORK=${WORK:-$(mktemp -d /tmp/bench-durable.XXXXXX)}
[ "${KEEP:-}" = 1 ] || trap 'rm -rf "$WORK"' EXIT

if [ ! -f "$JAR" ]; then
	echo "Java ZooKeeper not installed ($JAR): apt-get install -y zookeeper" >&2
	exit 1
fi

go build -o "$WORK/zkit" ./cmd/zkit
go build -o "$WORK/bench" ./scripts/bench-durable
BENCH="$WORK/bench"
# The oracle's JVM flags (java-zookeeper-oracle.md) with a bigger heap.
JAVA=(java "$JAVA_HEAP" -XX:+UseSerialGC -XX:TieredStopAtLevel=1
	-cp "$JAR:/usr/share/java/slf4j-simple.jar" org.apache.zookeeper.server.quorum.QuorumPeerMain)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# cfg DIR PORT: a zoo.cfg both servers read.
cfg() {
	mkdir -p "$1/data"
	cat >"$1/zoo.cfg" <<EOF
tickTime=2000
dataDir=$1/data
clientPort=$2
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=*
EOF
}

wait_up() {
	for _ in $(seq 1 600); do
		if printf srvr | timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1; cat >&3; cat <&3" 2>/dev/null | grep -q Mode; then
			return 0
		fi
		sleep 0.1
	done
	echo "server on $1 did not start" >&2
	return 1
}

# start KIND DIR: starts zkit or java on DIR's zoo.cfg; sets PID.
start() {
	if [ "$1" = zkit ]; then
		"$WORK/zkit" server "$2/zoo.cfg" >"$2/server.log" 2>&1 &
	else
		"${JAVA[@]}" "$2/zoo.cfg" >"$2/server.log" 2>&1 &
	fi
	PID=$!
}

stop() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }

throughput() {
	echo "== throughput: $CLIENTS clients, fsync on, $DURATION per run, $(nproc) CPUs"
	for r in $(seq 1 "$ROUNDS"); do
		for depth in $DEPTHS; do
			for op in set create; do
				for kind in zkit java; do
					d="$WORK/tp-$kind-$r-$depth-$op"
					port=$(free_port)
					cfg "$d" "$port"
					start "$kind" "$d"
					wait_up "$port"
					"$BENCH" load -addr "127.0.0.1:$port" -op "$op" -clients "$CLIENTS" -depth "$depth" \
						-duration "$DURATION" -label "round=$r $kind"
					stop
					rm -rf "$d"
				done
			done
		done
	done
}

restart() {
	echo "== restart with $NODES znodes (JVM: ${JAVA[*]:1:4})"
	src="$WORK/pop"
	port=$(free_port)
	cfg "$src" "$port"
	start zkit "$src"
	wait_up "$port"
	"$BENCH" populate -addr "127.0.0.1:$port" -n "$NODES"
	stop
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
				"$BENCH" firstanswer -addr "127.0.0.1:$port" -label "round=$r zkit" -log "$d/server.log" -- "$WORK/zkit" server "$d/zoo.cfg"
			else
				"$BENCH" firstanswer -addr "127.0.0.1:$port" -label "round=$r java" -log "$d/server.log" -- "${JAVA[@]}" "$d/zoo.cfg"
			fi
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
