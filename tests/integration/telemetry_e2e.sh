#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Flow telemetry end to end: the bundled sample capture (the lab's real traffic) is
# exported by real exporters to `eastwatch run` listening on loopback, and each export
# must give the violations the packets give, and no alert on the permitted traffic:
#   softflowd -v 10 (IPFIX), -v 10 -b (RFC 5103 biflows), -v 9, -v 5 (IPv4 only: the
#   IPv6 SSH session cannot be carried); pmacctd's sfprobe (sFlow v5, 1:1 sampling) and
#   nfprobe (NetFlow v9, IPFIX); nfdump's nfcapd storing softflowd's v9 export and
#   nfreplay sending it on.
# usage: telemetry_e2e.sh EASTWATCH SOURCE_DIR
set -uo pipefail
EW=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for t in softflowd pmacctd python3; do
	command -v "$t" >/dev/null || { echo "telemetry_e2e: $t is not installed"; exit 1; }
done
pass=0
fail=0
base=$((10000 + RANDOM % 20000))   # below the ephemeral range (32768+): no clash with senders

all="default 198.18.1.11 198.18.3.10 6379
default 198.18.1.12 198.18.2.20 443
default 198.18.1.12 198.18.2.20 6379
default 198.18.1.12 198.18.2.20 80
ssh-between-servers 198.18.1.11 198.18.3.10 22
ssh-between-servers 198.18.1.12 198.18.2.20 22
ssh-between-servers fd18::1:11 fd18::3:10 22"
v4only=$(echo "$all" | grep -v fd18)

# Wait until the daemon logging to $1 listens (sanitized builds start slowly).
ready() {
	for _ in $(seq 150); do
		grep -q "running: sensor" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "telemetry_e2e: the daemon did not start:"; cat "$1"
	return 1
}

