#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The detectors lab: a switch and five hosts in network namespaces (198.18.0.0/15
# only), real servers (sshd, Samba's smbd, an FTP control server) and real clients
# (nmap, ssh, smbclient, curl). eastwatch run watches the bridge with a policy that
# allows everything but the scanners' subnet to db1, so every alert is a detector's:
#   scan1  nmap -sS of 100 ports on db1            -> one scan alert, vertical, with the
#          100 policy alerts of its denied probes folded into it (scanners-to-db)
#   scan2  nmap -sS of port 23 on four hosts        -> one scan alert, horizontal
#   jump   12 SSH logins to db1 that fail           -> one scan alert, repeated
#          FTP login with a password (curl)         -> risk: Clear-Text Credentials
#          smbclient -m NT1: a share listed over SMB1 -> risk: SMB Insecure Version
#   web1   one good SSH session, the same share over SMB3 -> nothing (a quiet host)
#
# usage: detectors_lab.sh EASTWATCH SOURCE_DIR     (as root)
set -euo pipefail
EW=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PY=/usr/bin/python3

if [ "$(id -u)" != 0 ]; then echo "detectors lab: needs root (network namespaces)"; exit 1; fi
for t in ip nsenter sshd ssh ssh-keygen nmap curl smbd smbclient; do
	command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || { echo "detectors lab: $t is not installed"; exit 1; }
done

P=ewd$$
T=$(mktemp -d /tmp/ew-det.XXXXXX)
chmod 755 "$T"
PIDS=()
NS=(sw web1 db1 jump scan1 scan2)
cleanup() {
	set +e
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for n in "${NS[@]}"; do ip netns del "$P-$n" 2>/dev/null; done
	[ -z "${LAB_KEEP:-}" ] && rm -rf "$T"
}
trap cleanup EXIT
net() { echo "--net=/run/netns/$P-$1"; }
inns() { local n=$1; shift; nsenter "$(net "$n")" -- "$@"; }

for n in "${NS[@]}"; do ip netns add "$P-$n"; ip -n "$P-$n" link set lo up; done
ip -n "$P-sw" link add br0 type bridge
ip -n "$P-sw" link set br0 up
declare -A V4=([web1]=198.18.1.11 [db1]=198.18.3.10 [jump]=198.18.9.5 [scan1]=198.18.5.66 [scan2]=198.18.5.67)
for h in web1 db1 jump scan1 scan2; do
	ip link add eth0 netns "$P-$h" type veth peer name "p-$h" netns "$P-sw"
	ip -n "$P-sw" link set "p-$h" master br0 up
	ip -n "$P-$h" addr add "${V4[$h]}/15" dev eth0
	ip -n "$P-$h" link set eth0 up
done

mkdir -p "$T/rules"
cat >"$T/rules/lab.yaml" <<EOF
# everything is allowed but the scanners' subnet to the database: the scanners' probes
# to db1 are violations, and the scan alert must fold them
groups:
  scanners: { members: [198.18.5.0/24] }
  db: { members: [198.18.3.10] }
deny:
  - { name: scanners-to-db, from: scanners, to: db }
default: { action: allow }
EOF
cat >"$T/eastwatch.yaml" <<EOF
sensor: { name: detectors-lab }
detectors:
  scan: { window: 60s, hosts: 4, ports: 20, attempts: 10, severity: high }
EOF
nsenter "$(net sw)" -- "$EW" run --config "$T/eastwatch.yaml" --rules "$T/rules" --iface br0 \
	--output "$T/alerts.json" --user nobody 2>"$T/sensor.log" &
SENSOR=$!
PIDS+=($SENSOR)

mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$T/id"
ssh-keygen -q -t ed25519 -N '' -f "$T/wrong"
cp "$T/id.pub" "$T/authorized_keys"
chmod 600 "$T/authorized_keys"
cat >"$T/sshd.conf" <<CONF
Port 22
ListenAddress 0.0.0.0
HostKey $T/hostkey
PidFile $T/sshd.pid
AuthorizedKeysFile $T/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
MaxStartups 100
CONF
nsenter "$(net db1)" -- /usr/sbin/sshd -D -f "$T/sshd.conf" -E "$T/sshd.log" &
PIDS+=($!)
nsenter "$(net db1)" -- $PY "$SRC/tests/integration/recv/ftp_server.py" "${V4[db1]}" 21 &
PIDS+=($!)
# Samba with SMB1 still allowed (as old file servers are), and one guest share
. "$SRC/tests/integration/samba.sh"
samba_conf "$T" "${V4[db1]}" "445"
# (in a session of its own: smbd signals its whole process group when it stops)
nsenter "$(net db1)" -- setsid smbd --foreground --no-process-group --configfile="$T/smb.conf" \
	>"$T/smbd.out" 2>&1 &
