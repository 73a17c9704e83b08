#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Are two builds' alerts the same? Both binaries judge the same inputs and every alert
# of OLD must come out of NEW byte for byte, in the same order, apart from fields NEW
# adds (named in the report). For restructurings that must not change what is said.
#
#   packets:    replay of tests/data's captures (the lab's recording among them) and of
#               every capture of nDPI's corpus (../shared/corpus/ndpi-4.2), with rules.d
#               and with the lateral lab's rules (tests/integration/lateral_lab.sh), and
#               with the new-edge detector on;
#   telemetry:  softflowd's IPFIX, NetFlow v9 and v5 export of the lab's recording, taken
#               once and sent to both as the same datagrams (eastwatch run --ipfix);
#               compared in any order, without @timestamp (the time a live sensor judged);
#   extra:      EXTRA_PCAP=FILE [EXTRA_RULES=DIR] replays one more capture (a lab
#               recording kept with LAB_SAVE_PCAP).
#
# usage: alert_identity.sh OLD_EASTWATCH NEW_EASTWATCH [SOURCE_DIR]
set -euo pipefail
OLD=$(readlink -f "$1")
NEW=$(readlink -f "$2")
SRC=$(readlink -f "${3:-.}")
CORPUS=$SRC/../shared/corpus/ndpi-4.2/pcap
T=$(mktemp -d /tmp/ew-identity.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0

compare() {   # NAME OLD_FILE NEW_FILE [sort]
	python3 - "$@" <<'EOF' || fail=1
import json, sys
name, a, b = sys.argv[1:4]
A = [json.loads(l) for l in open(a) if l.strip()]
B = [json.loads(l) for l in open(b) if l.strip()]
paths, added = set(), set()

def walk(o, path=""):
    if isinstance(o, dict):
        for k, v in o.items():
            paths.add(path + "." + k)
            walk(v, path + "." + k)

def strip(n, path=""):
    """n without the fields no old alert has (new fields, recorded)."""
    if not isinstance(n, dict):
        return n
    out = {}
    for k, v in n.items():
        if path + "." + k in paths:
            out[k] = strip(v, path + "." + k)
        else:
            added.add((path + "." + k)[1:])
    return out

for o in A:
    walk(o)
text = lambda o: json.dumps(o, separators=(",", ":"))
A = [text(o) for o in A]
B = [text(strip(o)) for o in B]
if len(sys.argv) > 4:          # live: arrival order and @timestamp (time judged) differ
    A = sorted(x.split(",", 1)[1] for x in A)
    B = sorted(x.split(",", 1)[1] for x in B)
same = A == B
print(f"{name}: {len(A)} alerts before, {len(B)} after: {'identical' if same else 'DIFFERENT'}"
      + (f" (new fields: {', '.join(sorted(added))})" if added else ""))
if not same:
    for i, (x, y) in enumerate(zip(A + [""], B + [""])):
        if x != y:
            print(f"  first difference at alert {i + 1}:\n  before {x}\n  after  {y}")
            break
    sys.exit(1)
EOF
}

replay_both() {   # NAME RULES PCAP...
	local name=$1 rules=$2
	shift 2
	for which in OLD NEW; do
		"${!which}" replay -q --rules "$rules" --sensor identity "$@" >"$T/$name.$which" 2>"$T/$name.$which.log" || true
	done
	compare "$name" "$T/$name.OLD" "$T/$name.NEW"
}

# --- packets ---------------------------------------------------------------------
LAT=$T/lateral-rules
mkdir -p "$LAT"
sed -n '/^cat >"\$T\/rules\/lab.yaml" <<.YAML.$/,/^YAML$/p' "$SRC/tests/integration/lateral_lab.sh" |
	sed '1d;$d' >"$LAT/lab.yaml"
for p in "$SRC"/tests/data/*.pcap; do
	replay_both "$(basename "$p")" "$SRC/rules.d" "$p"
done
n=0
for p in "$CORPUS"/*.pcap*; do
	replay_both "ndpi-$(basename "$p")" "$SRC/rules.d" "$p" >"$T/ndpi.$n.out" || { cat "$T/ndpi.$n.out"; fail=1; }
	n=$((n + 1))
done
echo "nDPI corpus: $n captures, each compared (differences printed above)"
replay_both ndpi-all-lateral-rules "$LAT" "$CORPUS"/*.pcap* "$SRC/tests/data/sample.pcap"
# the new-edge detector (a fresh baseline each, learning for the first second), on a
# policy that allows everything
mkdir -p "$T/allow"
echo 'default: { action: allow }' >"$T/allow/all.yaml"
for which in OLD NEW; do
	printf 'detectors: { new_edge: { state: %s, learn_for: 1s } }\n' "$T/baseline.$which" >"$T/edges.$which.yaml"
	"${!which}" replay -q --config "$T/edges.$which.yaml" --rules "$T/allow" --sensor identity \
		"$SRC/tests/data/sample.pcap" "$CORPUS"/*.pcap* >"$T/edges.$which" 2>"$T/edges.$which.log" || true
done
compare new-edge "$T/edges.OLD" "$T/edges.NEW"
[ -n "${EXTRA_PCAP:-}" ] && replay_both extra "${EXTRA_RULES:-$SRC/rules.d}" "$EXTRA_PCAP"

# --- telemetry -------------------------------------------------------------------
# softflowd's export, recorded once as datagrams, then sent to both daemons alike
if command -v softflowd >/dev/null || [ -x /usr/sbin/softflowd ]; then
	PATH=$PATH:/usr/sbin
	for v in 10 9 5; do
		python3 - "$T/rec.$v" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[1] + ".port", "w").write(str(s.getsockname()[1]))
s.settimeout(3)
out = open(sys.argv[1], "wb")
try:
    while True:
        d = s.recv(65535)
        out.write(len(d).to_bytes(4, "big") + d)
except socket.timeout:
    pass
EOF
		while [ ! -s "$T/rec.$v.port" ]; do sleep 0.05; done
		softflowd -d -r "$SRC/tests/data/sample.pcap" -n "127.0.0.1:$(cat "$T/rec.$v.port")" -v "$v" \
			-p "$T/sf.pid" >/dev/null 2>&1
		wait
		for which in OLD NEW; do
			port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
			"${!which}" run --rules "$SRC/rules.d" --sensor identity --ipfix "127.0.0.1:$port" \
				--user root -o "$T/tele.$v.$which" 2>"$T/tele.$v.$which.log" &
			pid=$!
			for _ in $(seq 100); do grep -q running "$T/tele.$v.$which.log" && break; sleep 0.05; done
			python3 - "$T/rec.$v" "$port" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
d = open(sys.argv[1], "rb").read()
i = 0
while i < len(d):
    n = int.from_bytes(d[i:i + 4], "big")
    s.sendto(d[i + 4:i + 4 + n], ("127.0.0.1", int(sys.argv[2])))
    i += 4 + n
    time.sleep(0.001)
EOF
			sleep 1.5
			kill -TERM "$pid"
			wait "$pid" || true
		done
		compare "telemetry-v$v" "$T/tele.$v.OLD" "$T/tele.$v.NEW" sort
	done
else
	echo "telemetry: softflowd is not installed; not compared"
fi
[ "$fail" = 0 ] && echo "alert_identity: identical" || echo "alert_identity: DIFFERENT"
exit "$fail"
