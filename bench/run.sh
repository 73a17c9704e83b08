#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every benchmark, on one core, with a second tool timed on the same files for a ratio.
#   bench/run.sh [CORPUS_DIR]       (default ../shared/corpus beside the project)
# Prints the figures the README's table quotes. Builds a release build in build-bench/.
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

echo "== packet path, in process (no disk, no capture library)"
one "$BP" mix --repeat 10 --write "$OUT/ndpi-mix.pcap" rules.d \
	"$CORPUS"/ndpi-4.2/pcap/*.pcap* "$CORPUS"/ndpi-4.2/supplement-4.4/pcap/*.pcap
one "$BP" synth --flows 100000 --ppf 10 --write "$OUT/flows-100k.pcap" rules.d
one "$BP" synth --flows 1000000 --ppf 1 --write "$OUT/syn-1m.pcap" rules.d
one "$BP" memory --flows 100000 rules.d

echo "== end to end: eastwatch replay against ndpiReader 4.2 on the same files (one core)"
for f in ndpi-mix flows-100k syn-1m; do
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
