#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Many sensors, one picture (eastwatch analyze and learn --kafka), on a lab of network
# namespaces (198.18.0.0/15 only) and librdkafka's mock cluster on loopback.
#
# The lab: a switch, a client, a scanner and three racks of two hosts. Real programs make
# the traffic (curl to python's http.server, nmap -sS of six hosts), tcpdump records it
# on the switch, and the capture is cut into what three SPAN points see: rack A, rack B
# (each with the client's traffic), rack C. Three sensors replay their views (scan
# detector on, 5 hosts) and publish their flow records on Kafka; the scanner probes two
# hosts in each view, so no sensor calls it a scanner.
#   1. Two analyzers in one group: one scan alert (six hosts) estate-wide; the client's
#      two new edges (each seen by two sensors) one alert each. One analyzer alone (a
#      group and baseline of its own) raises the same alerts, event.id for event.id.
#   2. A second group: the analyzer holding the scanner's partition is SIGKILLed while
#      the scan window is open (settle 12 s), the other takes its partitions over, the
#      dead one is restarted: still one scan alert (duplicates only with its event.id),
#      the two new-edge alerts not raised again under another id.
#   3. learn --kafka proposes a policy; replaying the whole capture under it raises no
#      policy alert (the scan stays a scan alert, its probes folded into it).
#
# usage: xsensor.sh EASTWATCH SOURCE_DIR KAFKA_MOCK    (as root)
set -euo pipefail
EW=$(readlink -f "$1")
SRC=$(readlink -f "$2")
MOCK=$(readlink -f "$3")

if [ "$(id -u)" != 0 ]; then echo "xsensor: needs root (network namespaces)"; exit 1; fi
for t in ip nsenter nmap curl tcpdump kcat redis-server redis-cli python3; do
	command -v "$t" >/dev/null || { echo "xsensor: $t is not installed"; exit 1; }
done

