#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The command line as SPEC §2 describes it: exit codes, --help, check, explain, replay
# (several files, pcapng, cooked and loopback link types, --output, --flows), and error
# messages as FILE:LINE:COL.
#
# usage: cli.sh EASTWATCH SOURCE_DIR CORPUS_DIR
set -uo pipefail
EW=$1
SRC=$2
CORPUS=$3
RULES=$SRC/rules.d
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect CODE DESCRIPTION -- COMMAND...   (stdout to $T/out, stderr to $T/err)
expect() {
	local want=$1 what=$2
	shift 3
	"$@" >"$T/out" 2>"$T/err"
	local got=$?
	if [ "$got" = "$want" ]; then ok; else bad "$what: exit $got, wanted $want"; sed 's/^/    /' "$T/err" | head -5; fi
}
has() {   # has FILE PATTERN DESCRIPTION
	if grep -Eq -- "$2" "$1"; then ok; else bad "$3: no /$2/ in $(basename "$1")"; sed 's/^/    /' "$1" | head -5; fi
}

# --- usage and help ---
expect 2 "no command" -- "$EW"
expect 0 "--help" -- "$EW" --help
has "$T/out" "replay" "--help lists replay"
expect 2 "unknown command" -- "$EW" frobnicate
for c in replay run check explain; do
	expect 0 "$c --help" -- "$EW" "$c" --help
	has "$T/out" "usage: eastwatch $c" "$c --help"
done
expect 2 "replay without files" -- "$EW" replay --rules "$RULES"
expect 2 "replay bad option" -- "$EW" replay --bogus x
expect 2 "an option of another command" -- "$EW" check --iface lo
has "$T/err" "option --iface does not apply here" "names the misplaced option"
expect 2 "replay --workers 0" -- "$EW" replay --rules "$RULES" --workers 0 "$SRC/tests/data/sample.pcap"
has "$T/err" "--workers 0: a number from 1 to 32" "workers out of range named"
expect 2 "replay --workers 33" -- "$EW" replay --rules "$RULES" --workers 33 "$SRC/tests/data/sample.pcap"
printf 'workers: 64\n' >"$T/workers.yaml"
expect 1 "workers: 64 in the configuration" -- "$EW" check --config "$T/workers.yaml" --rules "$RULES"
has "$T/err" "workers.yaml:1:10: .*32" "workers bound at FILE:LINE:COL"
expect 2 "check with an operand" -- "$EW" check --rules "$RULES" extra
expect 2 "run without sources" -- "$EW" run --rules "$RULES"
expect 2 "explain missing args" -- "$EW" explain --rules "$RULES" 198.18.1.1
expect 2 "explain bad address" -- "$EW" explain --rules "$RULES" 198.18.1 198.18.3.10 tcp/22
expect 2 "explain bad service" -- "$EW" explain --rules "$RULES" 198.18.1.1 198.18.3.10 tcp/99999

