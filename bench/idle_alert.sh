#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# How long one SYN to a silent address takes to become an alert on an idle interface:
# `eastwatch run --iface` with each worker count of WORKERS (default "1 2") watches one
# end of a veth, tcpreplay sends a single SYN (made by bench_pipeline synth) into the
# other, and the time from the send to the alert's line in the output file is printed,
# ROUNDS times (default 3). The SYN is judged after judge_within (1 s by default) plus
# the capture's block timeout and the workers' hand-over. As root (a network namespace
# of its own; nothing leaves it).
#
# usage: bench/idle_alert.sh EASTWATCH SOURCE_DIR      (build-bench/bench/bench_pipeline
#        must exist beside EASTWATCH's build: SOURCE_DIR/build-bench)
set -euo pipefail
EW=$(readlink -f "$1")
SRC=$(readlink -f "$2")
read -r -a WORKERS <<<"${WORKERS:-1 2}"
# shellcheck source=bench/veth.sh
. "$SRC/bench/veth.sh" idle
"$SRC/build-bench/bench/bench_pipeline" synth --flows 1 --ppf 1 --random 1 --write "$T/one.pcap" \
	"$SRC/rules.d" >/dev/null
for round in $(seq "${ROUNDS:-3}"); do
	for w in "${WORKERS[@]}"; do
		rm -f "$T/alerts.json"
		nsenter "--net=/run/netns/$NS" -- "$EW" run --iface cap --rules "$SRC/rules.d" --user root \
			-o "$T/alerts.json" --sensor idle --workers "$w" 2>"$T/ew.log" &
		pid=$!
		for _ in $(seq 100); do grep -q "running:" "$T/ew.log" && break; sleep 0.05; done
		sleep 1
		t0=$(date +%s.%N)
		ip netns exec "$NS" tcpreplay -q -i snd "$T/one.pcap" >/dev/null 2>&1
		for _ in $(seq 1000); do [ -s "$T/alerts.json" ] && break; sleep 0.005; done
		t1=$(date +%s.%N)
		kill -TERM "$pid"
		wait "$pid" || true
		if [ -s "$T/alerts.json" ]; then
			printf "round %d, %d worker(s): SYN to alert %.3f s\n" "$round" "$w" "$(echo "$t1 - $t0" | bc -l)"
		else
			printf "round %d, %d worker(s): no alert within 5 s\n" "$round" "$w"
		fi
	done
done
