#!/usr/bin/env bash
# bench-ensemble.sh: 3-member zkit ensemble vs 3-member Java ZooKeeper 3.8
# ensemble on this machine, in interleaved rounds (zkit, java, zkit, ...):
#   - read and write throughput and latency, `zkit bench` with the clients
#     spread over the three members (-server a,b,c);
#   - failover: SIGKILL the leader's process, time until a write (on a
#     session moved to a survivor) is acknowledged (scripts/bench-ensemble).
# Both run tickTime=2000 initLimit=10 syncLimit=5, Java with forceSync=yes.
#
# usage: scripts/bench-ensemble.sh [-w "read write"] [-c 32] [-d 5s] [-r 3]
#                                  [-k 5] [-s 32]
#   -k  failover rounds per kind (0: skip)
# KEEP=1 keeps the members' directories and logs.
set -euo pipefail

workloads="read write"
clients=32
duration=5s
rounds=3
kills=5
size=32
while getopts "w:c:d:r:k:s:" opt; do
	case $opt in
	w) workloads=$OPTARG ;;
	c) clients=$OPTARG ;;
	d) duration=$OPTARG ;;
	r) rounds=$OPTARG ;;
	k) kills=$OPTARG ;;
	s) size=$OPTARG ;;
	*) sed -n '2,14p' "$0"; exit 2 ;;
	esac
done

jar=/usr/share/java/zookeeper.jar
[ -f "$jar" ] || { echo "Java ZooKeeper not installed ($jar): apt-get install -y zookeeper" >&2; exit 1; }
command -v jq >/dev/null || { echo "needs jq" >&2; exit 1; }

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/zkit-bench-ensemble.XXXXXX)
declare -A pid
cleanup() {
	for k in "${!pid[@]}"; do kill -9 "${pid[$k]}" 2>/dev/null || true; done
	{ wait; } 2>/dev/null || true
	if [ -n "${KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

mkdir -p "$work/bin"
(cd "$root" && go build -o "$work/bin/zkit" ./cmd/zkit && go build -o "$work/bin/failover" ./scripts/bench-ensemble)
zkit=$work/bin/zkit

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

fourlw() { # port word
	python3 - "$1" "$2" <<'PY' 2>/dev/null || true
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
s.sendall(sys.argv[2].encode()); out = b""
while True:
    b = s.recv(4096)
    if not b: break
    out += b
print(out.decode(errors="replace"))
PY
}

declare -A cport
for kind in zkit java; do
	lines=""
	for i in 1 2 3; do
		cport[$kind.$i]=$(free_port)
		lines+="server.$i=127.0.0.1:$(free_port):$(free_port)"$'\n'
	done
	for i in 1 2 3; do
		d=$work/$kind$i
		mkdir -p "$d/data"
		echo $i >"$d/data/myid"
		cat >"$d/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$d/data
clientPort=${cport[$kind.$i]}
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=*
$lines
CFG
	done
done

start() { # kind i
	local d=$work/$1$2
	case $1 in
	zkit) "$zkit" server "$d/zoo.cfg" >>"$d/log" 2>&1 & ;;
	java) java -Xmx1g -XX:+UseParallelGC -cp "$jar:/usr/share/java/slf4j-simple.jar" \
		-Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
		org.apache.zookeeper.server.quorum.QuorumPeerMain "$d/zoo.cfg" >>"$d/log" 2>&1 & ;;
	esac
	pid[$1.$2]=$!
}

leader_of() { # kind -> member number of the leader, or empty
	for i in 1 2 3; do
		if fourlw "${cport[$1.$i]}" srvr | grep -q "Mode: leader"; then echo $i; return; fi
	done
}

wait_serving() { # kind: one leader, every member leading or following
	for _ in $(seq 1 600); do
		n=0
		for i in 1 2 3; do
			fourlw "${cport[$1.$i]}" srvr | grep -qE "Mode: (leader|follower)" && n=$((n + 1))
		done
		[ $n = 3 ] && return 0
		sleep 0.1
	done
	echo "$1 ensemble not serving" >&2
	exit 1
}

