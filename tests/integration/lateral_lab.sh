#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The lateral-movement lab: the protocols attackers move with, between real Debian
# servers and their real clients in network namespaces (198.18.0.0/15 only):
#   slapd (simple bind on 389, SASL DIGEST-MD5 and CRAM-MD5 binds, StartTLS, the global
#   catalog port 3268, LDAPS on 636), Samba's smbd on
#   445 and 139 (SMB3 and SMB1), an MIT Kerberos KDC (kinit), MariaDB, PostgreSQL,
#   redis-server (RESP from redis-cli, inline commands from nc), telnetd (telnet), sshd,
#   xrdp (xfreerdp) and TigerVNC's Xvnc on display 7 (vncviewer; both clients under Xvfb);
# and, from the same client while those sessions run, nmap sweeping another host.
# The policy denies each protocol by name (apps:) from web to db, and denies web to app
# by default. While the traffic runs, eastwatch run watches the bridge; tcpdump records
# it. Then the recording is judged again by
#   - replay (packets), and replay of the recording without any SYN or SYN-ACK (every
#     session picked up after its handshake);
#   - the recording played live by tcpreplay onto a veth that a sensor watches (the same
#     alerts as the replay, field by field but for times);
#   - IPFIX, NetFlow v9 and v5 (softflowd) and sFlow (pmacctd's sfprobe, 1:1) exported
#     from the recording;
# and each must give: every protocol's deny rule once per service, and the scan as one
# scan alert whose probes fold, beside the sessions' own alerts. With packets, every
# flow of these protocols must also be named right by DPI (--flows).
#
# usage: lateral_lab.sh EASTWATCH SOURCE_DIR      (as root; LAB_KEEP=1 keeps its files)
set -eEuo pipefail
# a step that fails says which (set -e alone would end the lab without a word)
trap 'echo "lateral lab: line $LINENO failed (exit $?)"' ERR
EW=$(readlink -f "$1")
SRC=$(readlink -f "$2")

if [ "$(id -u)" != 0 ]; then echo "lateral lab: needs root (network namespaces)"; exit 1; fi
for t in ip nsenter tcpdump slapd ldapwhoami ldapsearch smbd smbclient krb5kdc kdb5_util kinit \
	 mariadbd mariadb redis-server redis-cli nc inetutils-inetd telnet sshd ssh nmap softflowd \
	 pmacctd editcap tshark tcpreplay xrdp xfreerdp Xvnc vncviewer xvfb-run python3; do
	command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || { echo "lateral lab: $t is not installed"; exit 1; }
done
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/postgres" ] || { echo "lateral lab: PostgreSQL is not installed"; exit 1; }

P=ewx$$
T=$(mktemp -d /tmp/ew-lateral.XXXXXX)
chmod 755 "$T"
PIDS=()
NS=(sw web1 app1 db1)

