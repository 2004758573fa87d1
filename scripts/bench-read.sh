#!/usr/bin/env bash
# getData read benchmark: zkit (`zkit server`, its own process) against
# Java ZooKeeper 3.8 on the same machine, in interleaved rounds.
#
#   scripts/bench-read.sh [zkit bench flags...]    e.g. -rounds 5 -duration 15s
#
# Both servers: standalone, tickTime 2000, maxClientCnxns 0, data in a temp
# dir. Java runs with the oracle's JVM settings (java-zookeeper-oracle.md:
# -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1) unless JAVA_FLAGS is
# set, e.g. JAVA_FLAGS="-Xmx2g" for the JVM's default JIT and collector.
# The load is `zkit bench -workload read -target ...`: 32 connections, one
# getData in flight each (-pipeline for more), 1 KiB values, 3 rounds of
# 10 s after a 3 s untimed run on each server (-prime).
set -euo pipefail

JAVA_FLAGS=${JAVA_FLAGS:--Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
bench_init bench-read

start_standalone zkit; zaddr=$ADDR
start_standalone java; jaddr=$ADDR

echo "zkit $(cd "$REPO" && git rev-parse --short HEAD), java flags: $JAVA_FLAGS, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$ZKIT" bench -target "zkit=$zaddr" -target "java=$jaddr" -workload read -clients 32 -size 1024 \
	-duration 10s -rounds 3 -prime 3s "$@"
