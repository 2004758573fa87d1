#!/usr/bin/env bash
# profile-ensemble.sh: what a 3-member zkit ensemble's write path spends
# its time on. Starts one ensemble (members serve pprof on loopback through
# ZKIT_PPROF_ADDR), loads it with `zkit bench`, and collects into OUT:
#   leader.cpu, follower.cpu      10 s CPU profiles (go tool pprof -top zkit.bin leader.cpu)
#   leader.trace, follower.trace  4 s execution traces (go tool trace -pprof=syscall|sched|sync ...)
#   trace-summary.txt             the peer loop's states and per-syscall times (scripts/trace-summary.py)
#   perfstat.<i>.txt              fsync/fdatasync/context switches per member over 6 s (if perf works)
#   sched.txt                     CPU and run-queue wait per member (/proc/<pid>/task/*/schedstat)
#   mntr.<n>.txt, info, bench.txt the members' mntr, the writes counted, the load run's result
#
# usage: scripts/profile-ensemble.sh [-w write] [-c 32] [-s 1024] [-o OUT]
set -euo pipefail

workload=write
clients=32
size=1024
out=
while getopts "w:c:s:o:" opt; do
	case $opt in
	w) workload=$OPTARG ;;
	c) clients=$OPTARG ;;
	s) size=$OPTARG ;;
	o) out=$OPTARG ;;
	*) sed -n '2,13p' "$0"; exit 2 ;;
	esac
done
command -v curl >/dev/null || { echo "needs curl" >&2; exit 1; }

# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
bench_init profile-ensemble
OUT=${out:-$(mktemp -d "${TMPDIR:-/tmp}/zkit-profile.XXXXXX")}
mkdir -p "$OUT"
cp "$ZKIT" "$OUT/zkit.bin"

declare -A CPORT MPID
export ZKIT_PPROF_ADDR=127.0.0.1:0
start_ensemble zkit
unset ZKIT_PPROF_ADDR
L=$(leader_of zkit)
F=$((L % 3 + 1))
pprof_url() { grep -o 'http://127.0.0.1:[0-9]*/debug/pprof/' "$WORK/zkit$1/log" | head -1; }
LP=$(pprof_url "$L")
FP=$(pprof_url "$F")
mntr() { # port: the member's mntr
	python3 - "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"mntr")
d = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    d += b
print(d.decode(), end="")
PY
}
proposals() { mntr "${CPORT[zkit.$L]}" | sed -n 's/^zk_proposal_count\t//p'; }
all_mntr() { for i in 1 2 3; do echo "== member $i"; mntr "${CPORT[zkit.$i]}"; done >"$OUT/mntr.$1.txt"; }
sched() { for i in 1 2 3; do echo "member $i $(cat /proc/"${MPID[zkit.$i]}"/task/*/schedstat | awk '{a+=$1; b+=$2} END {printf "%.3f %.3f", a/1e9, b/1e9}')"; done; }

echo "leader $L (pid ${MPID[zkit.$L]}), follower $F (pid ${MPID[zkit.$F]}); $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/info"
"$ZKIT" bench -q -server "$(connect_string zkit)" -workload "$workload" -clients "$clients" -size "$size" \
	-warmup 3s -duration 25s >"$OUT/bench.txt" 2>&1 &
bp=$!
sleep 4

# 10 s: CPU profiles, schedstat, writes.
all_mntr 0
p0=$(proposals)
s0=$(sched)
curl -sf -o "$OUT/leader.cpu" "${LP}profile?seconds=10" &
c1=$!
curl -sf -o "$OUT/follower.cpu" "${FP}profile?seconds=10" &
c2=$!
wait $c1 $c2
s1=$(sched)
p1=$(proposals)
all_mntr 1
echo "CPU profile window (10 s): $((p1 - p0)) writes committed by the leader" | tee -a "$OUT/info"
paste <(echo "$s0") <(echo "$s1") | awk '{printf "member %s: %.2f s on CPU, %.2f s runnable but waiting (all threads)\n", $2, $7-$3, $8-$4}' | tee "$OUT/sched.txt"

# 6 s: syscall counts (perf's tracepoints do not slow the process as strace does).
p2=$(proposals)
pids=()
for i in 1 2 3; do
	perf stat -e 'syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync,context-switches' \
		-p "${MPID[zkit.$i]}" -o "$OUT/perfstat.$i.txt" -- sleep 6 2>/dev/null &
	pids+=($!)
done
wait "${pids[@]}" || echo "perf stat failed (not installed or not permitted): no syscall counts" | tee -a "$OUT/info"
p3=$(proposals)
echo "perf stat window (6 s): $((p3 - p2)) writes committed by the leader" | tee -a "$OUT/info"

# 4 s: execution traces.
curl -sf -o "$OUT/leader.trace" "${LP}trace?seconds=4" &
c1=$!
curl -sf -o "$OUT/follower.trace" "${FP}trace?seconds=4" &
c2=$!
wait $c1 $c2
wait $bp || true
{
	echo "== leader"
	go tool trace -d=parsed "$OUT/leader.trace" | python3 "$REPO/scripts/trace-summary.py" 'quorum.(*leaderRole).handleReady'
	echo "== follower"
	go tool trace -d=parsed "$OUT/follower.trace" | python3 "$REPO/scripts/trace-summary.py" 'quorum.(*learnerRole).handleReady'
} >"$OUT/trace-summary.txt"
cat "$OUT/trace-summary.txt"
tail -2 "$OUT/bench.txt"
echo "load $(cut -d' ' -f1-3 /proc/loadavg); results in $OUT" | tee -a "$OUT/info"
