#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# IPFIX over loopback at fixed rates, 5 s each: eastwatch with each worker count, nfcapd
# and nfacctd on the same stream, in turn at every rate, with what each lost and (for
# eastwatch) its CPU per record.
#   bench/loopback.sh [RATE...]          (records/s; default 1000000 2500000 5000000)
# Environment:
#   CAPTURE    the IPFIX stream to replay (default bench/out/ipfix-100k.pcap, softflowd's
#              export of bench_pipeline's 100k synthetic flows, made here when missing;
#              bench/out/ipfix-100k-random.pcap is the same with random tuples)
#   EXPORTERS  sockets the sender sends from, each the whole stream (default 1: one
#              exporter, which SO_REUSEPORT keeps on one worker's socket)
#   WORKERS    eastwatch's worker counts, alternated at each rate (default 1)
#   OTHERS     0: eastwatch only (default 1: nfcapd and nfacctd too)
#   EW         the eastwatch to run (default build-bench/daemon/eastwatch: another build's,
#              to compare two commits in the same minutes)
# With WORKERS 1 only, every receiver is pinned to CPU 0 and the sender to CPU 1 (one core
# each, as bench/run.sh has always measured). Otherwise nothing is pinned: the workers pin
# themselves, and the sender shares the two CPUs with them; nfacctd's core and plugin
# processes may use both CPUs too.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"
RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(1000000 2500000 5000000)
CAPTURE=${CAPTURE:-$OUT/ipfix-100k.pcap}
EXPORTERS=${EXPORTERS:-1}
WORKERS=${WORKERS:-1}
EW=${EW:-build-bench/daemon/eastwatch}
BT=build-bench/bench/bench_telemetry
[ -x "$EW" ] && [ -x "$BT" ] || {
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DEW_TESTS=OFF >/dev/null
	cmake --build build-bench -j"$(nproc)" >/dev/null
}

if [ ! -s "$CAPTURE" ]; then          # softflowd's export of generated flows, taken on lo
	flows=$OUT/flows-${CAPTURE#"$OUT"/ipfix-}
	random=0
	case "$CAPTURE" in *random*) random=1 ;; esac
	[ -s "$flows" ] || build-bench/bench/bench_pipeline synth --flows 100000 --ppf 10 \
		--random "$random" --write "$flows" rules.d >/dev/null
	tcpdump -i lo -U -w "$CAPTURE" udp port 24800 2>/dev/null &
	tp=$!
	sleep 1
	softflowd -d -r "$flows" -n 127.0.0.1:24800 -v 10 -p "$OUT/sf.pid" >/dev/null 2>&1
	sleep 1
	kill "$tp"
	wait "$tp" 2>/dev/null || true
fi

recv=() send=()
if [ "$WORKERS" = 1 ]; then
	recv=(taskset -c 0)
	send=(taskset -c 1)
fi
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b ? 100 * (b - a) / b : 0 }'; }

