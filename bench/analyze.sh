#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The analyzer tier (eastwatch analyze) against librdkafka's mock cluster and a Redis on
# loopback, beside kcat reading the same records (what a bare consumer does):
#   1. in process, one core: records/s parsed and judged by the detectors;
#   2. one analyzer, then two in one group, on a topic of 2 partitions fed at RATE
#      records/s while they read (the mock cluster keeps only the last ~5 MB of each
#      partition, so records are read as they come, never from a backlog): records per
#      analyzer CPU-second, whether every record was read, and the drain's wall time;
#      runs alternate 1, 2, 1, 2. On a machine whose cores the producer and the broker
#      share, the wall time is the feed's; the capacity printed is the records over the
#      busiest analyzer's CPU-seconds: what they would take on cores of their own;
#   3. the delay from a flow record's end (stamped by its producer) to the alert read
#      from the analyzer's output, at 10,000 records/s, one record in 100 a new edge.
# The analyzers ask the brokers with fetch.wait.max.ms 10: the mock cluster answers a fetch
# only after that wait (librdkafka's default, 500 ms, would let it drop records past
# its retention before they are read); real brokers answer once data is there.
#   bench/analyze.sh [N] [RATE]      (default 200000 records at 20000/s)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
RATE=${2:-20000}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DEW_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
EW=build-bench/daemon/eastwatch
BA=build-bench/bench/bench_analyze
T=$(mktemp -d /tmp/ew-bench-analyze.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"; }
trap cleanup EXIT

mkfifo "$T/mock.in"
build-bench/bench/kafka_mock 1 f1:2 f2:2 f3:2 f4:2 kc:2 lat:2 <"$T/mock.in" >"$T/mock.out" 2>/dev/null &
PIDS+=($!)
exec 7>"$T/mock.in"
for _ in $(seq 50); do grep -q '^bootstrap' "$T/mock.out" && break; sleep 0.1; done
B=$(awk '/^bootstrap/{print $2}' "$T/mock.out")
RPORT=$(python3 tests/tools/free_port.py 1)
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.5

echo "== machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%F)"
echo "== in process, one core (parse and detect, no Kafka)"
taskset -c 0 "$BA" core rules.d 200000
conf() {   # TOPIC GROUP PREFIX [OPTIONS]
	cat >"$T/$2.yaml" <<YAML
analyze: { brokers: "$B", topic: $1, group: $2, redis: "127.0.0.1:$RPORT", prefix: $3,
           options: { fetch.wait.max.ms: 10 } }
detectors: { new_edge: { state: /dev/null, learn_for: 0s } }
YAML
}
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }   # clock ticks
run() {   # K TOPIC: K analyzers in a group of their own, the topic fed while they read
	local k=$1 topic=$2 g="g$RANDOM$RANDOM" pids=() ticks=0 most=0 read=0 s e t
	conf "$topic" "$g" "$g"
	for i in $(seq "$k"); do
		"$EW" analyze --config "$T/$g.yaml" --rules rules.d --output /dev/null \
			2>"$T/$g-$i.log" &
		pids+=($!)
		PIDS+=($!)
	done
	for i in $(seq "$k"); do
		for _ in $(seq 100); do grep -q assigned "$T/$g-$i.log" && break; sleep 0.1; done
	done
	sleep 2
	s=$(date +%s.%N)
	"$BA" produce "$B" "$topic" "$N" "$RATE" 1000 >/dev/null
	"$BA" drain "$B" "$topic" "$g" "$N" >/dev/null
	e=$(date +%s.%N)
	for p in "${pids[@]}"; do
		t=$(cpu "$p")
		ticks=$((ticks + t))
		[ "$t" -gt "$most" ] && most=$t
	done
	kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
	for i in $(seq "$k"); do
		read=$((read + $(sed -n 's/.*stopped: \([0-9]*\) records read.*/\1/p' "$T/$g-$i.log")))
	done
	awk -v k="$k" -v n="$N" -v r="$read" -v t="$ticks" -v m="$most" -v hz="$(getconf CLK_TCK)" \
		-v s="$s" -v e="$e" \
		'BEGIN { printf "%d analyzer(s): %d of %d records read in %.2f s (fed at %d/s), " \
			 "%.2f CPU-s: %.0f records per analyzer CPU-second; the busiest analyzer " \
			 "%.2f CPU-s: capacity on cores of their own %.0f records/s\n", k, r, n, e - s, \
			 '"$RATE"', t / hz, r / (t / hz), m / hz, r / (m / hz) }'
}
echo "== kcat reading $N records as they are produced at $RATE/s (a bare consumer)"
# bash's times: the CPU its children used (user, then system, for them on its 2nd line)
bash -c 'kcat -C -b "$1" -t kc -o end -c "$2" -q 2>/dev/null | wc -l >"$3"; times' _ "$B" "$N" \
	"$T/kc.count" >"$T/kc.times" &
KC=$!
sleep 3
"$BA" produce "$B" kc "$N" "$RATE" 1000 >/dev/null
sleep 1
pkill -f "kcat -C -b $B -t kc" || true
wait "$KC" || true
sed -n 2p "$T/kc.times" | awk -v n="$(cat "$T/kc.count")" '{
	split($1, u, /[ms]/); split($2, y, /[ms]/); c = u[1] * 60 + u[2] + y[1] * 60 + y[2]
	printf "kcat: %d records read, %.2f CPU-s: %.0f records per CPU-second\n", n, c, n / c }'
echo "== one analyzer against two (alternating), fed at $RATE/s"
run 1 f1; run 2 f2; run 1 f3; run 2 f4

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