cleanup() {
	set +e
	trap - ERR
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	[ -n "${PGDATA:-}" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1
	for n in "${NS[@]}"; do ip netns del "$P-$n" 2>/dev/null; done
	if [ -z "${LAB_KEEP:-}" ]; then rm -rf "$T"; else echo "lateral lab: files in $T"; fi
}
trap cleanup EXIT
net() { echo "--net=/run/netns/$P-$1"; }
inns() { local n=$1; shift; nsenter "$(net "$n")" -- "$@"; }
wait_port() {   # wait_port HOST PORT [udp]
	for i in $(seq 150); do
		if inns "$1" ss -ltnu | grep -q "[:.]$2 "; then return 0; fi
		sleep 0.1
	done
	echo "lateral lab: nothing listens on $1:$2"; return 1
}

# --- the network ---------------------------------------------------------------
for n in "${NS[@]}"; do ip netns add "$P-$n"; ip -n "$P-$n" link set lo up; done
ip -n "$P-sw" link add br0 type bridge
ip -n "$P-sw" link set br0 up
declare -A V4=([web1]=198.18.1.11 [app1]=198.18.2.20 [db1]=198.18.3.10)
for h in web1 app1 db1; do
	ip link add eth0 netns "$P-$h" type veth peer name "p-$h" netns "$P-sw"
	ip -n "$P-sw" link set "p-$h" master br0 up
	ip -n "$P-$h" addr add "${V4[$h]}/15" dev eth0
	ip -n "$P-$h" link set eth0 up
done
DB=${V4[db1]}

mkdir -p "$T/rules"
cat >"$T/rules/lab.yaml" <<'YAML'
groups:
  web: { members: [198.18.1.0/24] }
  app: { members: [198.18.2.0/24] }
  db:  { members: [198.18.3.0/24] }
deny:
  - { name: no-ldap, from: web, to: db, apps: [LDAP], severity: critical }
  - { name: no-smb, from: web, to: db, apps: [SMBv1, SMBv23], severity: critical }
  - { name: no-kerberos, from: web, to: db, apps: [Kerberos], severity: high }
  - { name: no-mysql, from: web, to: db, apps: [MySQL], severity: high }
  - { name: no-postgres, from: web, to: db, apps: [PostgreSQL], severity: high }
  - { name: no-redis, from: web, to: db, apps: [Redis], severity: high }
  - { name: no-telnet, from: web, to: db, apps: [Telnet], severity: critical }
  - { name: no-ssh, from: web, to: db, apps: [SSH], severity: critical }
  - { name: no-rdp, from: web, to: db, apps: [RDP], severity: critical }
  - { name: no-vnc, from: web, to: db, apps: [VNC], severity: critical }
  - { name: web-to-app, from: web, to: app, severity: medium }
default: { action: allow }
YAML

# --- sensors --------------------------------------------------------------------
nsenter "$(net sw)" -- tcpdump -i br0 -U -s 0 -w "$T/lab.pcap" 2>"$T/tcpdump.log" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
nsenter "$(net sw)" -- "$EW" run --rules "$T/rules" --iface br0 --sensor lateral-span \
	--output "$T/live.json" --user root 2>"$T/live.log" &
LIVE=$!
PIDS+=($LIVE)

# --- servers on db1 -------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-subj /CN=db1.lab -keyout "$T/tls.key" -out "$T/tls.crt" 2>/dev/null
chmod 644 "$T/tls.key"
# slapd: a directory with its administrator; 389 and the global catalog's 3268
mkdir -p "$T/ldapdb"
cat >"$T/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $T/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
sasl-secprops none
authz-regexp uid=([^,]*),cn=[^,]*,cn=auth ldap:///dc=lab??sub?(uid=\$1)
TLSCertificateFile $T/tls.crt
TLSCertificateKeyFile $T/tls.key
database mdb
suffix "dc=lab"
rootdn "cn=admin,dc=lab"
rootpw secret
directory $T/ldapdb
CONF
nsenter "$(net db1)" -- slapd -d 0 -f "$T/slapd.conf" -h "ldap://$DB:389/ ldap://$DB:3268/ ldaps://$DB:636/" \
	>"$T/slapd.log" 2>&1 &
PIDS+=($!)
# Samba: SMB1 allowed, on 445 and 139
. "$SRC/tests/integration/samba.sh"
samba_conf "$T" "$DB" "445 139"
nsenter "$(net db1)" -- setsid smbd --foreground --no-process-group --configfile="$T/smb.conf" \
	>"$T/smbd.out" 2>&1 &
PIDS+=($!)
# MIT Kerberos: realm LAB.TEST with one user
cat >"$T/krb5.conf" <<CONF
[libdefaults]
  default_realm = LAB.TEST
  dns_lookup_kdc = false
  dns_lookup_realm = false
  udp_preference_limit = 1
[realms]
  LAB.TEST = {
    kdc = $DB:88
  }
CONF
cat >"$T/kdc.conf" <<CONF
[realms]
  LAB.TEST = {
    database_name = $T/krb5/principal
    key_stash_file = $T/krb5/stash
    kdc_listen = $DB:88
    kdc_tcp_listen = $DB:88
  }
CONF
mkdir -p "$T/krb5"
export KRB5_CONFIG=$T/krb5.conf KRB5_KDC_PROFILE=$T/kdc.conf
kdb5_util create -s -P masterpass -r LAB.TEST >/dev/null 2>&1
kadmin.local -q "addprinc -pw userpass alice" >/dev/null 2>&1
nsenter "$(net db1)" -- krb5kdc -n >"$T/kdc.log" 2>&1 &
PIDS+=($!)
# MariaDB
mkdir -p "$T/mysql"
chown mysql: "$T/mysql"
mariadb-install-db --user=mysql --datadir="$T/mysql" >/dev/null 2>&1
nsenter "$(net db1)" -- mariadbd --user=mysql --datadir="$T/mysql" --bind-address="$DB" \
	--port=3306 --socket="$T/mysql/mysql.sock" --pid-file="$T/mysql/mysql.pid" \
	>"$T/mariadb.log" 2>&1 &
PIDS+=($!)
# PostgreSQL
PGDATA=$T/pg
mkdir -p "$PGDATA"
chown postgres: "$PGDATA"
runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -A trust >/dev/null 2>&1
echo "host all all 198.18.0.0/15 trust" >>"$PGDATA/pg_hba.conf"
nsenter "$(net db1)" -- runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/pg.log" \
	-o "-c listen_addresses=$DB -c unix_socket_directories=$PGDATA -c ssl=off" start >/dev/null
# Redis, telnetd (inetd), sshd
nsenter "$(net db1)" -- redis-server --port 6379 --bind "$DB" --protected-mode no --save '' \
	--appendonly no --dir "$T" >"$T/redis.log" 2>&1 &
PIDS+=($!)
echo "telnet stream tcp nowait root /usr/sbin/telnetd telnetd" >"$T/inetd.conf"
nsenter "$(net db1)" -- inetutils-inetd -d "$T/inetd.conf" >"$T/inetd.log" 2>&1 &
PIDS+=($!)
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$T/id"
cp "$T/id.pub" "$T/authorized_keys"
chmod 600 "$T/authorized_keys"
cat >"$T/sshd.conf" <<CONF
Port 22
ListenAddress $DB
HostKey $T/hostkey
PidFile $T/sshd.pid
AuthorizedKeysFile $T/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
UseDNS no
CONF
nsenter "$(net db1)" -- /usr/sbin/sshd -D -f "$T/sshd.conf" -E "$T/sshd.log" &
PIDS+=($!)

# xrdp (its default configuration: port 3389) and Xvnc on display 7 (port 5907)
rm -f /run/xrdp/xrdp.pid /var/run/xrdp.pid
nsenter "$(net db1)" -- xrdp --nodaemon >"$T/xrdp.log" 2>&1 &
PIDS+=($!)
nsenter "$(net db1)" -- Xvnc :7 -rfbport 5907 -SecurityTypes None -interface "$DB" \
	-nolisten tcp >"$T/xvnc.log" 2>&1 &
PIDS+=($!)

for p in 389 3268 636 445 139 88 3306 5432 6379 23 22 3389 5907; do wait_port db1 "$p"; done
mariadb --socket="$T/mysql/mysql.sock" -u root \
	-e "CREATE USER 'app'@'%' IDENTIFIED BY 'pw'; GRANT SELECT ON *.* TO 'app'@'%';"
for i in $(seq 150); do
	grep -q "running: sensor" "$T/live.log" 2>/dev/null && break
	[ "$i" = 150 ] && { echo "lateral lab: the sensor did not start"; cat "$T/live.log"; exit 1; }
	sleep 0.1
done
sleep 1

# --- traffic from web1: a real client of each ----------------------------------
W() { inns web1 "$@"; }
W ldapwhoami -x -H "ldap://$DB" -D cn=admin,dc=lab -w secret >"$T/ldap1.out"
printf 'dn: dc=lab\nobjectClass: dcObject\nobjectClass: organization\no: lab\ndc: lab\n\ndn: uid=alice,dc=lab\nobjectClass: inetOrgPerson\nuid: alice\ncn: alice\nsn: a\nuserPassword: alicepw\n' |
	W ldapadd -x -H "ldap://$DB" -D cn=admin,dc=lab -w secret >/dev/null
W ldapwhoami -Y DIGEST-MD5 -U alice -w alicepw -O maxssf=0 -H "ldap://$DB" >"$T/ldap4.out" 2>&1
W ldapwhoami -Y CRAM-MD5 -U alice -w alicepw -H "ldap://$DB" >"$T/ldap5.out" 2>&1
LDAPTLS_REQCERT=never W ldapwhoami -x -ZZ -H "ldap://$DB" -D cn=admin,dc=lab -w secret >"$T/ldap2.out"
W ldapsearch -x -H "ldap://$DB:3268" -b "" -s base namingContexts >"$T/ldap3.out"
LDAPTLS_REQCERT=never W ldapwhoami -x -H "ldaps://$DB" -D cn=admin,dc=lab -w secret >"$T/ldap6.out"
W smbclient "//$DB/pub" -N -m SMB3 -c ls >"$T/smb3.out" 2>&1
W smbclient "//$DB/pub" -N -p 139 -m NT1 --option='client min protocol=NT1' -c ls >"$T/smb1.out" 2>&1
echo userpass | W env KRB5_CONFIG="$T/krb5.conf" KRB5CCNAME="FILE:$T/cc" kinit alice >"$T/kinit.out" 2>&1
W mariadb -h "$DB" -u app -ppw --skip-ssl --connect-timeout=5 -e 'select version()' >"$T/mysql.out" 2>&1
W env PGCONNECT_TIMEOUT=5 "$PGBIN/psql" -h "$DB" -U postgres -c 'select 1' >"$T/psql.out" 2>&1
W redis-cli -h "$DB" set k v >"$T/redis1.out"
printf 'PING\r\nINFO server\r\nQUIT\r\n' | W nc -q 1 -w 5 "$DB" 6379 >"$T/redis2.out"
(sleep 1; printf 'root\r\n'; sleep 1) | W telnet "$DB" >"$T/telnet.out" 2>&1 || true
W timeout 20 xvfb-run -a xfreerdp "/v:$DB" /u:alice /p:wrong /cert:ignore +auth-only \
	>"$T/rdp.out" 2>&1 || true
W timeout 6 xvfb-run -a vncviewer "$DB::5907" >"$T/vnc.out" 2>&1 || true
W ssh -i "$T/id" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	-o ConnectTimeout=5 -o LogLevel=ERROR "root@$DB" true
# a scan of app1 while a real session runs to db1 (SPEC 4: only probes fold)
W nmap -n -Pn -sS -p 1-200 --max-retries 0 "${V4[app1]}" >/dev/null &
NMAP=$!
W redis-cli -h "$DB" get k >"$T/redis3.out"
wait "$NMAP"

sleep 5   # past the hold and the scanner's quiet time
kill -TERM "$LIVE"
rc_live=0; wait "$LIVE" || rc_live=$?
kill -TERM "$TCPDUMP"; wait "$TCPDUMP" || true
grep -q "dn:cn=admin,dc=lab" "$T/ldap1.out" && grep -q "dn:cn=admin,dc=lab" "$T/ldap2.out" &&
	grep -q "namingContexts: dc=lab" "$T/ldap3.out" && grep -q readme "$T/smb3.out" &&
	grep -q "dn:uid=alice,dc=lab" "$T/ldap4.out" && grep -q "dn:uid=alice,dc=lab" "$T/ldap5.out" &&
	grep -q "dn:cn=admin,dc=lab" "$T/ldap6.out" &&
	grep -q readme "$T/smb1.out" && grep -q OK "$T/redis1.out" && grep -q PONG "$T/redis2.out" &&
	grep -q MariaDB "$T/mysql.out" && grep -q "1 row" "$T/psql.out" && [ -s "$T/cc" ] ||
	{ echo "lateral lab: a client failed"; tail -n 3 "$T"/*.out; exit 1; }

# --- the same traffic: replayed, picked up mid-session, exported -----------------
"$EW" replay --rules "$T/rules" --sensor lateral-replay --flows "$T/flows.json" "$T/lab.pcap" \
	>"$T/replay.json" 2>"$T/replay.log"
tshark -r "$T/lab.pcap" -Y 'not (tcp.flags.syn == 1)' -w "$T/midsession.pcap" 2>/dev/null
"$EW" replay --rules "$T/rules" --sensor lateral-mid --flows "$T/midflows.json" "$T/midsession.pcap" \
	>"$T/mid.json" 2>"$T/mid.log"
# played live: tcpreplay sends the recording, at its own pace, into a veth whose other
# end a sensor watches
ip netns add "$P-tap"
NS+=(tap)
ip -n "$P-tap" link add rp0 type veth peer name rp1
ip -n "$P-tap" link set rp0 up
ip -n "$P-tap" link set rp1 up
nsenter "$(net tap)" -- "$EW" run --rules "$T/rules" --iface rp1 --sensor lateral-tcpreplay \
	--output "$T/tcpreplay.json" --user root 2>"$T/tcpreplay.log" &
TR=$!
PIDS+=($TR)
for _ in $(seq 150); do grep -q "running: sensor" "$T/tcpreplay.log" 2>/dev/null && break; sleep 0.1; done
inns tap tcpreplay -q -i rp0 "$T/lab.pcap" >"$T/tcpreplay.out" 2>&1
sleep 4
kill -TERM "$TR"
wait "$TR" || echo "lateral lab: the tcpreplay sensor exited $?"
tele() {   # tele NAME KIND EXPORTER...
	local name=$1 kind=$2 port=$((20000 + RANDOM % 10000))
	shift 2
	# stdout not inherited and the sensor killed at exit: a sensor left behind by a
	# failed step would keep ctest's pipe open until the test's timeout
	"$EW" run --rules "$T/rules" "--$kind" "127.0.0.1:$port" --sensor "lateral-$name" \
		--output "$T/$name.json" --user root >/dev/null 2>"$T/$name.log" &
	local pid=$!
	PIDS+=("$pid")
	for _ in $(seq 150); do grep -q "running: sensor" "$T/$name.log" 2>/dev/null && break; sleep 0.1; done
	"${@//PORT/$port}" >"$T/$name-exporter.log" 2>&1 ||
		echo "lateral lab: the $name exporter exited $? (its alerts are checked below)"
	sleep 3
	kill -TERM "$pid"
	wait "$pid" || echo "lateral lab: $name exited $?"
}
tele ipfix ipfix softflowd -d -r "$T/lab.pcap" -n 127.0.0.1:PORT -v 10 -p "$T/sf.pid"
tele netflow9 netflow softflowd -d -r "$T/lab.pcap" -n 127.0.0.1:PORT -v 9 -p "$T/sf.pid"
tele netflow5 netflow softflowd -d -r "$T/lab.pcap" -n 127.0.0.1:PORT -v 5 -p "$T/sf.pid"
sflow_case() {
	printf 'daemonize: false\npcap_savefile: %s\npcap_savefile_wait: true\nplugins: sfprobe[sf]\nsfprobe_receiver[sf]: 127.0.0.1:%s\nsfprobe_agentip[sf]: 127.0.0.1\nsampling_rate[sf]: 1\n' \
		"$T/lab.pcap" "$1" >"$T/pm.conf"
	pmacctd -f "$T/pm.conf" &
	local pm=$!
	sleep 5
	kill -INT "$pm"
	# its status after SIGINT varies from run to run (its plugin may go first): what
	# it sent is judged by the alerts
	wait "$pm" || true
}
tele sflow sflow sflow_case PORT

python3 - "$T" "$rc_live" <<'PY'
import json, sys
T, rc_live = sys.argv[1], int(sys.argv[2])
DB, WEB, APP = "198.18.3.10", "198.18.1.11", "198.18.2.20"
# (rule, destination port): each once per source kind
EXPECTED = {("no-ldap", 389), ("no-ldap", 3268), ("no-ldap", 636), ("no-smb", 445),
            ("no-smb", 139),
            ("no-kerberos", 88), ("no-mysql", 3306), ("no-postgres", 5432),
            ("no-redis", 6379), ("no-telnet", 23), ("no-ssh", 22), ("no-rdp", 3389),
            ("no-vnc", 5907)}
# the application each protocol's flows must have (packets: DPI; by name)
# LDAPS is TLS to DPI (nDPI 4.2 has no LDAPS): the port's LDAP makes the deny rule hold
NAMES = {389: {"LDAP"}, 3268: {"LDAP"}, 636: {"TLS"}, 445: {"SMBv23", "NetBIOS.SMBv23"},
         139: {"SMBv1", "NetBIOS.SMBv1"}, 88: {"Kerberos"}, 3306: {"MySQL"},
         5432: {"PostgreSQL"}, 6379: {"Redis"}, 23: {"Telnet"}, 22: {"SSH"}, 3389: {"RDP"},
         5907: {"VNC"}}

def load(name):
    return [json.loads(l) for l in open(f"{T}/{name}") if l.strip()]

failed = passed = 0
def check(ok, what):
    global failed, passed
    if ok:
        passed += 1
        print("ok", what)
    else:
        failed += 1
        print("FAIL", what)

for name, kind in (("live.json", "iface"), ("replay.json", "pcap"), ("mid.json", "pcap"),
                   ("tcpreplay.json", "iface"), ("ipfix.json", "ipfix"),
                   ("netflow9.json", "netflow"), ("netflow5.json", "netflow"),
                   ("sflow.json", "sflow")):
    alerts = load(name)
    pol = [a for a in alerts if a["event"]["action"] == "policy-violation"
           and a["destination"]["ip"] == DB]
    got = sorted((a["rule"]["name"], a["destination"]["port"]) for a in pol)
    check(sorted(EXPECTED) == got,
          f"{name}: each protocol's deny rule once per service ({len(got)} alerts)")
    if sorted(EXPECTED) != got:
        print("   missing:", sorted(EXPECTED - set(got)))
        print("   extra:  ", [g for g in got if g not in EXPECTED or got.count(g) > 1])
    scans = [a for a in alerts if a["event"]["action"] == "scan" and a["source"]["ip"] == WEB]
    to_app = [a for a in alerts if a["event"]["action"] == "policy-violation"
              and a["destination"]["ip"] == APP]
    check(len(scans) == 1 and scans[0]["eastwatch"]["scan"]["folded"] > 0 and len(to_app) == 0,
          f"{name}: the scan of app1 is one scan alert with its probes folded "
          f"({len(scans)} scan alerts, {len(to_app)} unfolded probe alerts)")
    if scans:
        t = scans[0]["eastwatch"]["scan"].get("targets", [])
        check(any(x["ip"] == APP and x["folded"] > 0 for x in t),
              f"{name}: the scan alert names the host it probed with what it folded")
    check(all(a["observer"]["type"] == kind for a in alerts), f"{name}: observer.type {kind}")
for fname, what in (("flows.json", "replay"), ("midflows.json", "picked up mid-session")):
    bad = []
    for f in load(fname):
        if f["source"]["ip"] != WEB or f["destination"]["ip"] != DB:
            continue
        port = f["destination"]["port"]
        if port in NAMES and f["eastwatch"]["app"] not in NAMES[port]:
            if f["source"]["packets"] + f["destination"]["packets"] > 2:
                bad.append((port, f["eastwatch"]["app"], f["eastwatch"]["app_source"]))
    check(not bad, f"{what}: every flow of the protocols named right by DPI {bad if bad else ''}")
# replay of the recording and the recording played live (tcpreplay): the same alerts,
# field by field, but for the times (and the ids made from them) and the sensor
def same(a):
    a = json.loads(json.dumps(a))
    del a["@timestamp"]
    a["observer"].pop("name")
    a["observer"].pop("type")
    for k in ("alert_id", "flow_start"):
        a["eastwatch"].pop(k, None)
    a["event"].pop("id", None)      # the alert id again (ECS event.id)
    if "scan" in a["eastwatch"]:
        a["eastwatch"]["scan"].pop("duration_ms")
        a["message"] = a["message"].split(" in ")[0]
    return json.dumps(a, sort_keys=True)
r = sorted(same(a) for a in load("replay.json"))
t = sorted(same(a) for a in load("tcpreplay.json"))
check(r == t and len(r) > 0, f"replay and tcpreplay played live: {len(r)} and {len(t)} alerts, "
      "the same field by field apart from times")
if r != t:
    for x in sorted(set(r) ^ set(t))[:6]:
        print("   ", "replay  " if x in r else "live    ", x[:400])
check(rc_live == 0, "run exits 0 on SIGTERM")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
status=$?
if [ $status -ne 0 ]; then
	for f in live.log replay.log ipfix.log sflow.log; do echo "--- $f"; tail -5 "$T/$f"; done
fi
exit $status