# run_case NAME EXPECTED KIND EXPORTER-COMMAND...
run_case() {
	local name=$1 expected=$2 kind=$3 port=$((base++))
	shift 3
	"$EW" run --rules "$SRC/rules.d" "--$kind" "127.0.0.1:$port" --sensor "tele-$name" \
		--output "$T/$name.json" --user root 2>"$T/$name.log" &
	local pid=$!
	ready "$T/$name.log" || { fail=$((fail + 1)); echo "FAIL $name: no listener"; return; }
	"${@//PORT/$port}" >"$T/$name-exporter.log" 2>&1
	sleep 3      # records wait up to 2 s for their other direction
	kill -TERM "$pid"
	wait "$pid"
	local rc=$?
	local got
	got=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    a = json.loads(l)
    print(a["rule"]["name"], a["source"]["ip"], a["destination"]["ip"], a["destination"]["port"])
' "$T/$name.json" | sort -u)
	local types
	types=$(python3 -c '
import json, sys
print(" ".join(sorted({json.loads(l)["observer"]["type"] for l in open(sys.argv[1])})))' "$T/$name.json")
	if [ "$rc" = 0 ] && [ "$got" = "$(echo "$expected" | sort)" ]; then
		pass=$((pass + 1))
		echo "ok $name: $(echo "$got" | wc -l) violations as from the packets (observer.type $types)"
	else
		fail=$((fail + 1))
		echo "FAIL $name (exit $rc)"
		echo "  expected:"; echo "$expected" | sort | sed 's/^/    /'
		echo "  got:"; echo "$got" | sed 's/^/    /'
		tail -5 "$T/$name.log" | sed 's/^/  log: /'
	fi
}

S=$SRC/tests/data/sample.pcap
run_case ipfix "$all" ipfix softflowd -d -r "$S" -n 127.0.0.1:PORT -v 10 -p "$T/sf.pid"
run_case ipfix-biflow "$all" ipfix softflowd -d -r "$S" -n 127.0.0.1:PORT -v 10 -b -p "$T/sf.pid"
run_case netflow9 "$all" netflow softflowd -d -r "$S" -n 127.0.0.1:PORT -v 9 -p "$T/sf.pid"
run_case netflow5 "$v4only" netflow softflowd -d -r "$S" -n 127.0.0.1:PORT -v 5 -p "$T/sf.pid"
# sfprobe does not flush its last samples when it stops at the end of a file
# (../shared/corpus/GENERATE.md): keep the file open, then stop it with SIGINT.
cat >"$T/pm.conf" <<CONF
daemonize: false
pcap_savefile: $S
pcap_savefile_wait: true
plugins: sfprobe[sf]
sfprobe_receiver[sf]: 127.0.0.1:PORT
sfprobe_agentip[sf]: 127.0.0.1
sampling_rate[sf]: 1
CONF
sflow_case() {   # pmacctd reads its receiver from the file: write the port in
	sed "s/PORT/$1/" "$T/pm.conf" >"$T/pm-run.conf"
	pmacctd -f "$T/pm-run.conf" &
	local pm=$!
	sleep 4
	kill -INT "$pm"
	wait "$pm"
}
run_case sflow "$all" sflow sflow_case PORT
nfprobe_case() {   # pmacctd's nfprobe: $1 = port, $2 = NetFlow version
	printf 'daemonize: false\npcap_savefile: %s\nplugins: nfprobe[nf]\nnfprobe_receiver[nf]: 127.0.0.1:%s\nnfprobe_version[nf]: %s\n' \
		"$S" "$1" "$2" >"$T/nf-run.conf"
	timeout 60 pmacctd -f "$T/nf-run.conf"
}
run_case pmacct-nfprobe-v9 "$all" netflow nfprobe_case PORT 9
run_case pmacct-nfprobe-ipfix "$all" ipfix nfprobe_case PORT 10
# nfdump: softflowd's v9 export stored by nfcapd, then replayed by nfreplay
nfreplay_case() {
	local cport=$((base + 500))
	mkdir -p "$T/nfcap"
	nfcapd -w "$T/nfcap" -b 127.0.0.1 -p "$cport" >/dev/null 2>&1 &
	local np=$!
	# until nfcapd listens (a fixed second was too short on a loaded machine: it missed
	# the whole export and nfreplay had nothing to send)
	for _ in $(seq 100); do
		[ -n "$(ss -Hlun "sport = :$cport" 2>/dev/null)" ] && break
		sleep 0.1
	done
	softflowd -d -r "$S" -n "127.0.0.1:$cport" -v 9 -p "$T/sf.pid"
	sleep 1
	kill -TERM "$np"; wait "$np"
	nfreplay -r "$(ls "$T"/nfcap/nfcapd.* | head -1)" -H 127.0.0.1 -p "$1" -v 9
}
if command -v nfreplay >/dev/null && command -v nfcapd >/dev/null; then
	run_case nfdump-nfreplay "$all" netflow nfreplay_case PORT
fi

# An exporter that falls silent raises telemetry-gap (once), and telemetry-resumed when
# it is heard again: silence must never read as "no violations".
port=$((base++))
printf 'sources:\n  - { type: ipfix, listen: "127.0.0.1:%s", silence: 2s }\n' "$port" >"$T/gap.yaml"
"$EW" run --rules "$SRC/rules.d" --config "$T/gap.yaml" --output "$T/gap.json" --user root \
	2>"$T/gap.log" &
pid=$!
ready "$T/gap.log"
softflowd -d -r "$S" -n "127.0.0.1:$port" -v 10 -p "$T/sf.pid" >/dev/null 2>&1
sleep 4.5
softflowd -d -r "$S" -n "127.0.0.1:$port" -v 10 -p "$T/sf.pid" >/dev/null 2>&1
sleep 1
kill -TERM "$pid"
wait "$pid"
gaps=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    a = json.loads(l)
    if a["event"]["action"].startswith("telemetry"):
        print(a["event"]["action"], a["source"]["ip"], a["eastwatch"]["severity"])
' "$T/gap.json")
if [ "$gaps" = "$(printf 'telemetry-gap 127.0.0.1 high\ntelemetry-resumed 127.0.0.1 info')" ] &&
   grep -q "exporter 127.0.0.1: 2 datagrams\|exporter 127.0.0.1: [0-9]* datagrams" "$T/gap.log"; then
	pass=$((pass + 1))
	echo "ok telemetry-gap: one gap alert while silent, one resumed alert, health in the log"
else
	fail=$((fail + 1))
	echo "FAIL telemetry-gap: got"
	echo "$gaps" | sed 's/^/    /'
	tail -8 "$T/gap.log" | sed 's/^/  log: /'
fi
# the gap alerts (about eastwatch's own input) as ECS defines their fields, with no
# placeholder address
if python3 "$SRC/tests/integration/ecs_check.py" "$SRC/../shared/corpus/ecs/ecs_flat.yml" \
	"$T/gap.json" && ! grep -q '"ip":"\(::\|0\.0\.0\.0\)"' "$T/gap.json"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL telemetry-gap alerts: ECS fields or a placeholder address"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
