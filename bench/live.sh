#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The live path's cost: CPU per packet of `eastwatch run --iface` (with each worker count
# of WORKERS, default "1 2") against `eastwatch replay` of the same packets, beside
# tcpdump -w /dev/null and ndpiReader -i, with tcpreplay sending nDPI's Ethernet captures
# (concatenated, looped) onto a veth at fixed rates and at top speed; kernel drops for
# each. As root (a network namespace of its own; no traffic leaves it).
#
# usage: bench/live.sh EASTWATCH SOURCE_DIR [RATE...]      (default rates 25000 100000 top)
# WORKERS="1 2" (default) the worker counts to run; NO_NDPIREADER=1 leaves ndpiReader out;
# BLOCK_MS=N captures with that block timeout (the source's block_ms; unset: its default).
# SEND=FILE.pcap sends that capture instead of nDPI's.
# Each case sends about SECONDS_PER_CASE (3) seconds of packets; the CPU is the time the
# process's threads ran (nanoseconds, /proc/PID/task/*/schedstat) while tcpreplay sent,
# the peak resident its VmHWM (/proc/PID/status) when tcpreplay is done.
# tcpreplay shares the machine's cores.
set -euo pipefail
EW=$(readlink -f "$1")
SRC=$(readlink -f "$2")
shift 2
[ "$#" -gt 0 ] && RATES=("$@") || RATES=(25000 100000 top)
SECS=${SECONDS_PER_CASE:-3}
read -r -a WORKERS <<<"${WORKERS:-1 2}"
CORPUS=$SRC/../shared/corpus/ndpi-4.2/pcap
# shellcheck source=bench/veth.sh
. "$SRC/bench/veth.sh" live 9000

# the mix: every Ethernet capture of the corpus, one after another
# (SEND=FILE.pcap sends that Ethernet capture instead, e.g. churn made by
# `bench_pipeline synth ... --random 1 --write FILE.pcap`)
files=()
for f in "$CORPUS"/*.pcap; do
	capinfos -E "$f" 2>/dev/null | grep -q 'Ethernet$' && files+=("$f")
done
[ -n "${SEND:-}" ] && files=("$(readlink -f "$SEND")")
mergecap -a -F pcap -w "$T/mix.pcap" "${files[@]}"
MIXN=$(capinfos -c -M "$T/mix.pcap" | awk '/Number of packets/{print $NF}')

inns() { ip netns exec "$NS" "$@"; }
# background programs are started with nsenter, which execs them: $! is the program
# itself (a shell function run with & would be a subshell)

cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{n += $1} END {print n + 0}'; }
# per thread: its name, CPU ns and the times it was put on a CPU (its wakes)
threads() { for t in /proc/"$1"/task/*; do echo "$(cat "$t/comm") $(cat "$t/schedstat")"; done 2>/dev/null; }

# run CASE RATE: the capturer (eastwatch or tcpdump) on cap, tcpreplay on snd
run_case() {
	local what=$1 rate=$2 loops pid t0 t1 sent got drops
	if [ "$rate" = top ]; then loops=40; else loops=$(( (rate * SECS + MIXN - 1) / MIXN )); fi
	case $what in
	eastwatch*)
		printf 'sources:\n  - { type: iface, interface: cap%s }\n' "${BLOCK_MS:+, block_ms: $BLOCK_MS}" >"$T/ew.yaml"
		nsenter "--net=/run/netns/$NS" -- "$EW" run --config "$T/ew.yaml" --rules "$SRC/rules.d" --user root \
			-o /dev/null --sensor live --workers "${what#eastwatch-w}" 2>"$T/ew.log" &
		pid=$!
		for _ in $(seq 100); do grep -q "running:" "$T/ew.log" && break; sleep 0.05; done ;;
	ndpiReader)
		nsenter "--net=/run/netns/$NS" -- ndpiReader -i cap -w /dev/null >"$T/nr.log" 2>&1 &
		pid=$!
		sleep 1 ;;
	tcpdump)
		nsenter "--net=/run/netns/$NS" -- tcpdump -i cap -w /dev/null -s 65535 2>"$T/td.log" &
		pid=$!
		sleep 1 ;;
	esac
	t0=$(cpu_ns "$pid")
	threads "$pid" >"$T/th0"
	if [ "$rate" = top ]; then
		inns tcpreplay -q -i snd --topspeed --loop="$loops" "$T/mix.pcap" >"$T/tr.log" 2>&1
	else
		inns tcpreplay -q -i snd --pps="$rate" --loop="$loops" "$T/mix.pcap" >"$T/tr.log" 2>&1
	fi
	sleep 0.5
	t1=$(cpu_ns "$pid")
	threads "$pid" >"$T/th1"
	hwm=$(awk '/^VmHWM:/{print $2}' /proc/"$pid"/status 2>/dev/null)
	[ "$what" = ndpiReader ] && kill -INT "$pid" || kill -TERM "$pid"
	wait "$pid" || true
	sent=$(( loops * MIXN ))
	local pps
	pps=$(awk '/Rated:/{for(i=1;i<=NF;i++) if ($i ~ /pps/) {print $(i-1); exit}}' "$T/tr.log")
	case $what in
	eastwatch*)
		got=$(sed -n 's/.*  iface cap: \([0-9]*\) packets, \([0-9]*\) dropped.*/\1/p' "$T/ew.log")
		drops=$(sed -n 's/.*  iface cap: \([0-9]*\) packets, \([0-9]*\) dropped.*/\2/p' "$T/ew.log") ;;
	tcpdump)
		got=$(awk '/packets captured/{print $1}' "$T/td.log")
		drops=$(awk '/packets dropped by kernel/{print $1}' "$T/td.log") ;;
	ndpiReader)
		# ndpiReader gives no kernel drops: what did not arrive of what was sent
		got=$(awk '/packets total/{print $(NF-2); exit}' "$T/nr.log")
		drops="$(( sent - ${got:-0} ))~" ;;
	esac
	printf "%-13s rate %-7s sent %8d (%s pps)  captured %8s  kernel drops %6s  CPU %6.2f s  %6.2f us/packet  peak resident %s MB\n" \
		"$what" "$rate" "$sent" "${pps:-?}" "${got:-?}" "${drops:-?}" \
		"$(echo "($t1 - $t0) / 1000000000" | bc -l)" \
		"$(echo "($t1 - $t0) / 1000 / (${got:-1} + 1)" | bc -l)" \
		"$(( ${hwm:-0} / 1024 ))"
	# eastwatch's threads: where the CPU went, and how often each woke
	case $what in
	eastwatch*)
		paste "$T/th0" "$T/th1" | awk '$1 == $5 {printf "    %-14s %7.1f ms CPU  %6d wakes\n", $1, ($6 - $2) / 1e6, $8 - $4}' ;;
	esac
}

