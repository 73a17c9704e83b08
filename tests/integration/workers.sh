#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Workers say what one pipeline says, and a reload under load mixes nothing.
#
#   identity: every capture of nDPI's corpus (those whose times follow one another in
#             one replay, the others alone), tests/data's, and two churn captures with
#             random tuples (bench_pipeline synth: 100,000 SYNs of new flows in 0.1 s of
#             capture time, more than 65,536 waiting for judge_within at once; 20,000
#             flows of 8 packets) replayed with --workers 1, 2 and 4: the alerts, every
#             field, must be the same set.
#   reload:   eastwatch run --iface --workers 2 on a veth in a network namespace while
#             tcpreplay sends the churn capture at 40,000 packets/s and the policy
#             changes ten times (SIGHUP) between two policies whose rule and group names
#             differ (a-* and b-*): every alert must name a rule and groups of one policy,
#             the daemon must exit 0 (under ASan in CI: no policy freed while in use).
#
# usage: workers.sh EASTWATCH BENCH_PIPELINE SOURCE_DIR     (reload: as root)
set -euo pipefail
EW=$(readlink -f "$1")
BP=$(readlink -f "$2")
SRC=$(readlink -f "$3")
CORPUS=$SRC/../shared/corpus/ndpi-4.2/pcap
T=$(mktemp -d /tmp/ew-workers.XXXXXX)
P=eww$$
cleanup() {
	set +e
	[ -n "${RUN:-}" ] && kill "$RUN" 2>/dev/null
	ip netns del "$P" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fail=0

"$BP" synth --flows 100000 --ppf 1 --random 1 --write "$T/churn-syn.pcap" "$SRC/rules.d" >/dev/null
"$BP" synth --flows 20000 --ppf 8 --random 1 --write "$T/churn-8.pcap" "$SRC/rules.d" >/dev/null

same() {   # A B: the same alerts as a set (every field)
	[ "$(sort "$1" | sha256sum)" = "$(sort "$2" | sha256sum)" ]
}

# The corpus in as few runs as its times allow: the captures whose spans follow one
# another in one replay (chosen earliest end first), the rest one by one. Out of time order
# a replay's clock goes back and forth, and which packet first sees a past deadline differs
# between one worker and several (docs/behaviour.md, "Workers").
runs=$(for f in "$CORPUS"/*.pcap*; do
	capinfos -a -e -T -r -S "$f" 2>/dev/null | tail -1
done | python3 -c '
import sys
spans = sorted((float(e), float(s), f) for f, s, e in (l.rstrip("\n").split("\t") for l in sys.stdin))
chain, alone, last = [], [], 0.0
for e, s, f in spans:
    (chain if s >= last else alone).append(f)
    last = e if s >= last else last
print(" ".join(chain))
for f in alone:
    print(f)
')
n=0
while read -r files; do
	# shellcheck disable=SC2086
	set -- $files
	"$EW" replay -q --rules "$SRC/rules.d" --sensor w "$@" >"$T/w1.json" 2>"$T/err" ||
		{ echo "workers: replay of $files failed"; cat "$T/err"; fail=1; continue; }
	for w in 2 4; do
		"$EW" replay -q --rules "$SRC/rules.d" --sensor w --workers $w "$@" >"$T/w$w.json" 2>"$T/err" ||
			{ echo "workers: replay --workers $w of $files failed"; cat "$T/err"; fail=1; continue; }
		if ! same "$T/w1.json" "$T/w$w.json"; then
			echo "workers: $(basename "$1")...: $w workers differ from one"
			diff <(sort "$T/w1.json") <(sort "$T/w$w.json") | head -4 | cut -c1-400
			fail=1
		fi
	done
	n=$((n + $#))
done < <(echo "$runs"; for f in "$SRC"/tests/data/*.pcap "$T"/churn-*.pcap; do echo "$f"; done)
echo "workers identity: $n captures in $(echo "$runs" | wc -l) + 3 replays, 1/2/4 workers compared ($(wc -l <"$T/w1.json") alerts in the last)"

if [ "$(id -u)" != 0 ]; then
	echo "workers reload: needs root (network namespaces), skipped"
	exit $fail
fi
for v in a b; do
	mkdir -p "$T/$v"
	cat >"$T/$v/policy.yaml" <<YAML
groups:
  $v-west: { members: [198.18.0.0/16] }
  $v-east: { members: [198.19.0.0/16] }
deny:
  - { name: $v-west-to-east, from: $v-west, to: $v-east, services: [tcp/1-65535] }
default: { action: deny }
YAML
done
ln -s "$T/a" "$T/rules"
ip netns add "$P"
ip -n "$P" link add va type veth peer name vb
ip -n "$P" link set va up
ip -n "$P" link set vb up
ip -n "$P" link set lo up
ip netns exec "$P" "$EW" run --rules "$T/rules" --iface vb --workers 2 --user root \
	--metrics 127.0.0.1:9464 --output "$T/live.json" 2>"$T/live.log" &
RUN=$!
sleep 1.5
ip netns exec "$P" tcpreplay -q -i va --pps 40000 "$T/churn-8.pcap" >/dev/null 2>&1 &
REPLAY=$!
for i in $(seq 1 10); do
	sleep 0.4
	v=$([ $((i % 2)) = 1 ] && echo b || echo a)
	ln -sfn "$T/$v" "$T/rules"
	kill -HUP "$RUN"
done
wait "$REPLAY" || true
sleep 2
ip netns exec "$P" curl -s http://127.0.0.1:9464/metrics >"$T/metrics.txt" || true
kill -TERM "$RUN"
rc=0; wait "$RUN" || rc=$?
RUN=
python3 - "$T" "$rc" <<'PY' || fail=1
import json, sys
T, rc = sys.argv[1], int(sys.argv[2])
alerts = [json.loads(l) for l in open(f"{T}/live.json") if l.strip()]
log = open(f"{T}/live.log").read()
reloads = log.count("policy reloaded")
mixed, seen = 0, set()
for a in alerts:
    if a["rule"]["name"] in ("scan", "flow-table"):
        continue
    e = a["eastwatch"]
    names = [a["rule"]["name"]] if a["rule"]["name"] != "default" else []
    names += e["source_groups"] + e["destination_groups"]
    kinds = {n[:2] for n in names}
    seen |= kinds
    if len(kinds) > 1:
        mixed += 1
        if mixed < 4:
            print("mixed:", a["rule"]["name"], e["source_groups"], e["destination_groups"])
# /metrics: both workers took packets, and the total is their sum
m = {}
for l in open(f"{T}/metrics.txt"):
    if l.startswith("eastwatch_") and " " in l:
        k, v = l.rsplit(" ", 1)
        m[k] = float(v)
per = [m.get(f'eastwatch_worker_packets_total{{worker="{i}"}}', 0) for i in (0, 1)]
print(f"workers reload: /metrics: {per[0]:.0f} + {per[1]:.0f} packets of "
      f"{m.get('eastwatch_packets_total', 0):.0f}, {m.get('eastwatch_workers', 0):.0f} workers")
metrics_ok = min(per) > 0 and sum(per) == m.get("eastwatch_packets_total") and \
    f'eastwatch_worker_kernel_drops_total{{worker="1"}}' in m
ok = rc == 0 and reloads == 10 and mixed == 0 and len(alerts) > 100 and seen == {"a-", "b-"} \
    and metrics_ok
print(f"workers reload: exit {rc}, {reloads} reloads, {len(alerts)} alerts, judged by "
      f"{sorted(seen)}, {mixed} with a mixed policy: {'ok' if ok else 'WRONG'}")
if not ok:
    print(log[-3000:])
sys.exit(0 if ok else 1)
PY
exit $fail
