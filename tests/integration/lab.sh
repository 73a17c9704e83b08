#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The integration lab: a switch and five hosts in network namespaces, real servers
# (sshd, an OpenSSL TLS server, redis-server) and real clients (ssh, curl, redis-cli,
# nmap, ping), all on 198.18.0.0/15 and fd18::/64 only. While the traffic runs,
#   - eastwatch run --iface br0 --workers 2 watches the switch's bridge (the SPAN view,
#     split over two workers by the kernel's fanout),
#   - eastwatch run --iface p-web1 --iface p-web2 --workers 1 watches two switch ports,
#   - tcpdump records the bridge;
# then eastwatch replay judges the recording. All three must report exactly the expected
# violations and nothing on the permitted traffic, and a replay with four workers must
# say exactly what the replay with one says.
#
# usage: lab.sh EASTWATCH SOURCE_DIR          (as root; LAB_SAVE_PCAP=FILE keeps the capture)
set -euo pipefail
EW=$(readlink -f "$1")
SRC=$(readlink -f "$2")
RULES=$SRC/rules.d

if [ "$(id -u)" != 0 ]; then echo "lab: needs root (network namespaces)"; exit 1; fi
for t in ip nsenter sshd ssh ssh-keygen openssl redis-server redis-cli curl nmap tcpdump ping python3; do
	command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || { echo "lab: $t is not installed"; exit 1; }
done

P=ewl$$                       # namespace prefix, unique per run
T=$(mktemp -d /tmp/ew-lab.XXXXXX)
chmod 755 "$T"
PIDS=()
NS=(sw web1 web2 app1 db1 jump)

cleanup() {
	set +e
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for n in "${NS[@]}"; do ip netns del "$P-$n" 2>/dev/null; done
	if [ -z "${LAB_KEEP:-}" ]; then rm -rf "$T"; fi
}
trap cleanup EXIT

# Run a command in host $1's namespace. Background programs are started as
# `nsenter "$(net HOST)" -- PROGRAM ... &`: nsenter execs the program (ip netns exec
# forks, and so does a shell function run with &), so $! is the program and signals
# reach it.
net() { echo "--net=/run/netns/$P-$1"; }
inns() { local n=$1; shift; nsenter "$(net "$n")" -- "$@"; }

# --- the network ---------------------------------------------------------------
for n in "${NS[@]}"; do ip netns add "$P-$n"; ip -n "$P-$n" link set lo up; done
ip -n "$P-sw" link add br0 type bridge
ip -n "$P-sw" link set br0 up
declare -A V4=([web1]=198.18.1.11 [web2]=198.18.1.12 [app1]=198.18.2.20 [db1]=198.18.3.10 [jump]=198.18.9.5)
declare -A V6=([web1]=fd18::1:11 [web2]=fd18::1:12 [app1]=fd18::2:20 [db1]=fd18::3:10 [jump]=fd18::9:5)
for h in web1 web2 app1 db1 jump; do
	ip link add eth0 netns "$P-$h" type veth peer name "p-$h" netns "$P-sw"
	ip -n "$P-sw" link set "p-$h" master br0 up
	ip -n "$P-$h" addr add "${V4[$h]}/15" dev eth0
	ip -n "$P-$h" addr add "${V6[$h]}/64" dev eth0 nodad
	ip -n "$P-$h" link set eth0 up
done

# --- sensors --------------------------------------------------------------------
nsenter "$(net sw)" -- tcpdump -i br0 -U -w "$T/lab.pcap" 2>"$T/tcpdump.log" &
PIDS+=($!)
nsenter "$(net sw)" -- "$EW" run --rules "$RULES" --iface br0 --sensor lab-span --output "$T/live.json" \
	--user nobody --workers 2 2>"$T/live.log" &
LIVE=$!
PIDS+=($LIVE)
nsenter "$(net sw)" -- "$EW" run --rules "$RULES" --iface p-web1 --iface p-web2 --sensor lab-ports \
	--workers 1 --output "$T/ports.json" 2>"$T/ports.log" &
PORTS=$!
PIDS+=($PORTS)

# --- servers --------------------------------------------------------------------
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$T/id"
cp "$T/id.pub" "$T/authorized_keys"
chmod 600 "$T/authorized_keys"
for h in db1 web1; do
	cat > "$T/sshd-$h.conf" <<CONF
Port 22
ListenAddress 0.0.0.0
ListenAddress ::
HostKey $T/hostkey
PidFile $T/sshd-$h.pid
AuthorizedKeysFile $T/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
CONF
	nsenter "$(net "$h")" -- /usr/sbin/sshd -D -f "$T/sshd-$h.conf" -E "$T/sshd-$h.log" &
	PIDS+=($!)
done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-subj /CN=app1.lab -keyout "$T/tls.key" -out "$T/tls.crt" 2>/dev/null
for a in "${V4[app1]}" "[${V6[app1]}]"; do     # OpenSSL's [::] listener is IPv6-only
	nsenter "$(net app1)" -- openssl s_server -accept "$a:8443" -cert "$T/tls.crt" -key "$T/tls.key" -www \
		-quiet >/dev/null 2>&1 &
	PIDS+=($!)
done
nsenter "$(net db1)" -- redis-server --port 6379 --bind "${V4[db1]} ${V6[db1]}" --protected-mode no \
	--save '' --appendonly no --dir "$T" >"$T/redis.log" 2>&1 &
PIDS+=($!)

# Wait until every server listens (checked in its own namespace, without traffic).
for s in "db1 22" "web1 22" "app1 8443" "db1 6379"; do
	read -r h port <<<"$s"
	for i in $(seq 100); do
		if inns "$h" ss -ltn | grep -q ":$port "; then break; fi
		[ "$i" = 100 ] && { echo "lab: nothing listens on $h:$port"; exit 1; }
		sleep 0.1
	done
