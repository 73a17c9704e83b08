#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ECS-complete output (SPEC §4): every field of the alerts (policy violations, nDPI
# risks, a scan) and flow records that a replay of nDPI's corpus and the sample capture
# writes, checked against ECS's definitions (ecs_check.py); and the Community ID of every
# flow record equal to the one tshark computes for the same packets.
#
# usage: ecs.sh EASTWATCH SOURCE_DIR CORPUS_DIR
set -uo pipefail
EW=$1
SRC=$2
CORPUS=$3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0

"$EW" replay -q --rules "$SRC/rules.d" --output "$T/alerts.json" --flows "$T/flows.json" \
	"$CORPUS"/ndpi-4.2/pcap/*.pcap "$SRC/tests/data/sample.pcap" 2>"$T/err" ||
	{ echo "FAIL replay"; cat "$T/err"; exit 1; }
python3 "$SRC/tests/integration/ecs_check.py" "$CORPUS/ecs/ecs_flat.yml" "$T/alerts.json" \
	"$T/flows.json" || fail=1
for k in policy-violation risk scan; do
	grep -q "\"action\":\"$k\"" "$T/alerts.json" || { echo "FAIL no $k alert to check"; fail=1; }
done

# network.direction by home_networks when configured (else by the policy's groups)
printf 'home_networks: [198.18.1.0/24, "fd18::1:0/112"]\n' >"$T/home.yaml"
"$EW" replay -q --rules "$SRC/rules.d" --config "$T/home.yaml" --output "$T/home.json" \
	"$SRC/tests/data/sample.pcap" 2>/dev/null
dirs=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    a = json.loads(l)
    print(a["source"]["ip"], a["destination"]["ip"], a["network"]["direction"])' "$T/home.json" | sort -u)
if echo "$dirs" | grep -q "^198.18.1.11 198.18.3.10 outbound$" && ! echo "$dirs" | grep -q internal; then
	echo "ok network.direction by home_networks: $(echo "$dirs" | awk '{print $3}' | sort | uniq -c | tr -s ' \n' ' ')"
else
	echo "FAIL network.direction by home_networks: $dirs"; fail=1
fi
printf 'home_networks: [198.18.1.1/24]\n' >"$T/badhome.yaml"
"$EW" check --rules "$SRC/rules.d" --config "$T/badhome.yaml" 2>"$T/badhome.err" >/dev/null
grep -q "badhome.yaml:1:17: home_networks: \"198.18.1.1/24\" is not an address or a prefix" "$T/badhome.err" &&
	echo "ok a bad home_networks entry: FILE:LINE:COL" || { echo "FAIL bad home_networks: $(cat "$T/badhome.err")"; fail=1; }

# Community ID: eastwatch's flow records against tshark's, per capture (the
# specification's own captures: TCP, UDP, SCTP, ICMP, ICMPv6, IPv6; and nDPI's with a
# scan, DNS, TFTP, Kerberos)
for p in "$CORPUS"/community-id/pcaps/{tcp,udp,sctp,icmp,icmp6,ipv6}.pcap \
	 "$CORPUS"/ndpi-4.2/pcap/{synscan,dns_exfiltration,tftp,kerberos,ssh}.pcap; do
	f=$(basename "$p")
	"$EW" replay -q --rules "$SRC/rules.d" --output /dev/null --flows "$T/one.json" "$p" 2>/dev/null
	tshark --enable-protocol communityid -r "$p" -T fields -e communityid 2>/dev/null |
		tr ',' '\n' | sort -u >"$T/tshark.ids"
	python3 -c 'import json,sys; [print(json.loads(l)["network"]["community_id"]) for l in open(sys.argv[1])]' \
		"$T/one.json" | sort -u >"$T/ew.ids"
	n=$(wc -l <"$T/ew.ids")
	missing=$(comm -23 "$T/ew.ids" "$T/tshark.ids" | wc -l)
	if [ "$n" -gt 0 ] && [ "$missing" = 0 ]; then
		echo "ok community_id $f: $n flows, each id as tshark computes it"
	else
		echo "FAIL community_id $f: $missing of $n ids not among tshark's"; fail=1
		comm -23 "$T/ew.ids" "$T/tshark.ids" | head -3
	fi
done
exit $fail
