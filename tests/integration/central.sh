#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# learn and central policy, against real programs:
#   - eastwatch learn on nDPI's captures: the proposal passes check, replaying the same
#     captures under it raises no policy alert, --graph renders with Graphviz dot, and
#     --diff reports exactly the service a reviewer removed (newly denied) and, against
#     a deny-all policy, everything newly allowed;
#   - a redis-server started here: policy push (author, sha256, audit entry), a sensor
#     with policy: { redis } and inventory: { redis } judging NetFlow v5 from loopback;
#     a label change and a push take effect within a second (the sensor's own log), the
#     flow's verdict follows; a push that does not validate is refused and stores
#     nothing; a bad version published by hand is refused by the sensor, old policy kept;
#   - a second redis-server holding the inventory alone: its label notices are applied.
# usage: central.sh EASTWATCH SOURCE_DIR
set -uo pipefail
EW=$(readlink -f "$1")
SRC=$(readlink -f "$2")
C=$SRC/../shared/corpus/ndpi-4.2/pcap
PY=/usr/bin/python3
T=$(mktemp -d /tmp/ew-central.XXXXXX)
pass=0; fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

# --- learn -----------------------------------------------------------------------
PC="$C/ssh.pcap $C/mysql-8.pcap $C/kerberos.pcap $C/smb_deletefile.pcap $C/rdp.pcap $C/vnc.pcap"
mkdir -p "$T/learned" "$T/edited" "$T/denyall"
# shellcheck disable=SC2086
"$EW" learn -q -o "$T/learned/50-learned.yaml" --graph "$T/map.dot" $PC || bad "learn exit"
"$EW" check --rules "$T/learned" >"$T/check.out" 2>&1 && ok "learn: check accepts the proposal ($(cat "$T/check.out"))" ||
	bad "learn: check refuses the proposal: $(cat "$T/check.out")"
# shellcheck disable=SC2086
n=$("$EW" replay -q --rules "$T/learned" $PC | grep -c '"action":"policy-violation"')
[ "$n" = 0 ] && ok "learn: replaying the same traffic under the proposal raises no policy alert" ||
	bad "learn: $n policy alerts under the proposal"
grep -q '# tcp/3306 (MySQL): 1 flow, ' "$T/learned/50-learned.yaml" && grep -q 'apps: \["MySQL"\]' "$T/learned/50-learned.yaml" &&
	ok "learn: rules carry their evidence and the application DPI named" || bad "learn: evidence or apps missing"
dot -Tsvg "$T/map.dot" -o "$T/map.svg" 2>"$T/dot.err" && grep -q "<svg" "$T/map.svg" &&
	ok "learn --graph: dot renders it ($(grep -c 'class="cluster"' "$T/map.svg") clusters)" || bad "learn --graph: $(cat "$T/dot.err")"
# a reviewer drops the MySQL rule: --diff says exactly that flow becomes denied
$PY - "$T/learned/50-learned.yaml" "$T/edited/50-edited.yaml" <<'PY'
import sys
src = open(sys.argv[1]).read().split("\n")
out, skip = [], False
for l in src:
    if l.startswith("  - name: ") and "mysql" in l:
        skip = True
        continue
    if skip and l.startswith("    "):
        continue
    skip = False
    out.append(l)
open(sys.argv[2], "w").write("\n".join(out))
PY
# shellcheck disable=SC2086
"$EW" learn -q --rules "$T/learned" --diff "$T/edited" $PC >"$T/diff.out"
grep -q "^newly denied:" "$T/diff.out" && [ "$(grep -c 'was allowed' "$T/diff.out")" = 1 ] &&
	grep -q "tcp/3306 (MySQL).*now denied by the default" "$T/diff.out" &&
	grep -q "^1 newly denied (1 flows), 0 newly allowed" "$T/diff.out" &&
	ok "learn --diff: removing the MySQL rule newly denies exactly the MySQL flow" ||
	{ bad "learn --diff (removed rule)"; cat "$T/diff.out"; }
echo "default: { action: deny }" >"$T/denyall/a.yaml"
# shellcheck disable=SC2086
"$EW" learn -q --rules "$T/denyall" --diff "$T/learned" $PC >"$T/diff2.out"
grep -q "^0 newly denied (0 flows), [1-9][0-9]* newly allowed" "$T/diff2.out" &&
	ok "learn --diff: against deny-all, $(tail -1 "$T/diff2.out")" || { bad "learn --diff (deny-all)"; cat "$T/diff2.out"; }

# --- central policy and inventory in Redis --------------------------------------
RP=$((20000 + $$ % 5000)); NF=$((RP + 1))
start_redis() {   # PORT LOG
	redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no >"$2" 2>&1 &
	PIDS+=($!)
	for i in $(seq 50); do redis-cli -p "$1" ping >/dev/null 2>&1 && break; sleep 0.1; done
}
start_redis "$RP" "$T/redis.log"
R=(redis-cli -p "$RP")
mkdir -p "$T/p1" "$T/p2" "$T/bad"
cat >"$T/p1/10.yaml" <<'EOF'
groups:
  web: { members: ["label:role=web"] }
  db:  { members: ["label:role=db"] }
