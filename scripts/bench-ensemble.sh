#!/usr/bin/env bash
# bench-ensemble.sh: 3-member zkit ensemble vs 3-member Java ZooKeeper 3.8
# ensemble on this machine, in interleaved rounds (zkit, java, zkit, ...):
#   - throughput and latency per workload, `zkit bench -target` with the
#     clients spread over the three members;
#   - failover: SIGKILL the leader's process, time until a write (on a
#     session moved to a survivor) is acknowledged (`zkit bench -mode
#     failover`), then restart the member.
# Both run tickTime=2000 initLimit=10 syncLimit=5, Java with forceSync=yes
# and JAVA_FLAGS (default -Xmx1g -XX:+UseParallelGC).
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
	*) sed -n '2,16p' "$0"; exit 2 ;;
	esac
done
command -v jq >/dev/null || { echo "needs jq" >&2; exit 1; }

JAVA_FLAGS=${JAVA_FLAGS:--Xmx1g -XX:+UseParallelGC}
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
bench_init bench-ensemble

declare -A CPORT MPID
start_ensemble zkit
start_ensemble java
echo "zkit $(connect_string zkit) leader $(leader_of zkit); java $(connect_string java) leader $(leader_of java);" \
	"$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

if [ -n "$workloads" ]; then
	"$ZKIT" bench -target "zkit=$(connect_string zkit)" -target "java=$(connect_string java)" \
		-workload "${workloads// /,}" -clients "$clients" -duration "$duration" -rounds "$rounds" -size "$size" -prime 3s
	echo
fi

[ "$kills" -gt 0 ] || exit 0
results=$WORK/failover.jsonl
for r in $(seq 1 "$kills"); do
	for kind in zkit java; do
		wait_ensemble $kind
		l=$(leader_of $kind)
		surv=""
		for i in 1 2 3; do [ "$i" = "$l" ] || surv+="${surv:+,}127.0.0.1:${CPORT[$kind.$i]}"; done
		"$ZKIT" bench -mode failover -json -server "$surv" -pid "${MPID[$kind.$l]}" -path "/failover-$r" |
			jq -c --arg k $kind --arg r "$r" '. + {kind: $k, round: ($r|tonumber)}' >>"$results"
		echo "  failover round $r $kind (leader $l killed): $(tail -1 "$results" | jq -r .first_write_ms) ms" >&2
		{ wait "${MPID[$kind.$l]}"; } 2>/dev/null || true
		forget_pid "${MPID[$kind.$l]}"
		restart_member $kind "$l"
	done
done

jq -rs '
  def med: sort | if length == 0 then 0 else .[(length-1)/2|floor] end;
  group_by(.kind) | map(
    { k: .[0].kind, all: map(.first_write_ms), med: (map(.first_write_ms)|med), max: (map(.first_write_ms)|max) }) |
  (["leader kill -> first write","median ms","max ms","all ms"] | @tsv),
  (.[] | [ .k, .med, .max, (.all|map(tostring)|join(" ")) ] | @tsv)
' "$results" | column -t -s $'\t'
