#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every benchmark, on one core, with a second tool timed on the same files for a ratio.
#   bench/run.sh [CORPUS_DIR]       (default ../shared/corpus beside the project)
# Prints the figures docs/performance.md quotes. Builds a release build in build-bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${1:-../shared/corpus}
OUT=bench/out
mkdir -p "$OUT"
command -v hyperfine >/dev/null && command -v ndpiReader >/dev/null || bash scripts/install-deps.sh --test
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DEW_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
EW=build-bench/daemon/eastwatch
BP=build-bench/bench/bench_pipeline
one() { taskset -c 0 "$@"; }   # one core

echo "== machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%F)"
echo "== policy"
one build-bench/bench/bench_policy 10000 100000 1000000
one build-bench/bench/bench_policy 10 100000 1000000
# many pairs naming the same few services, as real policies do
one build-bench/bench/bench_policy 40 100000 1000000 64

echo "== packet path, in process (no disk, no capture library)"
one "$BP" mix --repeat 10 --write "$OUT/ndpi-mix.pcap" rules.d \
	"$CORPUS"/ndpi-4.2/pcap/*.pcap* "$CORPUS"/ndpi-4.2/supplement-4.4/pcap/*.pcap
one "$BP" synth --flows 100000 --ppf 10 --write "$OUT/flows-100k.pcap" rules.d
one "$BP" synth --flows 1000000 --ppf 1 --write "$OUT/syn-1m.pcap" rules.d
# the same with random addresses (198.18.0.0/15) and ports: sequential tuples flatter
# every hash table and the scan detector
one "$BP" synth --flows 100000 --ppf 10 --random 1 --write "$OUT/flows-100k-random.pcap" rules.d
one "$BP" synth --flows 1000000 --ppf 1 --random 1 --write "$OUT/syn-1m-random.pcap" rules.d
# ... under a policy that permits them: the flow table, scan tracker and verdicts alone,
# not a million alerts formatted
one "$BP" synth --flows 1000000 --ppf 1 --random 1 bench/policy-open
one "$BP" memory --flows 100000 rules.d

echo "== workers, in process (each pinned to its CPU, the split made in advance as fanout makes it)"
for n in 1 2; do "$BP" mix --repeat 200 --workers "$n" --presplit 1 rules.d "$CORPUS"/ndpi-4.2/pcap/*; done
for n in 1 2; do "$BP" synth --flows 1000000 --ppf 1 --random 1 --workers "$n" --presplit 1 bench/policy-open; done
# the owner nearly idle (no scan detector, a policy that permits every flow): the
# workers' own scaling; and what this machine's cores give threads that share nothing
for n in 1 2; do "$BP" mix --repeat 200 --workers "$n" --presplit 1 --scan 0 bench/policy-open "$CORPUS"/ndpi-4.2/pcap/*; done
build-bench/bench/bench_cores 3

echo "== end to end: eastwatch replay against ndpiReader 4.2 on the same files (one core)"
for f in ndpi-mix flows-100k syn-1m flows-100k-random syn-1m-random; do
	pcap="$OUT/$f.pcap"
	pkts=$(tshark -r "$pcap" -T fields -e frame.number 2>/dev/null | tail -1 || echo 0)
	hyperfine -N --runs 5 --warmup 1 --export-json "$OUT/$f.json" \
		-n eastwatch "taskset -c 0 $EW replay -q --rules rules.d --output /dev/null $pcap" \
		-n ndpiReader "taskset -c 0 ndpiReader -q -i $pcap" >/dev/null 2>&1
	python3 - "$OUT/$f.json" "$f" "$pkts" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
pk = int(sys.argv[3])
e, n = r["eastwatch"]["mean"], r["ndpiReader"]["mean"]
print(f"{sys.argv[2]}: {pk} packets; eastwatch replay {e:.3f} s = {pk/e/1e6:.2f} Mpps; "
      f"ndpiReader {n:.3f} s = {pk/n/1e6:.2f} Mpps; eastwatch is {n/e:.1f}x faster "
      f"(means of 5 runs, hyperfine)")
PY
done

echo "== flow telemetry"
BT=build-bench/bench/bench_telemetry
# a captured IPFIX stream: softflowd exporting the 100k generated flows (sequential and
# random tuples), recorded on lo, then decoded and judged
for f in flows-100k flows-100k-random; do
	ipfix="$OUT/ipfix-${f#flows-}.pcap"
	tcpdump -i lo -U -w "$ipfix" udp port 24800 2>/dev/null &
	TP=$!
	sleep 1
	softflowd -d -r "$OUT/$f.pcap" -n 127.0.0.1:24800 -v 10 -p "$OUT/sf.pid" >/dev/null 2>&1
	sleep 1
	kill "$TP"; wait "$TP" 2>/dev/null
	one "$BT" decode rules.d "$ipfix" 10
	one "$BT" decode bench/policy-permitted "$ipfix" 10
done
# sFlow: pmacctd's sfprobe on the same generated traffic, 1:1
tcpdump -i lo -U -w "$OUT/sflow-100k.pcap" udp port 26344 2>/dev/null &
TP=$!
sleep 1
printf 'daemonize: false\npcap_savefile: %s\nplugins: sfprobe[sf]\nsfprobe_receiver[sf]: 127.0.0.1:26344\nsfprobe_agentip[sf]: 127.0.0.1\nsampling_rate[sf]: 1\n' \
	"$PWD/$OUT/flows-100k.pcap" >"$OUT/pm.conf"
timeout 120 pmacctd -f "$OUT/pm.conf" >/dev/null 2>&1
sleep 1
kill "$TP"; wait "$TP" 2>/dev/null
one "$BT" decode bench/policy-permitted "$OUT/sflow-100k.pcap" 3

# Over loopback at fixed rates, 5 s each: eastwatch (one core), nfcapd and nfacctd (one
# core each in turn) on the same stream; the sender runs on the other core. Then two
# workers against one on random tuples from four exporters, nothing pinned.
bash bench/loopback.sh
CAPTURE=$OUT/ipfix-100k-random.pcap EXPORTERS=4 WORKERS="1 2" \
	bash bench/loopback.sh 2500000 5000000 7500000 10000000

echo "== alert sinks (Kafka: librdkafka's mock cluster, 3 brokers, in its own process)"
mkfifo "$OUT/mockctl.$$"
build-bench/bench/kafka_mock 3 bench.alerts:4 bench.latency:4 bench.raw:4 \
	<"$OUT/mockctl.$$" >"$OUT/mock.out" 2>/dev/null &
exec 8>"$OUT/mockctl.$$"
for _ in $(seq 50); do grep -q bootstrap "$OUT/mock.out" && break; sleep 0.1; done
one build-bench/bench/bench_sinks "$(awk '/^bootstrap/ {print $2}' "$OUT/mock.out")" 1000000 \
	2>/dev/null
echo quit >&8
exec 8>&-
rm -f "$OUT/mockctl.$$"