PIDS+=($!)
for s in "22" "21" "445"; do
	for i in $(seq 100); do
		inns db1 ss -ltn | grep -q ":$s " && break
		[ "$i" = 100 ] && { echo "detectors lab: nothing listens on db1:$s"; exit 1; }
		sleep 0.1
	done
done
for i in $(seq 150); do
	grep -q "running: sensor" "$T/sensor.log" 2>/dev/null && break
	[ "$i" = 150 ] && { echo "detectors lab: the sensor did not start"; cat "$T/sensor.log"; exit 1; }
	sleep 0.1
done
sleep 1

SSH=(ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
     -o ConnectTimeout=5 -o LogLevel=ERROR)
# the quiet host: one good session, and the share over SMB3
inns web1 "${SSH[@]}" -i "$T/id" "root@${V4[db1]}" true
inns web1 smbclient "//${V4[db1]}/pub" -N -m SMB3 -c ls >"$T/smb3.out" 2>&1 ||
	{ echo "detectors lab: smbclient over SMB3 failed:"; cat "$T/smb3.out"; exit 1; }
# scanners
inns scan1 nmap -n -Pn -sS -p 1-100 --max-retries 0 "${V4[db1]}" >/dev/null
inns scan2 nmap -n -Pn -sS -p 23 --max-retries 0 "${V4[web1]}" "${V4[db1]}" "${V4[jump]}" "${V4[scan1]}" >/dev/null
# password guessing over SSH
for i in $(seq 12); do
	inns jump "${SSH[@]}" -i "$T/wrong" "root@${V4[db1]}" true 2>/dev/null || true
done
# clear-text credentials
inns jump curl -s --max-time 5 -o /dev/null "ftp://admin:s3cret@${V4[db1]}/" || true
# SMB1
inns jump smbclient "//${V4[db1]}/pub" -N -m NT1 --option='client min protocol=NT1' -c ls \
	>"$T/smb1.out" 2>&1 || { echo "detectors lab: smbclient over SMB1 failed:"; cat "$T/smb1.out"; exit 1; }

sleep 5   # past the scan detector's 3 s settling time
kill -TERM "$SENSOR"
rc=0; wait "$SENSOR" || rc=$?

$PY - "$T/alerts.json" "$rc" <<'PY'
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rc = int(sys.argv[2])
got, folded = [], {}
for a in alerts:
    act, src = a["event"]["action"], a["source"]["ip"]
    if act == "scan":
        sc = a["eastwatch"]["scan"]
        got.append("scan %s %s" % (src, ",".join(sc["kind"])))
        folded[src] = sc["folded"]
    elif act == "risk":
        for r in a["eastwatch"]["risks"]:
            if r in ("Clear-Text Credentials", "SMB Insecure Version"):
                got.append("risk %s %s:%d %s" % (src, a["destination"]["ip"],
                                                 a["destination"]["port"], r))
        if not set(a["eastwatch"]["risks"]) & {"Clear-Text Credentials", "SMB Insecure Version"}:
            got.append("unexpected risk %s %s" % (src, a["eastwatch"]["risks"]))
    else:
        got.append("unexpected %s %s" % (act, a["message"]))
expected = sorted([
    "scan 198.18.5.66 vertical",
    "scan 198.18.5.67 horizontal",
    "scan 198.18.9.5 repeated",
    "risk 198.18.9.5 198.18.3.10:21 Clear-Text Credentials",
    "risk 198.18.9.5 198.18.3.10:445 SMB Insecure Version",
])
quiet = [a for a in alerts if "198.18.1.11" == a["source"]["ip"]]
# every denied probe is folded into its scanner's alert: 100 ports of db1, and db1's
# port 23 in the horizontal scan; none is sent as a policy alert of its own
want_folded = {"198.18.5.66": 100, "198.18.5.67": 1}
ok = (sorted(got) == expected and not quiet and rc == 0 and
      {k: v for k, v in folded.items() if k in want_folded} == want_folded)
print("%s detectors lab: exit %d, %d alerts: %s; folded %s" % ("ok  " if ok else "FAIL", rc,
      len(alerts), "; ".join(sorted(got)), folded))
if not ok:
    print("  expected:", *expected, sep="\n    ")
    for a in alerts:
        print("  ", a["message"])
sys.exit(0 if ok else 1)
PY
status=$?
[ $status -ne 0 ] && tail -20 "$T/sensor.log"
exit $status