# --- check ---
expect 0 "check the example" -- "$EW" check --rules "$RULES"
has "$T/out" "^ok: 4 groups, 5 rules \(4 allow, 1 deny\), 2 files" "check summary"
mkdir "$T/bad"
cp "$RULES"/*.yaml "$T/bad/"
printf 'groups:\n  extra: { members: [198.18.1.300] }\n' >"$T/bad/20-extra.yaml"
expect 1 "check a bad policy" -- "$EW" check --rules "$T/bad"
has "$T/err" "^$T/bad/20-extra.yaml:2:22: bad address \"198.18.1.300\"" "FILE:LINE:COL on stderr"
expect 1 "check a missing directory" -- "$EW" check --rules "$T/nonexistent"
printf 'sensor: { name: x }\nsinks:\n  - { type: file, pth: /tmp/x }\n' >"$T/bad.yaml"
expect 1 "check a bad config" -- "$EW" check --rules "$RULES" --config "$T/bad.yaml"
has "$T/err" "^$T/bad.yaml:3:19: unknown key \"pth\" in file sink" "config FILE:LINE:COL"
printf 'sinks:\n  - { type: pager }\n' >"$T/bad2.yaml"
expect 1 "unknown sink type" -- "$EW" check --rules "$RULES" --config "$T/bad2.yaml"
has "$T/err" "^$T/bad2.yaml:2:13: unknown sink type \"pager\"" "sink type error"
printf 'flows: { tcp_idle: forever }\n' >"$T/bad3.yaml"
expect 1 "bad duration" -- "$EW" check --rules "$RULES" --config "$T/bad3.yaml"
has "$T/err" "^$T/bad3.yaml:1:20: expected a duration" "duration error"
mkdir -p "$T/notify"
cp "$RULES"/*.yaml "$T/notify/"
printf 'deny:\n  - { name: no-redis, from: web, to: db, services: [tcp/6379], notify: [pagr] }\n' \
	>"$T/notify/20-notify.yaml"
printf 'sinks:\n  - { type: file, path: /dev/null }\n  - { type: file, name: pager, path: /dev/null, notify_only: true }\n' \
	>"$T/notify.yaml"
expect 1 "notify names a sink that does not exist" -- "$EW" check --rules "$T/notify" --config "$T/notify.yaml"
has "$T/err" "^$T/notify/20-notify.yaml:2:5: rule no-redis: notify names sink \"pagr\"" "notify error"
sed -i 's/pagr/pager/' "$T/notify/20-notify.yaml"
expect 0 "notify names a configured sink" -- "$EW" check --rules "$T/notify" --config "$T/notify.yaml"

# --- explain ---
expect 0 "explain a deny" -- "$EW" explain --rules "$RULES" 198.18.1.11 198.18.3.10 tcp/22 SSH
has "$T/out" "^DENY 198.18.1.11 -> 198.18.3.10 tcp/22 app SSH" "explain verdict line"
has "$T/out" "deny rule \"ssh-between-servers\" at $RULES/10-tiers.yaml:24, severity critical" "explain names the rule and its place"
has "$T/out" "source groups: web" "explain groups"
expect 0 "explain an allow" -- "$EW" explain --rules "$RULES" 198.18.9.5 198.18.1.11 tcp/22 SSH
has "$T/out" "^ALLOW .*allowed by rule \"admin-ssh\"|allowed by rule \"admin-ssh\"" "explain allow"
expect 0 "explain intra" -- "$EW" explain --rules "$RULES" 198.18.3.10 198.18.3.11 tcp/5432 PostgreSQL
has "$T/out" "group \"db\" \(intra: allow" "explain intra"
expect 0 "explain default with port guess" -- "$EW" explain --rules "$RULES" 198.18.1.11 198.18.1.12 tcp/22
has "$T/out" "port guess" "explain says the app is a guess"
has "$T/out" "ssh-between-servers" "a deny apps condition is tested against the port guess"
expect 0 "explain the default" -- "$EW" explain --rules "$RULES" 10.0.0.1 10.0.0.2 udp/53
has "$T/out" "the default action decides \(deny, severity high" "explain default"
expect 0 "explain ipv6 + icmp" -- "$EW" explain --rules "$RULES" fd18::9:5 fd18::3:10 ipv6-icmp
has "$T/out" "allowed by rule \"ping-from-jump\"" "explain icmpv6"

# --- replay ---
expect 0 "replay the sample" -- "$EW" replay --rules "$RULES" "$SRC/tests/data/sample.pcap"
[ "$(wc -l <"$T/out")" = 7 ] && ok || bad "sample gives 7 alerts, got $(wc -l <"$T/out")"
has "$T/err" "packets/s" "summary on stderr"
has "$T/err" "alerts by rule: .*ssh-between-servers 3" "summary counts alerts by rule"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/out" && ok || bad "alerts are JSON lines"
expect 0 "replay to --output with --flows" -- "$EW" replay -q --rules "$RULES" --output "$T/alerts.json" \
	--flows "$T/flows.json" "$SRC/tests/data/sample.pcap"
[ ! -s "$T/out" ] && ok || bad "--output leaves stdout empty"
[ "$(wc -l <"$T/alerts.json")" = 7 ] && ok || bad "--output has the alerts"
[ "$(wc -l <"$T/flows.json")" = 13 ] && ok || bad "--flows has every flow ($(wc -l <"$T/flows.json"))"
has "$T/flows.json" '"verdict":"deny"' "flow records carry verdicts"
expect 0 "several files, pcapng, SLL and BSD loopback" -- "$EW" replay -q --rules "$RULES" \
	"$CORPUS/ndpi-4.2/pcap/syslog.pcapng" "$CORPUS/ndpi-4.2/pcap/log4j-webapp-exploit.pcap" \
	"$CORPUS/ndpi-4.2/pcap/rdp.pcap" "$SRC/tests/data/sample.pcap"
has "$T/out" '"protocol":"ldap"' "log4j's LDAP callback (Linux cooked capture)"
has "$T/out" '"protocol":"rdp"' "RDP over BSD loopback"
has "$T/out" '"name":"ssh-between-servers"' "the last file is read too"
expect 1 "replay an unreadable capture" -- "$EW" replay --rules "$RULES" "$RULES/00-groups.yaml"
has "$T/err" "cannot read capture" "capture error message"
expect 1 "replay a missing capture" -- "$EW" replay --rules "$RULES" "$T/none.pcap"
# a capture of a link type the decoder does not know (802.11): refused, with its name
python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 105) + struct.pack("<IIII", 1, 0, 4, 4) + b"abcd")' >"$T/wifi.pcap"
expect 1 "replay a capture of an unsupported link type" -- "$EW" replay --rules "$RULES" "$T/wifi.pcap"
has "$T/err" "link type IEEE802_11 \\(105\\) is not supported" "the link type is named"
expect 1 "replay with a bad policy" -- "$EW" replay --rules "$T/bad" "$SRC/tests/data/sample.pcap"
expect 2 "replay with a bad filter" -- "$EW" replay --rules "$RULES" --filter "port port" "$SRC/tests/data/sample.pcap"
expect 0 "replay with a filter" -- "$EW" replay --rules "$RULES" --filter "not port 22" "$SRC/tests/data/sample.pcap"
[ "$(wc -l <"$T/out")" = 4 ] && ok || bad "filter drops the SSH flows ($(wc -l <"$T/out") alerts)"
# pcapng whose interfaces differ (snapshot length, nanosecond timestamps), which libpcap
# 1.10 stops reading: the same alerts as the pcap, in either byte order, filters too
"$EW" replay -q --rules "$RULES" "$SRC/tests/data/sample.pcap" >"$T/sample.json"
for order in "" --big-endian; do
	python3 "$SRC/tests/tools/pcap2ng.py" "$SRC/tests/data/sample.pcap" "$T/mixed.pcapng" $order
	expect 0 "replay a pcapng of mixed interfaces $order" -- "$EW" replay -q --rules "$RULES" "$T/mixed.pcapng"
	cmp -s "$T/out" "$T/sample.json" && ok || bad "mixed-interface pcapng $order: alerts differ from the pcap's"
done
expect 0 "replay a pcapng of mixed interfaces with a filter" -- "$EW" replay --rules "$RULES" --filter "not port 22" "$T/mixed.pcapng"
[ "$(wc -l <"$T/out")" = 4 ] && ok || bad "filter on the pcapng fallback ($(wc -l <"$T/out") alerts)"
has "$T/err" "reading on with eastwatch's own pcapng reader" "the fallback is logged"
printf 'sensor: { name: rack12-tap }\nthrottle: { window: 0s }\n' >"$T/cfg.yaml"
expect 0 "replay with a config" -- "$EW" replay --rules "$RULES" --config "$T/cfg.yaml" "$SRC/tests/data/sample.pcap"
has "$T/out" '"observer":\{"name":"rack12-tap","type":"pcap",' "sensor name from the config"

# --- learn proposes only what got through: the sample's nmap probes (SYN answered by RST,
# or half-open) are listed apart, never permitted ---
expect 0 "learn on the sample" -- "$EW" learn -q --rules "$RULES" "$SRC/tests/data/sample.pcap"
if awk '/name: web-to-app/,/^$/' "$T/out" | grep -Eq 'tcp/(22|80|6379)'; then
	bad "learn proposes refused probes: $(grep -A4 'name: web-to-app' "$T/out" | tr '\n' ' ')"
else ok; fi
has "$T/out" "^# Not proposed: 5 attempts refused or unanswered" "learn lists the refused attempts"
has "$T/out" "^#   198.18.1.12 -> 198.18.2.20 tcp/22: 1, " "learn names each refused attempt"
has "$T/out" "name: web-to-app-tls" "learn still proposes the TLS sessions"

# --- a syslog sink's SD-ID must be one RFC 5424 allows
printf 'sinks:\n  - { type: syslog, address: "127.0.0.1:514", sd_id: "bad id" }\n' >"$T/sd.yaml"
expect 1 "check refuses a bad sd_id" -- "$EW" check --rules "$RULES" --config "$T/sd.yaml"
has "$T/err" "sd.yaml:2:[0-9]+: sd_id \"bad id\": an SD-ID is NAME@ENTERPRISE_NUMBER" "bad sd_id as FILE:LINE:COL"

# --- detectors in the configuration: new-edge learns, then reports, and remembers ---
mkdir -p "$T/edge-rules"
printf 'groups: { web: { members: [198.18.1.0/24, "fd18::1:0/112"] }, app: { members: [198.18.2.0/24, "fd18::2:0/112"] }, db: { members: [198.18.3.0/24, "fd18::3:0/112"] }, jump: { members: [198.18.9.5] } }\ndefault: { action: allow }\n' \
	>"$T/edge-rules/a.yaml"
printf 'detectors: { new_edge: { state: %s, learn_for: 1s, severity: high } }\n' "$T/edges" >"$T/edge.yaml"
expect 0 "replay with new-edge" -- "$EW" replay -q --config "$T/edge.yaml" --rules "$T/edge-rules" "$SRC/tests/data/sample.pcap"
has "$T/out" '"action":"new-edge".*"message":"new edge web -> db tcp/22 \(SSH from 198.18.1.11 to 198.18.3.10\), allowed but never seen since the baseline began' "new-edge after the learning second"
has "$T/out" '"severity":"high"' "new-edge severity from the configuration"
[ "$(grep -c '"action":"new-edge"' "$T/out")" -ge 3 ] && ok || bad "new-edge: $(grep -c new-edge "$T/out") alerts"
python3 "$SRC/tests/integration/ecs_check.py" "$CORPUS/ecs/ecs_flat.yml" "$T/out" >"$T/ecs" &&
	ok || bad "new-edge alerts against ECS: $(cat "$T/ecs")"
grep -q 'web.app.6.8443' "$T/edges" && ok || bad "the baseline file holds the edges learned"
expect 0 "replay again on the same baseline" -- "$EW" replay -q --config "$T/edge.yaml" --rules "$T/edge-rules" "$SRC/tests/data/sample.pcap"
[ ! -s "$T/out" ] && ok || bad "a second replay reports known edges: $(head -c 300 "$T/out")"
printf 'detectors: { new_edge: { learn_for: 1s } }\n' >"$T/edge-bad.yaml"
expect 1 "new_edge without state" -- "$EW" check --rules "$RULES" --config "$T/edge-bad.yaml"
has "$T/err" "edge-bad.yaml:1:24: new_edge needs state" "new_edge without state: FILE:LINE:COL"
printf 'detectors: { risk: { severity: { "No Such Risk": high } } }\n' >"$T/risk-bad.yaml"
expect 1 "unknown risk name" -- "$EW" check --rules "$RULES" --config "$T/risk-bad.yaml"
has "$T/err" 'risk-bad.yaml:1:34: unknown nDPI risk "No Such Risk"' "unknown risk: FILE:LINE:COL"

# --- run ---
expect 3 "run on a missing interface" -- "$EW" run --rules "$RULES" --iface ew-no-such-if0
if [ "$(id -u)" = 0 ]; then
	# SIGHUP: a bad policy is refused and the old one stays; a good one is taken.
	mkdir "$T/live"
	cp "$RULES"/*.yaml "$T/live/"
	"$EW" run --rules "$T/live" --iface lo --user root --output "$T/run.json" 2>"$T/run.log" &
	pid=$!
	for _ in $(seq 150); do   # until it listens for signals (sanitized builds start slowly)
		grep -q "running: sensor" "$T/run.log" 2>/dev/null && break
		sleep 0.1
	done
	printf 'deny:\n  - { name: x, from: nowhere, to: any }\n' >"$T/live/30-bad.yaml"
	kill -HUP "$pid"
	sleep 0.5
	has "$T/run.log" "policy reload refused, the previous policy stays in force: $T/live/30-bad.yaml:2:22: unknown group \"nowhere\"" "SIGHUP refuses a bad policy"
	kill -0 "$pid" 2>/dev/null && ok || bad "run survives a bad reload"
	printf 'deny:\n  - { name: x, from: web, to: any }\n' >"$T/live/30-bad.yaml"
	kill -HUP "$pid"
	sleep 0.5
	has "$T/run.log" "policy reloaded from $T/live" "SIGHUP takes a good policy"
	kill -TERM "$pid"
	wait "$pid" && ok || bad "run exits 0 on SIGTERM"
	has "$T/run.log" "stopped: " "run reports on the way out"
fi

# --- hostile configuration and policy files: refused at their cause, quickly
mkdir -p "$T/hostile"
python3 - "$T/hostile" <<'PYEOF'
import sys
d = sys.argv[1]
open(d + "/laughs.yaml", "w").write("groups:\n  g: { members: [198.18.0.1] }\n" +
    "x0: &x0 [a, a, a, a, a, a, a, a, a, a]\n" + "".join(
    "x%d: &x%d [%s]\n" % (i, i, ", ".join(["*x%d" % (i - 1)] * 10)) for i in range(1, 10)))
open(d + "/deep.yaml", "w").write("{" * 100000)
open(d + "/nul.yaml", "wb").write(b"sensor: { name: s }\nrules: r\nuser: x\0y\n")
open(d + "/utf8.yaml", "wb").write(b"sensor: { name: s }\nrules: r\nuser: x\xffy\n")
open(d + "/escnul.yaml", "w").write('sensor:\n  name: "ab\\0cd"\n')
open(d + "/port.yaml", "w").write('metrics: { listen: "127.0.0.1:99999" }\n')
open(d + "/nohost.yaml", "w").write('metrics: { listen: nohost }\n')
open(d + "/user.yaml", "w").write('user: no-such-user-here\n')
open(d + "/retry.yaml", "w").write('sinks:\n  - { type: syslog, address: "127.0.0.1:514", retry_min: 0s }\n')
PYEOF
truncate -s 100M "$T/hostile/huge.yaml"
mkdir -p "$T/laughs" && mv "$T/hostile/laughs.yaml" "$T/laughs/00.yaml"
expect 1 "billion laughs in a policy file" -- timeout 10 "$EW" check --rules "$T/laughs"
has "$T/err" "laughs/00.yaml:[0-9]+:[0-9]+: aliases expand to more than" "alias expansion bounded"
for c in "deep:1:65: nested deeper than 64" "nul:3:8: " "utf8:3:8: " \
	 "escnul:2:9: a NUL character" "port:1:20: " "nohost:1:20: " \
	 "user:1:7: no such user" "huge:1:1: larger than 16 MB" \
	 "retry:2:58: retry_min must be at least 10ms"; do
	f=${c%%:*}
	expect 1 "hostile $f.yaml" -- timeout 10 "$EW" check --config "$T/hostile/$f.yaml" --rules "$RULES"
	has "$T/err" "hostile/$f.yaml:${c#*:}" "hostile $f.yaml refused at its cause"
done
mkdir -p "$T/full6"
printf 'groups:\n  all: { members: ["::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0.0.0.0-255.255.255.255] }\nallow:\n  - { name: any, from: all, to: all }\n' >"$T/full6/00.yaml"
expect 0 "the whole address space as a range" -- "$EW" check --rules "$T/full6"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
