#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A flow-telemetry listener under a flood of datagrams from spoofed exporter addresses:
# in a network namespace where 198.19.0.0/16 is local, a raw socket sends N IPFIX
# datagrams to `eastwatch run --ipfix`, each from one of NADDR addresses in turn (more
# addresses than the exporter table holds: every datagram a new exporter), as fast as
# Python sends them; then the listener's counters: datagrams taken, dropped by the kernel
# (its socket buffer full: what a busy listener loses, real exporters' datagrams too),
# exporters evicted, and eastwatch's CPU. Each EW given is run in turn, ROUNDS times.
#   bench/exporter_flood.sh [EW...]      (default build-bench/daemon/eastwatch)
# Environment: N (default 200000), NADDR (default 20000), TEMPLATES (template records in
# each datagram, default 0: a header alone), RATE (datagrams/s, default 200000; 0: as
# fast as Python sends), ROUNDS (default 3), KIND (ipfix, default, or sflow: sFlow v5
# datagrams without samples, each naming its sender as the agent).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "exporter_flood: needs root (network namespaces)"; exit 1; }
EWS=("$@")
[ ${#EWS[@]} -gt 0 ] || EWS=(build-bench/daemon/eastwatch)
N=${N:-200000}
NADDR=${NADDR:-20000}
TEMPLATES=${TEMPLATES:-0}
ROUNDS=${ROUNDS:-3}
RATE=${RATE:-200000}
KIND=${KIND:-ipfix}
case "$KIND" in
ipfix) PORT=4739 ;;
sflow) PORT=6343 ;;
*) echo "exporter_flood: KIND is ipfix or sflow"; exit 1 ;;
esac
NS=ewflood$$
T=$(mktemp -d)
cleanup() { ip netns del "$NS" 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
cat > "$T/send.py" <<'PY'
import socket, struct, sys, time
n, naddr, nt, rate = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
sflow = sys.argv[5] == "sflow"
port = 6343 if sflow else 4739
recs = b"".join(struct.pack("!HHHHHH", 256 + k, 2, 8, 4, 12, 4) for k in range(nt))
sets = struct.pack("!HH", 2, 4 + len(recs)) + recs if nt else b""
payload = struct.pack("!HHIII", 10, 16 + len(sets), 0, 0, 1) + sets
def csum(b):
    x = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    x = (x >> 16) + (x & 0xffff)
    return ~(x + (x >> 16)) & 0xffff
pkts = []
for k in range(naddr):
    src = bytes([198, 19, (k >> 8) & 255, k & 255])
    if sflow:       # version 5, IPv4 agent (the sender), sub-agent 0, sequence, uptime, 0 samples
        payload = struct.pack("!II4sIIII", 5, 1, src, 0, 1, 1000, 0)
    udp = struct.pack("!HHHH", 40000, port, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src,
                     bytes([198, 18, 0, 1]))
    pkts.append(ip[:10] + struct.pack("!H", csum(ip)) + ip[12:] + udp)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
t = time.time()
for i in range(n):
    s.sendto(pkts[i % naddr], ("198.18.0.1", 0))
    if rate and i % 50 == 49:            # paced: the same offered load for every build
        ahead = t + (i + 1) / rate - time.time()
        if ahead > 0:
            time.sleep(ahead)
print("%.0f" % (n / (time.time() - t)))
PY
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" addr add 198.18.0.1/32 dev lo
ip -n "$NS" route add local 198.19.0.0/16 dev lo
metric() { grep -E "^$1.*source=\"$KIND 198.18.0.1:$PORT\"" "$T/m" | awk '{print $NF}'; }
echo "$KIND: $N datagrams from $NADDR addresses in turn, $TEMPLATES template records each, at $RATE/s"
for r in $(seq "$ROUNDS"); do
	for ew in "${EWS[@]}"; do
		ip netns exec "$NS" "$ew" run "--$KIND" "198.18.0.1:$PORT" --workers 1 --rules rules.d \
			--user root --metrics 127.0.0.1:9477 --output /dev/null 2>"$T/err" &
		pid=$!
		for _ in $(seq 100); do
			grep -q "running: sensor" "$T/err" && break
			sleep 0.05
		done
		t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
		rate=$(ip netns exec "$NS" python3 "$T/send.py" "$N" "$NADDR" "$TEMPLATES" "$RATE" "$KIND")
		sleep 1
		t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
		ip netns exec "$NS" curl -s 127.0.0.1:9477/metrics > "$T/m"
		kill -TERM "$pid"
		wait "$pid" || true
		taken=$(metric eastwatch_source_packets_total)
		drops=$(metric eastwatch_source_kernel_drops_total)
		evicted=$(metric 'eastwatch_table_evictions_total\{table="exporters"')
		echo "$ew: round $r: sent at $rate/s; taken $taken, dropped by the kernel $drops," \
			"exporters evicted $evicted; CPU $(( (t1 - t0) * 10 )) ms," \
			"$(( (t1 - t0) * 10000000 / (taken > 0 ? taken : 1) )) ns a datagram taken"
	done
done