if [ -n "${SEND:-}" ]; then echo "sent: $SEND, $MIXN packets, looped"
else echo "mix: ${#files[@]} Ethernet captures of nDPI's corpus, $MIXN packets, looped"; fi
for rate in "${RATES[@]}"; do
	for w in "${WORKERS[@]}"; do
		run_case "eastwatch-w$w" "$rate"
	done
	run_case tcpdump "$rate"
	[ -n "${NO_NDPIREADER:-}" ] || run_case ndpiReader "$rate"
done
# about a million packets read from files (the mix 120 times; start-up included): what
# each of the three costs without the kernel, the wakeups and the caches that tcpreplay
# and the rest of the machine cool between blocks at low rates
# (SEND: as many passes as the first rate's live cases sent, since a churn capture's
# flows are new only on its first pass: more passes would make replay's packets cheaper
# than the live cases')
args=()
copies=120
if [ -n "${SEND:-}" ]; then
	copies=1
	[ "${RATES[0]}" != top ] && copies=$(( (RATES[0] * SECS + MIXN - 1) / MIXN ))
fi
for _ in $(seq "$copies"); do args+=("$T/mix.pcap"); done
mergecap -a -F pcap -w "$T/big.pcap" "${args[@]}"
# CPU seconds of a command (user + system, exact: getrusage, not 10 ms ticks); three runs,
# the median shown with the other two
cpu_of() {
	python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.4f" % (r.ru_utime + r.ru_stime))' "$@"
}
offline() {
	local what=$1 runs
	shift
	runs=$(for _ in 1 2 3; do cpu_of "$@"; done | sort -n | tr '\n' ' ')
	awk -v w="$what" -v n=$(( copies * MIXN )) -v r="$runs" 'BEGIN {
		split(r, v, " ")
		printf "%-13s %d packets from a file  CPU %6.2f s  %6.2f us/packet  (runs: %.2f %.2f %.2f us)\n",
			w, n, v[2], v[2] * 1e6 / n, v[1] * 1e6 / n, v[2] * 1e6 / n, v[3] * 1e6 / n }'
}
offline replay "$EW" replay -q --rules "$SRC/rules.d" -o /dev/null "${args[@]}"
offline "tcpdump -r" tcpdump -r "$T/big.pcap" -w /dev/null
[ -n "${NO_NDPIREADER:-}" ] || offline "ndpiReader -i" ndpiReader -i "$T/big.pcap" -w /dev/null