printf 'sources:\n  - { type: ipfix, listen: "127.0.0.1:24901", buffer_mb: 64 }\n' >"$OUT/lb.yaml"
for rate in "${RATES[@]}"; do
	for n in $WORKERS; do
		"${recv[@]}" "$EW" run --rules bench/policy-open --config "$OUT/lb.yaml" \
			--workers "$n" --output /dev/null --user root 2>"$OUT/lb.log" &
		pid=$!
		for _ in $(seq 100); do grep -q "running: sensor" "$OUT/lb.log" && break; sleep 0.1; done
		sent=$("${send[@]}" "$BT" send "$CAPTURE" 127.0.0.1 24901 "$rate" 5 "$EXPORTERS")
		sleep 0.5
		cpu=$(awk '{print ($14 + $15) / 100}' "/proc/$pid/stat")
		kill -TERM "$pid"
		wait "$pid"
		recs=$(sed -n 's/.*exporter 127.0.0.1: [0-9]* datagrams, \([0-9]*\) records.*/\1/p' \
			"$OUT/lb.log")
		drops=$(sed -n 's/.*ipfix 127.0.0.1:24901: .*, \([0-9]*\) dropped by the kernel.*/\1/p' \
			"$OUT/lb.log")
		want=$(echo "$sent" | sed -n 's/.*datagrams, \([0-9]*\) records.*/\1/p')
		each=$(sed -n 's/.*worker [0-9]*: .*, \([0-9.]*\) s of CPU.*/\1/p' "$OUT/lb.log" |
			paste -sd/ -)
		echo "eastwatch, $n worker(s), at $((rate / 1000)) k records/s from $EXPORTERS" \
		     "exporter(s) (sender: $(echo "$sent" | sed -n 's/.*s: \([0-9.]*\) M.*/\1/p') M/s):" \
		     "received ${recs:-0} of $want records ($(pct "${recs:-0}" "$want")% lost," \
		     "${drops:-?} datagrams dropped by the kernel), $cpu CPU-s:" \
		     "$(awk -v a="${recs:-0}" -v c="$cpu" 'BEGIN { printf "%.2f", a / c / 1e6 }') M records per CPU-second" \
		     "${each:+(each worker: $each s)}"
	done
	[ "${OTHERS:-1}" = 1 ] || continue

	rm -rf "$OUT/nfcap"
	mkdir -p "$OUT/nfcap"
	"${recv[@]}" nfcapd -w "$OUT/nfcap" -b 127.0.0.1 -p 24902 -B 67108864 >/dev/null 2>&1 &
	npid=$!
	sleep 1
	sent=$("${send[@]}" "$BT" send "$CAPTURE" 127.0.0.1 24902 "$rate" 5 "$EXPORTERS")
	want=$(echo "$sent" | sed -n 's/.*datagrams, \([0-9]*\) records.*/\1/p')
	sleep 1
	kill -TERM "$npid"
	wait "$npid" 2>/dev/null || true
	nrecs=$(nfdump -R "$OUT/nfcap" -I 2>/dev/null | sed -n 's/^Flows: *\([0-9]*\).*/\1/p' | head -1)
	echo "nfcapd at $((rate / 1000)) k records/s: stored ${nrecs:-0} of $want records" \
	     "($(pct "${nrecs:-0}" "$want")% lost)"

	# nfacctd aggregates: it is given one aggregate (the protocol) and the packets it
	# counted are compared with those in the records sent
	rm -f "$OUT/nfacct.csv"
	printf '%s\n' 'daemonize: false' 'nfacctd_ip: 127.0.0.1' 'nfacctd_port: 24903' \
		'nfacctd_pipe_size: 67108864' 'plugin_pipe_size: 268435456' \
		'plugin_buffer_size: 1048576' 'plugins: print[p]' 'aggregate[p]: proto' \
		'print_output[p]: csv' "print_output_file[p]: $PWD/$OUT/nfacct.csv" \
		'print_output_file_append[p]: true' 'print_refresh_time[p]: 1' >"$OUT/nfacct.conf"
	"${recv[@]}" nfacctd -f "$OUT/nfacct.conf" >"$OUT/nfacct.log" 2>&1 &
	apid=$!
	sleep 1
	sent=$("${send[@]}" "$BT" send "$CAPTURE" 127.0.0.1 24903 "$rate" 5 "$EXPORTERS")
	sleep 2
	kill -INT "$apid"
	wait "$apid" 2>/dev/null || true
	wantp=$(echo "$sent" | sed -n 's/.*(\([0-9]*\) packets counted.*/\1/p')
	gotp=$(awk -F, 'NR > 1 && $2 ~ /^[0-9]+$/ { s += $2 } END { print s + 0 }' "$OUT/nfacct.csv")
	echo "nfacctd at $((rate / 1000)) k records/s: counted $gotp of $wantp packets in the records" \
	     "($(pct "$gotp" "$wantp")% lost)"
done
