#!/usr/bin/env bash
# getData read benchmark: zkit (`zkit server`, its own process) against
# Java ZooKeeper 3.8 on the same machine, in interleaved rounds.
#
#   scripts/bench-read.sh [bench flags...]    e.g. -rounds 5 -duration 15s
#
# Both servers: standalone, tickTime 2000, maxClientCnxns 0, data in a temp
# dir. Java runs with the oracle's JVM settings (java-zookeeper-oracle.md:
# -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1) unless JAVA_FLAGS is
# set, e.g. JAVA_FLAGS="-Xmx2g" for the JVM's default JIT and collector.
# ZKIT_PORT and JAVA_PORT choose the ports (default 22181, 22182). The
# load generator is ./internal/difftest/bench (internal/client, 32
# connections, one getData in flight each, 1 KiB value).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/zkit-bench-read.XXXXXX")
zport=${ZKIT_PORT:-22181}
jport=${JAVA_PORT:-22182}
jflags=${JAVA_FLAGS:--Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}
jar=/usr/share/java/zookeeper.jar
[ -f "$jar" ] || { echo "bench-read: $jar is absent (apt-get install -y zookeeper)" >&2; exit 2; }

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

(cd "$repo" && go build -o "$work/zkit-server" ./cmd/zkit && go build -o "$work/bench" ./internal/difftest/bench)

for s in zkit java; do
	mkdir -p "$work/$s/data"
	port=$zport; [ "$s" = java ] && port=$jport
	cat >"$work/$s/zoo.cfg" <<CFG
tickTime=2000
dataDir=$work/$s/data
clientPort=$port
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=*
CFG
done

"$work/zkit-server" server "$work/zkit/zoo.cfg" >"$work/zkit.log" 2>&1 &
pids+=($!)
# shellcheck disable=SC2086
java $jflags -cp "$jar:/usr/share/java/slf4j-simple.jar" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
	org.apache.zookeeper.server.quorum.QuorumPeerMain "$work/java/zoo.cfg" >"$work/java.log" 2>&1 &
pids+=($!)

# Wait until both answer srvr with a Mode line (polling ports, up to 60 s).
ready() { { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1; printf srvr >&3; grep -q "Mode:" <&3; local r=$?; exec 3>&-; return $r; }
for port in "$zport" "$jport"; do
	for _ in $(seq 600); do ready "$port" && break; sleep 0.1; done
	ready "$port" || { echo "bench-read: server on $port did not start" >&2; tail "$work"/*.log >&2; exit 1; }
done

echo "zkit $(cd "$repo" && git rev-parse --short HEAD), java flags: $jflags, $(nproc) cores"
"$work/bench" -target "zkit=127.0.0.1:$zport" -target "java=127.0.0.1:$jport" "$@"
