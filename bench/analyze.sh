#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The analyzer tier (eastwatch analyze) against librdkafka's mock cluster and a Redis on
# loopback, beside kcat reading the same records (what a bare consumer does):
#   1. records/s of one analyzer draining a topic, and its records per CPU-second;
#   2. two analyzers in one group on a topic of 2 partitions against one (runs
#      alternate: 1, 2, 1, 2);
#   3. the delay from a flow record's end (stamped by its producer) to the alert read
#      from the analyzer's output, at 10,000 records/s, one record in 100 a new edge.
#   bench/analyze.sh [N]      (default 400000 records)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-400000}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DEW_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
EW=build-bench/daemon/eastwatch
BA=build-bench/bench/bench_analyze
T=$(mktemp -d /tmp/ew-bench-analyze.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"; }
trap cleanup EXIT

mkfifo "$T/mock.in"
build-bench/bench/kafka_mock 1 flows:2 lat:2 <"$T/mock.in" >"$T/mock.out" 2>/dev/null &
PIDS+=($!)
exec 7>"$T/mock.in"
for _ in $(seq 50); do grep -q '^bootstrap' "$T/mock.out" && break; sleep 0.1; done
B=$(awk '/^bootstrap/{print $2}' "$T/mock.out")
RPORT=$((20000 + $$ % 20000))
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.5

echo "== machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%F)"
echo "== in process, one core (parse and detect, no Kafka)"
taskset -c 0 "$BA" core rules.d 200000
echo "== producing $N records onto flows (2 partitions)"
"$BA" produce "$B" flows "$N" 0 1000

conf() {   # TOPIC GROUP PREFIX
	cat >"$T/$2.yaml" <<YAML
analyze: { brokers: "$B", topic: $1, group: $2, redis: "127.0.0.1:$RPORT", prefix: $3 }
detectors: { new_edge: { state: /dev/null, learn_for: 0s } }
YAML
}
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }   # clock ticks
run() {   # K analyzers in a group of their own
	local k=$1 g="g$RANDOM$RANDOM" pids=() ticks=0
	conf flows "$g" "$g"
	for i in $(seq "$k"); do
		"$EW" analyze --config "$T/$g.yaml" --rules rules.d --output /dev/null \
			2>"$T/$g-$i.log" &
		pids+=($!)
		PIDS+=($!)
	done
	"$BA" drain "$B" flows "$g" "$N" | sed "s/^/$k analyzer(s): /"
	for p in "${pids[@]}"; do ticks=$((ticks + $(cpu "$p"))); done
	echo "$k analyzer(s): $(awk -v n="$N" -v t="$ticks" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.0f records per analyzer CPU-second (%.2f CPU-s)", n / (t / hz), t / hz }')"
	kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
}
echo "== kcat reading the same records (a bare librdkafka consumer)"
for _ in 1 2; do
	s=$(date +%s.%N)
	kcat -C -b "$B" -t flows -o beginning -e -q >/dev/null 2>&1
	e=$(date +%s.%N)
	awk -v n="$N" -v s="$s" -v e="$e" 'BEGIN { printf "kcat: %.0f records/s\n", n / (e - s) }'
done
echo "== one analyzer against two (alternating)"
for _ in 1 2; do run 1; run 2; done

echo "== delay from a flow record to its alert at 10,000 records/s (new edge every 100th)"
conf lat lat lat
mkfifo "$T/alerts"
"$BA" latency "$T/alerts" 1500 &
LAT=$!
"$EW" analyze --config "$T/lat.yaml" --rules rules.d --output "$T/alerts" 2>"$T/lat.log" &
PIDS+=($!)
for _ in $(seq 100); do grep -q assigned "$T/lat.log" && break; sleep 0.1; done
sleep 1
"$BA" produce "$B" lat 160000 10000 100 >/dev/null
wait "$LAT"