P=ewx$$
T=$(mktemp -d /tmp/ew-xsensor.XXXXXX)
chmod 755 "$T"
PIDS=()
NS=(sw client scan a1 a2 b1 b2 c1 c2)
cleanup() {
	set +e
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for n in "${NS[@]}"; do ip netns del "$P-$n" 2>/dev/null; done
	[ -z "${LAB_KEEP:-}" ] && rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL xsensor: $*"; for f in "$T"/*.log; do echo "== $f"; tail -20 "$f"; done; exit 1; }
inns() { local n=$1; shift; nsenter "--net=/run/netns/$P-$n" -- "$@"; }

# --- the lab and its capture
for n in "${NS[@]}"; do ip netns add "$P-$n"; ip -n "$P-$n" link set lo up; done
ip -n "$P-sw" link add br0 type bridge
ip -n "$P-sw" link set br0 up
declare -A V4=([client]=198.18.2.20 [scan]=198.18.5.66 [a1]=198.18.3.10 [a2]=198.18.3.11
	[b1]=198.18.4.10 [b2]=198.18.4.11 [c1]=198.18.6.10 [c2]=198.18.6.11)
for h in "${!V4[@]}"; do
	ip link add eth0 netns "$P-$h" type veth peer name "p-$h" netns "$P-sw"
	ip -n "$P-sw" link set "p-$h" master br0 up
	ip -n "$P-$h" addr add "${V4[$h]}/15" dev eth0
	ip -n "$P-$h" link set eth0 up
	ip netns exec "$P-$h" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
for h in a1 b1; do
	(cd "$T" && exec nsenter "--net=/run/netns/$P-$h" -- python3 -m http.server 80 \
		--bind "${V4[$h]}" >"$T/http-$h.log" 2>&1) &
	PIDS+=($!)
done
nsenter "--net=/run/netns/$P-sw" -- tcpdump -i br0 -U -w "$T/lab.pcap" 'ip' 2>"$T/tcpdump.log" &
DUMP=$!
PIDS+=($DUMP)
sleep 1.5
for i in 1 2; do inns client curl -s -o /dev/null --max-time 5 "http://198.18.3.10/"; done
inns client curl -s -o /dev/null --max-time 5 "http://198.18.4.10/"
inns scan nmap -sS -Pn -n -p 22,80 --max-retries 0 198.18.3.10 198.18.3.11 198.18.4.10 \
	198.18.4.11 198.18.6.10 198.18.6.11 >"$T/nmap.log" 2>&1
sleep 1
kill -INT "$DUMP"; wait "$DUMP" 2>/dev/null || true
tcpdump -r "$T/lab.pcap" -w "$T/span-a.pcap" 'net 198.18.3.0/24 or host 198.18.2.20' 2>/dev/null
tcpdump -r "$T/lab.pcap" -w "$T/span-b.pcap" 'net 198.18.4.0/24 or host 198.18.2.20' 2>/dev/null
tcpdump -r "$T/lab.pcap" -w "$T/span-c.pcap" 'net 198.18.6.0/24' 2>/dev/null

# --- Kafka (mock cluster, 4 partitions of flows) and Redis on loopback
mkfifo "$T/mock.in"
"$MOCK" 1 eastwatch.flows:4 eastwatch.alerts:1 <"$T/mock.in" >"$T/mock.out" 2>"$T/mock.log" &
PIDS+=($!)
exec 7>"$T/mock.in"
for _ in $(seq 50); do grep -q '^bootstrap' "$T/mock.out" && break; sleep 0.1; done
B=$(awk '/^bootstrap/{print $2}' "$T/mock.out")
[ -n "$B" ] || fail "the mock cluster did not start"
RPORT=$(python3 "$SRC/tests/tools/free_port.py" 2) || fail "no free port for Redis"   # and RPORT + 1
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no >"$T/redis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

mkdir -p "$T/rules"
cat >"$T/rules/lab.yaml" <<YAML
groups:
  clients:  { members: [198.18.2.0/24] }
  scanners: { members: [198.18.5.0/24] }
  rack-a:   { members: [198.18.3.0/24] }
  rack-b:   { members: [198.18.4.0/24] }
  rack-c:   { members: [198.18.6.0/24] }
allow:
  - { name: clients-to-web, from: clients, to: [rack-a, rack-b], services: [tcp/80] }
default: { action: deny, severity: high }
YAML
cat >"$T/sensor.yaml" <<YAML
detectors: { scan: { hosts: 5, ports: 20, attempts: 20 } }
sinks:
  - { type: kafka, brokers: "$B", topic: eastwatch.alerts, flows_topic: eastwatch.flows }
YAML
analyzer_conf() {   # GROUP PREFIX SETTLE
	cat >"$T/analyze-$1.yaml" <<YAML
sensor: { name: analyzer-$1 }
analyze: { brokers: "$B", group: "$1", redis: "127.0.0.1:$RPORT", prefix: "$2",
           options: { session.timeout.ms: 6000, heartbeat.interval.ms: 500 } }
detectors:
  scan: { hosts: 5, ports: 20, attempts: 20, window: 60s, settle: $3 }
  new_edge: { state: /dev/null, learn_for: 0s }
YAML
}
start_analyzer() {   # GROUP NAME [FLAGS...]: its pid in A
	local g=$1 n=$2
	shift 2
	"$EW" analyze --config "$T/analyze-$g.yaml" --rules "$T/rules" --output "$T/$n.json" "$@" \
		>/dev/null 2>"$T/$n.log" &
	A=$!
	PIDS+=($A)
}
wait_log() {   # FILE PATTERN SECONDS
	for _ in $(seq $(($3 * 10))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
# distinct event.ids of ACTION over FILEs, then lines of it
count() { local a=$1; shift; cat "$@" 2>/dev/null | python3 -c '
import json, sys
a = sys.argv[1]; ids = set(); n = 0
for l in sys.stdin:
    j = json.loads(l)
    if j["event"]["action"] == a:
        ids.add(j["event"]["id"]); n += 1
print(len(ids), n)' "$a"; }

# --- 1. three sensors, two analyzers
SP=()
analyzer_conf g1 p1 3s
analyzer_conf g0 p0 3s
start_analyzer g1 x1; X1=$A
start_analyzer g1 x2; X2=$A
MPORT=$((RPORT + 1))
start_analyzer g0 solo --metrics "127.0.0.1:$MPORT"; SOLO=$A   # alone, its own group and baseline
wait_log "$T/x1.log" "assigned" 30 && wait_log "$T/x2.log" "assigned" 30 &&
	wait_log "$T/solo.log" "assigned" 30 || fail "the analyzers were not given partitions"
sleep 2
for s in a b c; do
	"$EW" replay --config "$T/sensor.yaml" --rules "$T/rules" --sensor "span-$s" \
		--output "$T/sensor-$s.json" "$T/span-$s.pcap" 2>"$T/sensor-$s.log" &
	SP+=($!)
done
for p in "${SP[@]}"; do wait "$p" || fail "a sensor's replay failed"; done
for s in a b c; do
	grep -q '"action":"scan"' "$T/sensor-$s.json" && fail "sensor span-$s saw a scan on its own"
done
for _ in $(seq 300); do
	read -r ns _ < <(count scan "$T/x1.json" "$T/x2.json")
	[ "$ns" -ge 1 ] && break
	sleep 0.1
done
sleep 2
read -r ns nsl < <(count scan "$T/x1.json" "$T/x2.json")
read -r ne nel < <(count new-edge "$T/x1.json" "$T/x2.json")
[ "$ns" = 1 ] && [ "$nsl" = 1 ] || fail "1: scan alerts: $ns ids, $nsl lines (want 1)"
[ "$ne" = 2 ] && [ "$nel" = 2 ] || fail "1: new-edge alerts: $ne ids, $nel lines (want 2)"
cat "$T/x1.json" "$T/x2.json" | python3 -c '
import json, sys
for l in sys.stdin:
    j = json.loads(l)
    if j["event"]["action"] == "scan":
        s = j["eastwatch"]["scan"]
        assert j["source"]["ip"] == "198.18.5.66", j
        assert s["hosts"] == 6 and "horizontal" in s["kind"], s
        assert j["eastwatch"]["sensors"] == ["span-a", "span-b", "span-c"], j["eastwatch"]
    elif j["event"]["action"] == "new-edge":
        assert j["source"]["ip"] == "198.18.2.20" and j["destination"]["port"] == 80, j
        assert j["eastwatch"]["destination_groups"] in (["rack-a"], ["rack-b"]), j
    else:
        raise SystemExit("unexpected alert: " + l)
' || fail "1: the alerts are not the scan and the two edges"
python3 "$SRC/tests/integration/ecs_check.py" "$SRC/../shared/corpus/ecs/ecs_flat.yml" \
	"$T/x1.json" "$T/x2.json" >/dev/null 2>&1 ||
	python3 "$SRC/tests/integration/ecs_check.py" "$(find "$SRC/../shared/corpus/ecs" -name ecs_flat.yml | head -1)" \
		"$T/x1.json" "$T/x2.json" || fail "1: alerts are not ECS"
ids() { cat "$@" | python3 -c '
import json, sys
print(" ".join(sorted(json.loads(l)["event"]["id"] for l in sys.stdin)))'; }
[ "$(ids "$T/solo.json")" = "$(ids "$T/x1.json" "$T/x2.json")" ] ||
	fail "1: one analyzer alone raised other alerts than two: $(ids "$T/solo.json") vs $(ids "$T/x1.json" "$T/x2.json")"
# what an operator's tools read of it
curl -sf "http://127.0.0.1:$MPORT/metrics" >"$T/metrics.txt" || fail "1: no /metrics"
[ "$(curl -sf "http://127.0.0.1:$MPORT/healthz")" = ok ] || fail "1: /healthz"
grep -q '^eastwatch_analyze_alerts_total{action="scan"} 1$' "$T/metrics.txt" &&
	grep -q '^eastwatch_analyze_alerts_total{action="new-edge"} 2$' "$T/metrics.txt" &&
	grep -Eq '^eastwatch_analyze_records_total [1-9][0-9]*$' "$T/metrics.txt" &&
	grep -q '^eastwatch_analyze_partitions 4$' "$T/metrics.txt" &&
	grep -q '^eastwatch_sink_delivered_total{sink=' "$T/metrics.txt" ||
	fail "1: /metrics: $(grep -v '^#' "$T/metrics.txt" | head -20)"
if command -v promtool >/dev/null; then
	promtool check metrics <"$T/metrics.txt" || fail "1: promtool check metrics"
fi
kill "$X1" "$X2" "$SOLO"; wait "$X1" "$X2" "$SOLO" || fail "1: an analyzer did not stop cleanly"
echo "ok xsensor 1: three sensors, two analyzers: one scan alert (6 hosts), one alert per new edge; one analyzer alone: the same alerts, id for id"

# --- 2. SIGKILL the analyzer holding the scanner's partition while its window is open
SCANPART=$(kcat -C -b "$B" -t eastwatch.flows -e -q -f '%p %k\n' 2>/dev/null |
	awk '$2 == "198.18.5.66" { print $1; exit }')
[ -n "$SCANPART" ] || fail "2: no flow record keyed by the scanner"
analyzer_conf g2 p2 12s
start_analyzer g2 y1; Y1=$A
start_analyzer g2 y2; Y2=$A
wait_log "$T/y1.log" "assigned" 30 && wait_log "$T/y2.log" "assigned" 30 ||
	fail "2: the analyzers were not given partitions"
sleep 4   # a rebalance after the second joined settles; both read the topic
read -r ne _ < <(count new-edge "$T/y1.json" "$T/y2.json")
[ "$ne" = 2 ] || fail "2: the new edges were not raised before the kill ($ne)"
read -r ns _ < <(count scan "$T/y1.json" "$T/y2.json")
[ "$ns" = 0 ] || fail "2: the scan was reported before settle"
# the holder: the analyzer whose last assignment (after its last revocation) has it
holds() { awk -v p="partition $SCANPART assigned" '/revoked/ { h = 0 } index($0, p) { h = 1 }
	END { exit !h }' "$1"; }
if holds "$T/y1.log"; then VICTIM=$Y1; elif holds "$T/y2.log"; then VICTIM=$Y2
else fail "2: nobody holds partition $SCANPART"; fi
kill -9 "$VICTIM"
echo "xsensor 2: partition $SCANPART's analyzer ($VICTIM) killed"
sleep 8   # the group notices (session timeout 6 s) and hands its partitions over
start_analyzer g2 y3; Y3=$A
for _ in $(seq 600); do
	read -r ns _ < <(count scan "$T/y1.json" "$T/y2.json" "$T/y3.json")
	[ "$ns" -ge 1 ] && break
	sleep 0.1
done
sleep 3
read -r ns nsl < <(count scan "$T/y1.json" "$T/y2.json" "$T/y3.json")
read -r ne nel < <(count new-edge "$T/y1.json" "$T/y2.json" "$T/y3.json")
[ "$ns" = 1 ] || fail "2: scan alerts after the kill: $ns distinct ids (want 1; $nsl lines)"
[ "$ne" = 2 ] || fail "2: new-edge alerts after the kill: $ne distinct ids (want 2)"
echo "ok xsensor 2: analyzer killed mid-window: 1 scan alert ($nsl lines), 2 new edges ($nel lines), no other ids"
kill "$Y1" "$Y2" "$Y3" 2>/dev/null || true

# --- 3. learn --kafka, then the whole capture replayed under the proposal
mkdir -p "$T/proposal"
"$EW" learn --kafka "$B" --for 5s --output "$T/proposal/learned.yaml" --graph "$T/map.dot" \
	2>"$T/learn.log" || fail "3: learn --kafka failed"
grep -q "198.18.2.20\|net-198-18-2" "$T/proposal/learned.yaml" || fail "3: the client is not in the proposal"
grep -q "scanners\|198.18.5.66" "$T/proposal/learned.yaml" || fail "3: the probes are not listed"
"$EW" check --rules "$T/proposal" >/dev/null || fail "3: the proposal does not load"
cat >"$T/replay.yaml" <<YAML
detectors: { scan: { hosts: 5, ports: 20, attempts: 20 } }
YAML
"$EW" replay -q --config "$T/replay.yaml" --rules "$T/proposal" --output "$T/under-proposal.json" \
	"$T/lab.pcap" 2>"$T/replay.log" || fail "3: replay under the proposal failed"
if grep -q '"action":"policy-violation"' "$T/under-proposal.json"; then
	fail "3: policy alerts under the learned policy: $(grep -c policy-violation "$T/under-proposal.json")"
fi
grep -q '"action":"scan"' "$T/under-proposal.json" || fail "3: the scan is no longer a scan alert"
echo "ok xsensor 3: learn --kafka's proposal: no policy alert on the same traffic (the scan is one scan alert)"