allow:
  - { name: web-to-db, from: web, to: db, services: [tcp/5432] }
default: { action: deny, severity: high }
EOF
sed 's/tcp\/5432/tcp\/5433/' "$T/p1/10.yaml" >"$T/p2/10.yaml"
printf 'groups: { web: { members: [not-an-address] } }\n' >"$T/bad/10.yaml"
"${R[@]}" hset eastwatch:host:198.18.1.11 role web >/dev/null
"${R[@]}" hset eastwatch:host:198.18.3.10 role db >/dev/null
cat >"$T/sensor.yaml" <<EOF
sensor: { name: central-test }
policy: { redis: "127.0.0.1:$RP" }
inventory: { redis: "127.0.0.1:$RP" }
detectors: { scan: { enabled: false } }
EOF
"$EW" policy push "$T/p1" --redis "127.0.0.1:$RP" --author alice --config "$T/sensor.yaml" >"$T/push1.out" 2>&1 &&
	grep -q "^pushed sha256:" "$T/push1.out" && ok "policy push: $(cut -c1-120 "$T/push1.out")" || bad "policy push: $(cat "$T/push1.out")"
V1=$("${R[@]}" get eastwatch:policy:current)
"$EW" run --config "$T/sensor.yaml" --netflow "127.0.0.1:$NF" --output "$T/alerts.json" \
	--user root 2>"$T/sensor.log" &
SENSOR=$!
PIDS+=($SENSOR)
for i in $(seq 100); do grep -q "running: sensor" "$T/sensor.log" && break; sleep 0.1; done
for i in $(seq 50); do grep -q "central: subscribed" "$T/sensor.log" && break; sleep 0.1; done
grep -q "policy redis 127.0.0.1:$RP ($V1)" "$T/sensor.log" && ok "sensor runs $V1 from Redis" || bad "sensor policy: $(grep running "$T/sensor.log")"
send() { $PY "$SRC/tests/integration/recv/nf5_send.py" 127.0.0.1 "$NF" "$@"; }
alerts_for() { grep -c "\"destination\":{\"ip\":\"198.18.3.10\",\"port\":$1" "$T/alerts.json" 2>/dev/null || true; }
# effect time: from PUBLISH to the sensor's audit line, by the sensor's own clock
applied_within() {   # $1 event, $2 start (s since epoch, float)
	local line t
	for i in $(seq 50); do
		line=$(grep "audit: $1" "$T/sensor.log" | tail -1)
		[ -n "$line" ] && [ "$(grep -c "audit: $1" "$T/sensor.log")" -gt "$3" ] && break
		sleep 0.05
	done
	t=$(date -d "$(echo "$line" | cut -d' ' -f1)" +%s.%N 2>/dev/null)
	$PY -c "import sys; d=float(sys.argv[1])-float(sys.argv[2]); print('%.3f' % d); sys.exit(0 if d < 1 else 1)" "$t" "$2"
}
send 198.18.1.11 198.18.3.10 5432 1000
sleep 3.5
[ "$(alerts_for 5432)" = 0 ] && ok "web (label role=web) to db on tcp/5432: allowed" || bad "allowed flow alerted"
# a label change: web1 becomes a batch host
before=$(grep -c "audit: inventory-applied" "$T/sensor.log")
t0=$(date +%s.%N)
"${R[@]}" hset eastwatch:host:198.18.1.11 role batch >/dev/null
"${R[@]}" publish eastwatch:inventory 198.18.1.11 >/dev/null
d=$(applied_within inventory-applied "$t0" "$before") && ok "label change applied in ${d} s" || bad "label change not applied within 1 s ($d)"
send 198.18.1.11 198.18.3.10 5432 2000
sleep 3.5
[ "$(alerts_for 5432)" -ge 1 ] && ok "the same flow after the label change: denied (alert)" || bad "no alert after the label change"
"${R[@]}" hset eastwatch:host:198.18.1.11 role web >/dev/null
"${R[@]}" publish eastwatch:inventory 198.18.1.11 >/dev/null
sleep 0.5
# a push: 5432 no longer allowed, 5433 allowed
before=$(grep -c "audit: policy-applied" "$T/sensor.log")
t0=$(date +%s.%N)
"$EW" policy push "$T/p2" --redis "127.0.0.1:$RP" --author bob --config "$T/sensor.yaml" >"$T/push2.out" 2>&1 || bad "push 2"
d=$(applied_within policy-applied "$t0" "$before") && ok "push applied by the sensor in ${d} s" || bad "push not applied within 1 s ($d)"
V2=$("${R[@]}" get eastwatch:policy:current)
send 198.18.1.11 198.18.3.10 5433 3000
sleep 3.5
[ "$(alerts_for 5433)" = 0 ] && ok "after the push tcp/5433 is allowed" || bad "5433 alerted after the push"
# a refused push
"$EW" policy push "$T/bad" --redis "127.0.0.1:$RP" --author mallory >"$T/push3.out" 2>&1
rc=$?
[ $rc = 1 ] && [ "$("${R[@]}" get eastwatch:policy:current)" = "$V2" ] && grep -q "10.yaml:1:" "$T/push3.out" &&
	ok "a push that does not validate: exit 1, FILE:LINE:COL, nothing stored" || bad "bad push: rc $rc $(cat "$T/push3.out")"