connect_string() { echo "127.0.0.1:${cport[$1.1]},127.0.0.1:${cport[$1.2]},127.0.0.1:${cport[$1.3]}"; }

for kind in zkit java; do for i in 1 2 3; do start $kind $i; done; done
wait_serving zkit
wait_serving java
echo "zkit $(connect_string zkit) leader $(leader_of zkit); java $(connect_string java) leader $(leader_of java)" >&2

results=$work/results.jsonl
for kind in zkit java; do # warm up (the JIT especially)
	"$zkit" bench -q -server "$(connect_string $kind)" -workload mixed -clients "$clients" -duration 3s -size "$size" >/dev/null
done
for w in $workloads; do
	for r in $(seq 1 "$rounds"); do
		for kind in zkit java; do
			"$zkit" bench -q -json -server "$(connect_string $kind)" -workload "$w" -clients "$clients" \
				-duration "$duration" -size "$size" | jq -c --arg k $kind --arg r "$r" '. + {kind: $k, round: ($r|tonumber)}' >>"$results"
			echo "  $w round $r $kind: $(tail -1 "$results" | jq -r '.ops_per_sec|floor') ops/s" >&2
		done
	done
done

for r in $(seq 1 "$kills"); do
	for kind in zkit java; do
		wait_serving $kind
		l=$(leader_of $kind)
		surv=""
		for i in 1 2 3; do [ "$i" = "$l" ] || surv+="${surv:+,}127.0.0.1:${cport[$kind.$i]}"; done
		"$work/bin/failover" -survivors "$surv" -pid "${pid[$kind.$l]}" -path "/failover-$r" |
			jq -c --arg k $kind --arg r "$r" '. + {workload: "failover", kind: $k, round: ($r|tonumber)}' >>"$results"
		echo "  failover round $r $kind (leader $l killed): $(tail -1 "$results" | jq -r .first_write_ms) ms" >&2
		{ wait "${pid[$kind.$l]}"; } 2>/dev/null || true
		start $kind "$l"
	done
done

jq -rs '
  def med: sort | if length == 0 then 0 else .[(length-1)/2|floor] end;
  def ms: . / 1e6 * 1000 | round / 1000;
  map(select(.workload != "failover")) | group_by(.workload) | map(
    (map(select(.kind=="zkit"))) as $z | (map(select(.kind=="java"))) as $j |
    { w: .[0].workload,
      zo: ($z|map(.ops_per_sec)|med), jo: ($j|map(.ops_per_sec)|med),
      z50: ($z|map(.p50_ns)|med), j50: ($j|map(.p50_ns)|med),
      z99: ($z|map(.p99_ns)|med), j99: ($j|map(.p99_ns)|med) }) |
  (["workload","zkit ops/s","java ops/s","ratio","zkit p50 ms","java p50 ms","zkit p99 ms","java p99 ms"] | @tsv),
  (.[] | [ .w, (.zo|floor), (.jo|floor), ((.zo / .jo * 100 | round) / 100),
           (.z50|ms), (.j50|ms), (.z99|ms), (.j99|ms) ] | @tsv)
' "$results" | column -t -s $'\t'
echo
jq -rs '
  def med: sort | if length == 0 then 0 else .[(length-1)/2|floor] end;
  map(select(.workload == "failover")) | group_by(.kind) | map(
    { k: .[0].kind, all: map(.first_write_ms), med: (map(.first_write_ms)|med), max: (map(.first_write_ms)|max) }) |
  (["leader kill -> first write","median ms","max ms","all ms"] | @tsv),
  (.[] | [ .k, .med, .max, (.all|map(tostring)|join(" ")) ] | @tsv)
' "$results" | column -t -s $'\t'