done
for log in "$T/live.log" "$T/ports.log"; do   # sensors listening (sanitized builds are slow)
	for i in $(seq 150); do
		grep -q "running: sensor" "$log" 2>/dev/null && break
		[ "$i" = 150 ] && { echo "lab: a sensor did not start"; cat "$log"; exit 1; }
		sleep 0.1
	done
done
sleep 1   # neighbour discovery settled

SSH=(ssh -i "$T/id" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
     -o ConnectTimeout=5 -o LogLevel=ERROR)

# --- traffic: permitted ----------------------------------------------------------
inns web1 curl -sk --max-time 5 -o /dev/null "https://${V4[app1]}:8443/"
inns web1 curl -sk --max-time 5 -o /dev/null "https://[${V6[app1]}]:8443/"
inns app1 redis-cli -h "${V4[db1]}" ping >/dev/null
inns jump "${SSH[@]}" "root@${V4[web1]}" true
inns jump ping -c 2 -W 1 "${V4[db1]}" >/dev/null
# --- traffic: violations ----------------------------------------------------------
inns web1 "${SSH[@]}" "root@${V4[db1]}" true
inns web1 "${SSH[@]}" "root@${V6[db1]}" true
inns web1 redis-cli -h "${V4[db1]}" ping >/dev/null
inns web2 nmap -n -Pn -sS -p 22,80,443,6379,8443 --max-retries 0 "${V4[app1]}" >/dev/null

sleep 2   # past the 1 s judgement deadline, so the live sensors have judged every flow
kill -TERM "$LIVE" "$PORTS"
rc_live=0; wait "$LIVE" || rc_live=$?
rc_ports=0; wait "$PORTS" || rc_ports=$?
kill -TERM "${PIDS[0]}"; wait "${PIDS[0]}" || true
[ -n "${LAB_SAVE_PCAP:-}" ] && cp "$T/lab.pcap" "$LAB_SAVE_PCAP"

"$EW" replay --rules "$RULES" --sensor lab-replay "$T/lab.pcap" >"$T/replay.json" 2>"$T/replay.log"
"$EW" replay --rules "$RULES" --sensor lab-replay --workers 4 "$T/lab.pcap" >"$T/replay4.json" \
	2>"$T/replay4.log"

cat > "$T/expected.txt" <<EXP
default ${V4[web1]} ${V4[db1]} 6379
default ${V4[web2]} ${V4[app1]} 443
default ${V4[web2]} ${V4[app1]} 6379
default ${V4[web2]} ${V4[app1]} 80
ssh-between-servers ${V4[web1]} ${V4[db1]} 22
ssh-between-servers ${V4[web2]} ${V4[app1]} 22
ssh-between-servers ${V6[web1]} ${V6[db1]} 22
EXP

python3 - "$T" "$rc_live" "$rc_ports" <<'PY'
import json, sys
T, rc_live, rc_ports = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
REQUIRED = ["@timestamp", "event.kind", "event.action", "event.severity", "rule.name",
            "source.ip", "source.port", "destination.ip", "destination.port",
            "network.transport", "network.protocol", "eastwatch.severity",
            "eastwatch.app_source", "eastwatch.source_groups",
            "eastwatch.destination_groups", "observer.name", "observer.type"]

def get(o, path):
    for k in ([path] if path.startswith("@") else path.split(".")):
        o = o[k]
    return o

expected = sorted(open(f"{T}/expected.txt").read().split("\n"))
expected = [e for e in expected if e]
failed = 0
for name, rc in (("live", rc_live), ("ports", rc_ports), ("replay", 0)):
    alerts = [json.loads(l) for l in open(f"{T}/{name}.json") if l.strip()]
    for a in alerts:
        for f in REQUIRED:
            get(a, f)
    got = sorted({f"{a['rule']['name']} {a['source']['ip']} {a['destination']['ip']} "
                  f"{a['destination']['port']}" for a in alerts})
    ok = got == expected and rc == 0 and len(alerts) == len(got)
    if name == "live":
        ok = ok and all(a["observer"]["type"] == "iface" for a in alerts)
    print(f"lab {name}: exit {rc}, {len(alerts)} alerts, {'as expected' if ok else 'WRONG'}")
    if not ok:
        failed += 1
        print("  expected:", *expected, sep="\n    ")
        print("  got:", *got, sep="\n    ")
ssh = [a for a in (json.loads(l) for l in open(f"{T}/replay.json")) if a["rule"]["name"] == "ssh-between-servers" and a["destination"]["ip"] == "198.18.3.10"]
if not ssh or ssh[0]["eastwatch"]["app_source"] != "dpi" or ssh[0]["network"]["protocol"] != "ssh" or ssh[0]["event"]["severity"] != 90:
    print("lab: the SSH session was not identified by DPI as SSH with critical severity")
    failed += 1
# four workers say what one says, field for field (as a set: the owner takes their
# findings in time order, ties between workers in either order)
one = sorted(open(f"{T}/replay.json").read().splitlines())
four = sorted(open(f"{T}/replay4.json").read().splitlines())
print(f"lab replay --workers 4: {len(four)} alerts, {'the same as one worker' if one == four else 'DIFFERENT'}")
if one != four:
    failed += 1
print(f"{3 + 2 - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
status=$?
if [ $status -ne 0 ]; then
	for f in live.log ports.log replay.log replay4.log; do echo "--- $f"; tail -20 "$T/$f"; done
fi
exit $status