# a bad version published by hand: the sensor refuses it and keeps V2
"${R[@]}" hset eastwatch:policy:v:sha256:bogus version sha256:bogus files 10.yaml file:10.yaml 'groups: [' >/dev/null
"${R[@]}" publish eastwatch:policy sha256:bogus >/dev/null
sleep 0.5
grep -q "policy sha256:bogus refused" "$T/sensor.log" && grep -q "policy $V2\|$V2" "$T/sensor.log" &&
	ok "a bad version published by hand: refused by the sensor, $V2 stays" || bad "bogus version: $(tail -3 "$T/sensor.log")"
send 198.18.1.11 198.18.3.10 5433 4000
sleep 3.5
[ "$(alerts_for 5433)" = 0 ] && ok "and the flows are still judged by $V2" || bad "verdict changed after a refused version"
# the audit stream
"${R[@]}" xrange eastwatch:audit - + >"$T/audit.txt"
for e in policy-push policy-applied inventory-applied policy-refused; do
	grep -q "^$e$" "$T/audit.txt" || { bad "audit stream lacks $e"; continue; }
done
grep -q "^alice$" "$T/audit.txt" && grep -q "^bob$" "$T/audit.txt" && grep -q "^first version: 1 files, 2 groups, 1 rules$" "$T/audit.txt" && grep -q "^files changed: 10.yaml" "$T/audit.txt" &&
	ok "audit stream: pushes with author and changes, sensors' applied and refused entries ($(grep -c '^event$' "$T/audit.txt") entries)" ||
	bad "audit stream content"
kill -TERM "$SENSOR"; wait "$SENSOR"

# --- the inventory in a Redis of its own: label notices come from that one ---------
RP2=$((RP + 2)); NF2=$((RP + 3))
start_redis "$RP2" "$T/redis2.log"
R2=(redis-cli -p "$RP2")
"${R2[@]}" hset eastwatch:host:198.18.1.11 role web >/dev/null
"${R2[@]}" hset eastwatch:host:198.18.3.10 role db >/dev/null
sed "s/^inventory: .*/inventory: { redis: \"127.0.0.1:$RP2\" }/" "$T/sensor.yaml" >"$T/sensor2.yaml"
"$EW" run --config "$T/sensor2.yaml" --netflow "127.0.0.1:$NF2" --output "$T/alerts2.json" \
	--user root 2>"$T/sensor2.log" &
SENSOR=$!
PIDS+=($SENSOR)
for i in $(seq 100); do grep -q "running: sensor" "$T/sensor2.log" && break; sleep 0.1; done
for i in $(seq 50); do [ "$(grep -c "central: subscribed" "$T/sensor2.log")" -ge 2 ] && break; sleep 0.1; done
NF=$NF2
alerts2_for() { grep -c "\"destination\":{\"ip\":\"198.18.3.10\",\"port\":$1" "$T/alerts2.json" 2>/dev/null || true; }
send 198.18.1.11 198.18.3.10 5433 5000
sleep 3.5
[ "$(alerts2_for 5433)" = 0 ] && ok "two Redis servers: policy $V2 from one, labels from the other: allowed" ||
	bad "two Redis servers: the allowed flow alerted"
before=$(grep -c "audit: inventory-applied" "$T/sensor2.log")
t0=$(date +%s.%N)
"${R2[@]}" hset eastwatch:host:198.18.1.11 role batch >/dev/null
"${R2[@]}" publish eastwatch:inventory 198.18.1.11 >/dev/null
for i in $(seq 50); do
	[ "$(grep -c "audit: inventory-applied" "$T/sensor2.log")" -gt "$before" ] && break
	sleep 0.05
done
[ "$(grep -c "audit: inventory-applied" "$T/sensor2.log")" -gt "$before" ] &&
	ok "two Redis servers: a label change announced on the inventory's Redis is applied" ||
	bad "two Redis servers: label change not applied: $(tail -3 "$T/sensor2.log")"
send 198.18.1.11 198.18.3.10 5433 6000
sleep 3.5
[ "$(alerts2_for 5433)" -ge 1 ] && ok "two Redis servers: the same flow after the label change: denied" ||
	bad "two Redis servers: no alert after the label change"
kill -TERM "$SENSOR"; wait "$SENSOR"
echo "central: $pass passed, $fail failed"
[ $fail = 0 ]
