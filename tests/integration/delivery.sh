#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Alert delivery against real receivers started here, on loopback:
#   Kafka     librdkafka's mock cluster (3 brokers), read back with kcat
#   syslog    rsyslog over TCP (RFC 5424, octet counting, JSON body) and over TLS (CEF),
#             with a CA and certificates made here
#   e-mail    aiosmtpd with STARTTLS required
#   webhook   an HTTP receiver that verifies X-Eastwatch-Signature
# A steady stream of violations (NetFlow v5 records, one distinct violation each) goes to
# `eastwatch run`; every receiver is stopped for 30 s mid-stream and restarted, and
# eastwatch is stopped with SIGTERM mid-stream and started again on the same spool. The
# file sink is the record of every alert raised: each receiver must have every one of
# them at least once, and copies must share the alert_id.
# Then: `eastwatch alerter` consumes the topic as a group and delivers it again; a receiver
# that takes 5 s per request does not hold up the file sink (the packet path); anonymous
# TLS, a certificate for another name and a server without STARTTLS are refused; a secret
# file readable by others is refused without showing the secret; three sensors sharing
# their throttle through redis-server raise each incident once.
# usage: delivery.sh EASTWATCH SOURCE_DIR KAFKA_MOCK [OUTAGE_SECONDS]
#   CHAOS_ROUNDS=N   SIGKILL rounds of the chaos phase (default 3)
set -uo pipefail
EW=$1
SRC=$2
MOCK=$3
OUTAGE=${4:-30}
PY=/usr/bin/python3      # Debian's, with python3-aiosmtpd
T=$(mktemp -d)
chmod 755 "$T"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "${EWPID:-}" ] && kill "$EWPID" 2>/dev/null
	exec 7>&- 2>/dev/null
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "delivery: kept $T" || rm -rf "$T"
}
trap cleanup EXIT
for t in rsyslogd kcat openssl redis-server redis-cli; do
	command -v "$t" >/dev/null || { echo "delivery: $t is not installed"; exit 1; }
done
$PY -c 'import aiosmtpd' || { echo "delivery: python3-aiosmtpd is not installed"; exit 1; }
RECV=$SRC/tests/integration/recv
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

base=$((10000 + RANDOM % 20000))
P_TCP=$base P_TLS=$((base + 1)) P_SMTP=$((base + 2)) P_HOOK=$((base + 3)) P_NF=$((base + 4))
P_ANON=$((base + 5)) P_PLAIN=$((base + 6)) P_SLOW=$((base + 7)) P_NF2=$((base + 8))

# --- certificates: a CA, and a server certificate for localhost / 127.0.0.1
(
	cd "$T" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
		-subj /CN=eastwatch-test-ca
	openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		-out server.pem -days 2 -extfile san.ext
	chmod 644 server.key
) >"$T/openssl.log" 2>&1 || { echo "delivery: openssl failed"; cat "$T/openssl.log"; exit 1; }
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/hook.key"
chmod 600 "$T/hook.key"

# --- receivers
rsyslog_conf() {   # NAME PORT TLS(0/1)
	mkdir -p "$T/rs-$1"
	{
		echo "global(workDirectory=\"$T/rs-$1\" maxMessageSize=\"64k\""
		[ "$3" = 1 ] && echo " defaultNetstreamDriverCAFile=\"$T/ca.pem\"
 defaultNetstreamDriverCertFile=\"$T/server.pem\" defaultNetstreamDriverKeyFile=\"$T/server.key\""
		echo ")"
		if [ "$3" = 1 ]; then
			echo "module(load=\"imtcp\" StreamDriver.Name=\"ossl\" StreamDriver.Mode=\"1\" StreamDriver.AuthMode=\"anon\")"
		else
			echo "module(load=\"imtcp\")"
		fi
		echo "input(type=\"imtcp\" port=\"$2\" address=\"127.0.0.1\")"
		echo "template(name=\"t\" type=\"string\" string=\"%pri%|%msgid%|%structured-data%|%msg%\\n\")"
		echo "*.* action(type=\"omfile\" file=\"$T/$1.log\" template=\"t\")"
	} >"$T/rs-$1.conf"
}
rsyslog_conf tcp "$P_TCP" 0
rsyslog_conf tls "$P_TLS" 1
start_rsyslog() {
	rm -f "$T/rs-$1.pid"
	rsyslogd -n -f "$T/rs-$1.conf" -i "$T/rs-$1.pid" >>"$T/rs-$1.out" 2>&1 &
	eval "RS_$1=$!"
	pids+=($!)
}
wait_port() {
	for _ in $(seq 100); do
		(exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "delivery: nothing listens on $1"
	return 1
}
start_smtp() {
	$PY "$RECV/smtp_receiver.py" "$P_SMTP" "$T/mail" --starttls "$T/server.pem" "$T/server.key" \
		>>"$T/smtp.out" 2>&1 &
	SMTP=$!
	pids+=($!)
}
start_hook() {
	$PY "$RECV/webhook_receiver.py" "$P_HOOK" "$T/hook.key" "$T/hook.out" >>"$T/hook.log" 2>&1 &
	HOOK=$!
	pids+=($!)
}
start_all() {
	start_rsyslog tcp
	start_rsyslog tls
	start_smtp
	start_hook
	wait_port "$P_TCP" && wait_port "$P_TLS" && wait_port "$P_SMTP" && wait_port "$P_HOOK"
}
stop_all() {
	kill "$RS_tcp" "$RS_tls" "$SMTP" "$HOOK" 2>/dev/null
	wait "$RS_tcp" "$RS_tls" "$SMTP" "$HOOK" 2>/dev/null
}

mkfifo "$T/mockctl"
"$MOCK" 3 eastwatch.alerts:4 eastwatch.flows:2 flowtest.alerts:1 <"$T/mockctl" >"$T/mock.out" 2>"$T/mock.err" &
pids+=($!)
exec 7>"$T/mockctl"
for _ in $(seq 50); do grep -q bootstrap "$T/mock.out" && break; sleep 0.1; done
BROKERS=$(awk '/^bootstrap/ {print $2}' "$T/mock.out")
[ -n "$BROKERS" ] || { echo "delivery: the Kafka mock cluster did not start"; exit 1; }
mock() { echo "$1" >&7; }
start_all || exit 1

# --- flow records to Kafka (flows_topic): the --flows file's records, keyed by initiator
printf 'spool_dir: %s\nsinks:\n  - { type: kafka, brokers: "%s", topic: flowtest.alerts, flows_topic: eastwatch.flows }\n' \
	"$T/spool-flows" "$BROKERS" >"$T/flows.yaml"
"$EW" replay -q --config "$T/flows.yaml" --rules "$SRC/rules.d" -o /dev/null --flows "$T/flows.json" \
	"$SRC/tests/data/sample.pcap" 2>"$T/flows.log"
kcat -C -b "$BROKERS" -t eastwatch.flows -e -o beginning -q -f '%k\t%s\n' >"$T/flows-topic.out" 2>/dev/null
cmp -s <(sort "$T/flows.json") <(cut -f2 "$T/flows-topic.out" | sort) &&
	[ "$(cut -f1 "$T/flows-topic.out" | sort -u | wc -l)" -ge 5 ] &&
	ok "flows_topic: the $(wc -l <"$T/flows.json") flow records with their verdicts, keyed by initiator" ||
	bad "flows_topic: $(wc -l <"$T/flows-topic.out") records on the topic, $(wc -l <"$T/flows.json") in the file"

# One produce request in flight per broker connection: the mock cluster checks the
# sequence numbers of transactional producers only, so with several requests in flight
# an injected error followed by a success makes librdkafka take the failed request's
# messages as written (its "implicit ack"), which a real broker would have refused with
# OUT_OF_ORDER_SEQUENCE_NUMBER. Lost alerts here would be the mock's, not eastwatch's.
cat >"$T/eastwatch.yaml" <<EOF
sensor: { name: delivery-test }
spool_dir: $T/spool
sinks:
  - { type: file, path: $T/alerts.json }
  - { type: kafka, brokers: "$BROKERS", delivery_timeout: 5s, retry_max: 2s,
      options: { max.in.flight.requests.per.connection: "1" } }
  - { type: syslog, name: syslog-tcp, address: "127.0.0.1:$P_TCP", transport: tcp,
      retry_max: 2s }
  - { type: syslog, name: syslog-tls, address: "localhost:$P_TLS", transport: tls, format: cef,
      ca_file: $T/ca.pem, retry_max: 2s }
  - { type: webhook, url: "http://127.0.0.1:$P_HOOK/eastwatch", secret_file: $T/hook.key,
      concurrency: 8, retry_max: 2s }
  - { type: email, url: "smtp://127.0.0.1:$P_SMTP", from: eastwatch@example.org,
      to: [secops@example.org], ca_file: $T/ca.pem, digest_interval: 2s,
      max_per_minute: 60, retry_max: 2s }
EOF
"$EW" check --rules "$SRC/rules.d" --config "$T/eastwatch.yaml" >"$T/check.out" 2>&1 &&
	ok "check accepts the delivery configuration" ||
	{ bad "check: $(cat "$T/check.out")"; }

ready() {
	for _ in $(seq 150); do
		grep -q "running: sensor" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "delivery: the daemon did not start:"; cat "$1"
	return 1
}
start_ew() {   # LOG NF_PORT [CONFIG]
	"$EW" run --config "${3:-$T/eastwatch.yaml}" --rules "$SRC/rules.d" --ipfix "127.0.0.1:$2" \
		--user root 2>>"$1" &
	EWPID=$!
	ready "$1"
}
stop_ew() {
	kill -TERM "$EWPID"
	wait "$EWPID"
	local rc=$?
	EWPID=
	return $rc
}

# --- the stream, the outage, the restart
RATE=40
ROUNDS=${CHAOS_ROUNDS:-3}     # bench/chaos.sh runs many more
DUR=$((OUTAGE + 40 + ROUNDS * 6))
start_ew "$T/run1.log" "$P_NF" || exit 1
$PY "$RECV/nf5_stream.py" 127.0.0.1 "$P_NF" "$RATE" "$DUR" >"$T/stream.out" &
STREAM=$!
sleep 2
mock "produce-errors 40"   # Kafka answers produce requests with errors for a while
sleep 3
echo "     receivers down for $OUTAGE s"
mock "down 1"; mock "down 2"; mock "down 3"
stop_all
sleep "$OUTAGE"
mock "up 1"; mock "up 2"; mock "up 3"
start_all || exit 1
sleep 2
# librdkafka reconnects with a backoff of up to 10 s: the error must meet a produce request
for _ in $(seq 60); do
	grep -q "sink kafka: delivering again" "$T/run1.log" && break
	sleep 0.5
done
mock "fatal-error"   # the idempotent producer's fatal error: it must be replaced
echo "     receivers back; a fatal Kafka producer error; eastwatch stopped with SIGTERM and started again"
sleep 3
stop_ew && ok "run exits 0 on SIGTERM mid-stream" || bad "run exit status on SIGTERM"
grep -q "kafka: producer replaced" "$T/run1.log" &&
	ok "kafka: the producer that met a fatal error was replaced" ||
	bad "kafka: no producer replaced after the fatal error: $(grep -i fatal "$T/run1.log" | head -3)"
grep -q "spooled\|waiting in" "$T/run1.log" && ok "alerts were spooled during the outage" ||
	bad "nothing was spooled during the outage: $(tail -5 "$T/run1.log")"
start_ew "$T/run2.log" "$P_NF" || exit 1

# --- chaos: a receiver stopped at random, the daemon SIGKILLed at a random moment and
# started again on the same spools, three times over; the check below wants every alert
# the file sink wrote (written as each is decided) at every receiver at least once
rnd() { awk -v r="$RANDOM" -v lo="$1" -v hi="$2" 'BEGIN { printf "%.1f", lo + (r % 1000) / 1000 * (hi - lo) }'; }
kills=0
for round in $(seq "$ROUNDS"); do
	sleep "$(rnd 1 3)"
	down=$((RANDOM % 4))
	case $down in
	0) kill "$RS_tcp"; wait "$RS_tcp" 2>/dev/null ;;
	1) kill "$HOOK"; wait "$HOOK" 2>/dev/null ;;
	2) kill "$SMTP"; wait "$SMTP" 2>/dev/null ;;
	3) mock "down 1"; mock "down 2"; mock "down 3" ;;
	esac
	sleep "$(rnd 0.3 2.5)"
	kill -KILL "$EWPID"
	wait "$EWPID" 2>/dev/null
	kills=$((kills + 1))
	start_ew "$T/run2.log" "$P_NF" || exit 1
	sleep "$(rnd 0.5 2)"
	case $down in
	0) start_rsyslog tcp; wait_port "$P_TCP" ;;
	1) start_hook; wait_port "$P_HOOK" ;;
	2) start_smtp; wait_port "$P_SMTP" ;;
	3) mock "up 1"; mock "up 2"; mock "up 3" ;;
	esac
done
echo "     chaos: $kills SIGKILLs, each with a receiver down"
wait "$STREAM"
sleep 3
stop_ew && ok "run exits 0 on SIGTERM at the end" || bad "second run exit status"
start_ew "$T/run3.log" "$P_NF" || exit 1   # whatever is still spooled goes now
for _ in $(seq 120); do     # until every spool is empty (a spool delivered is truncated)
	[ -z "$(find "$T/spool" -name '*.spool' -size +0c)" ] && break
	sleep 0.5
done
sleep 1
stop_ew

# --- every alert of the file sink at every receiver
kcat -C -b "$BROKERS" -t eastwatch.alerts -e -o beginning -q -f '%k\t%s\n' \
	>"$T/kafka.out" 2>"$T/kcat.err"
for _ in $(seq 60); do
	n=$(wc -l <"$T/alerts.json")
	[ "$(wc -l <"$T/hook.out" 2>/dev/null || echo 0)" -ge "$n" ] && break
	sleep 0.5
done
$PY - "$T" <<'EOF'
import base64, email, glob, json, re, sys
from collections import Counter
T = sys.argv[1]
want = {}
for l in open(T + "/alerts.json"):
    a = json.loads(l)
    want[a["eastwatch"]["alert_id"]] = a
def report(name, ids, bodies=None):
    c = Counter(ids)
    missing = set(want) - set(c)
    dups = sum(v - 1 for v in c.values() if v > 1)
    extra = set(c) - set(want)
    status = "ok  " if not missing and not extra else "FAIL"
    print("%s %s: %d of %d alerts arrived (%d duplicates, %d unknown)"
          % (status, name, len(set(want) & set(c)), len(want), dups, len(extra)))
    # copies of one alert are the same alert
    if bodies:
        for i, b in bodies.items():
            if len(b) > 1 and len(set(b)) > 1:
                print("FAIL %s: copies of %s differ" % (name, i))
                return 1
    return 0 if status.startswith("ok") else 1
rc = 0
ids, bodies = [], {}
for l in open(T + "/kafka.out"):
    key, js = l.rstrip("\n").split("\t", 1)
    a = json.loads(js)
    assert key == a["source"]["ip"], "kafka key is not the source address"
    ids.append(a["eastwatch"]["alert_id"])
    bodies.setdefault(ids[-1], []).append(js)
rc |= report("kafka", ids, bodies)
ids = []
for l in open(T + "/tcp.log"):
    pri, msgid, sd, msg = l.rstrip("\n").split("|", 3)
    a = json.loads(msg)
    m = re.search(r'alert_id="([0-9a-f]{16})"', sd)
    assert m and m.group(1) == a["eastwatch"]["alert_id"], "SD alert_id"
    assert msgid == "policy-violation" and pri == str(16 * 8 + 3), (pri, msgid)
    ids.append(m.group(1))
rc |= report("syslog tcp (RFC 5424, JSON)", ids)
ids = []
for l in open(T + "/tls.log"):
    m = re.search(r"CEF:0\|eastwatch\|eastwatch\|[^|]*\|default\|.*externalId=([0-9a-f]{16})", l)
    if m:
        ids.append(m.group(1))
rc |= report("syslog tls (CEF)", ids)
ids = [json.loads(l)["eastwatch"]["alert_id"] for l in open(T + "/hook.out")]
rc |= report("webhook (signed)", ids)
ids, mails = [], 0
for f in sorted(glob.glob(T + "/mail/*.eml")):
    mails += 1
    m = email.message_from_bytes(open(f, "rb").read())
    assert m["Subject"].startswith("[eastwatch] HIGH"), m["Subject"]
    for part in m.walk():
        if part.get_filename() == "alerts.json":
            for l in part.get_payload(decode=True).decode().splitlines():
                ids.append(json.loads(l)["eastwatch"]["alert_id"])
rc |= report("e-mail (%d digests over STARTTLS)" % mails, ids)
sys.exit(rc)
EOF
[ $? = 0 ] && pass=$((pass + 1)) || fail=$((fail + 1))
[ -s "$T/hook.out.bad" ] && bad "the webhook receiver saw bad signatures" || ok "every webhook signature verified"
echo "     $(cat "$T/stream.out") records streamed, $(wc -l <"$T/alerts.json") alerts raised"

# --- the alerter: the Kafka topic, consumed as a group, to a webhook and a file
P_HOOK2=$((base + 9))
$PY "$RECV/webhook_receiver.py" "$P_HOOK2" "$T/hook.key" "$T/hook2.out" >"$T/hook2.log" 2>&1 &
pids+=($!)
wait_port "$P_HOOK2"
cat >"$T/alerter.yaml" <<EOF
spool_dir: $T/spool-alerter
alerter: { brokers: "$BROKERS", group: delivery-test }
sinks:
  - { type: webhook, url: "http://127.0.0.1:$P_HOOK2/a", secret_file: $T/hook.key, concurrency: 8 }
  - { type: file, path: $T/alerter.json }
EOF
n_topic=$(wc -l <"$T/kafka.out")
"$EW" alerter --config "$T/alerter.yaml" 2>"$T/alerter.log" &
APID=$!
for _ in $(seq 200); do
	[ -f "$T/hook2.out" ] && [ "$(wc -l <"$T/hook2.out")" -ge "$n_topic" ] && break
	sleep 0.2
done
sleep 1    # let it commit
kill -TERM "$APID"; wait "$APID"
arc=$?
cmp -s <(cut -f2 "$T/kafka.out" | sort) <(sort "$T/alerter.json") &&
	ok "alerter: the $n_topic alerts on the topic, written again byte for byte (exit $arc)" ||
	bad "alerter: its file differs from the topic (exit $arc): $(tail -3 "$T/alerter.log")"
cmp -s <(cut -f2 "$T/kafka.out" | sort) <(sort "$T/hook2.out") &&
	ok "alerter: every alert delivered to the webhook, signed" ||
	bad "alerter: webhook got $(wc -l <"$T/hook2.out") of $n_topic"
: >"$T/alerter.json"
"$EW" alerter --config "$T/alerter.yaml" 2>"$T/alerter2.log" &
APID=$!
sleep 4
kill -TERM "$APID"; wait "$APID"
[ ! -s "$T/alerter.json" ] && grep -q "0 alerts read" "$T/alerter2.log" &&
	ok "alerter: offsets were committed (a second alerter in the group reads nothing)" ||
	bad "alerter: a second alerter read again: $(tail -2 "$T/alerter2.log")"

# --- a slow receiver does not hold up the packet path
$PY "$RECV/webhook_receiver.py" "$P_SLOW" "$T/hook.key" "$T/slow.out" --delay 5 >"$T/slow.log" 2>&1 &
SLOWPID=$!
pids+=($SLOWPID)
wait_port "$P_SLOW"
cat >"$T/slow.yaml" <<EOF
spool_dir: $T/spool-slow
sinks:
  - { type: file, path: $T/slow-alerts.json }
  - { type: webhook, url: "http://127.0.0.1:$P_SLOW/x", secret_file: $T/hook.key, concurrency: 1,
      timeout: 30s, queue: 20 }
EOF
start_ew "$T/slow-run.log" "$P_NF2" "$T/slow.yaml" || exit 1
$PY "$RECV/nf5_stream.py" 127.0.0.1 "$P_NF2" 200 3 100000 >/dev/null
sleep 3
n_file=$(wc -l <"$T/slow-alerts.json")
n_hook=0
[ -f "$T/slow.out" ] && n_hook=$(wc -l <"$T/slow.out")
[ "$n_file" -ge 550 ] && [ "$n_hook" -le 5 ] &&
	ok "slow webhook (5 s a request): the file sink has all $n_file alerts, the webhook $n_hook so far" ||
	bad "slow webhook: file sink $n_file alerts, webhook $n_hook"
stop_ew && ok "SIGTERM with a slow receiver: exit 0, the rest spooled" || bad "slow receiver: exit status"
grep -q "spooled\|not delivered" "$T/slow-run.log" || bad "slow receiver: nothing spooled: $(tail -3 "$T/slow-run.log")"
kill "$SLOWPID"

# --- a full spool: alerts dropped, counted, logged, and a self-alert says so
cat >"$T/full.yaml" <<EOF
spool_dir: $T/spool-full
metrics: { listen: "127.0.0.1:$((base + 14))" }
sinks:
  - { type: file, path: $T/full-alerts.json }
  - { type: webhook, name: dead-hook, url: "http://127.0.0.1:$((base + 11))/x", queue: 10,
      spool_max_mb: 1 }
EOF
start_ew "$T/full-run.log" "$((base + 12))" "$T/full.yaml" || exit 1
$PY "$RECV/nf5_stream.py" 127.0.0.1 "$((base + 12))" 500 3 200000 >/dev/null
sleep 4
curl -sf "http://127.0.0.1:$((base + 14))/metrics" >"$T/metrics.txt"
curl -sf "http://127.0.0.1:$((base + 14))/healthz" >"$T/healthz.txt"
stop_ew
$PY - "$T/metrics.txt" "$SRC/rules.d" <<'EOF'
import hashlib, os, re, sys
m = {}
h = hashlib.sha256()
for n in sorted(f for f in os.listdir(sys.argv[2]) if f.endswith(".yaml") and not f.startswith(".")):
    h.update(n.encode() + b"\0" + open(os.path.join(sys.argv[2], n), "rb").read())
version = "sha256:" + h.hexdigest()
for l in open(sys.argv[1]):
    if l.startswith("#"):
        assert re.match(r"# (HELP|TYPE) eastwatch_\w+ ", l), l
        continue
    k, v = l.rsplit(" ", 1)
    assert re.match(r'eastwatch_\w+(\{(\w+="[^"]*",?)+\})?$', k), l
    m[k] = int(v)
d = 'sink="dead-hook",type="webhook"'
ok = (m["eastwatch_sink_dropped_total{%s}" % d] > 0 and m["eastwatch_sink_up{%s}" % d] == 0
      and m["eastwatch_sink_spool_records{%s}" % d] > 0
      # the file also has the self-alert(s), which the pipeline did not raise
      and m['eastwatch_sink_delivered_total{sink="file",type="file"}'] > m["eastwatch_alerts_total"]
      and m["eastwatch_flow_records_total"] >= 1500
      and any('version="%s"' % version in k for k in m if k.startswith("eastwatch_policy_info")))
print("%s /metrics (Prometheus text, %d series): the dead sink's drops (%d), spool (%d) and "
      "up=0; records %d, alerts %d; the policy version is the rules' SHA-256" % ("ok  " if ok else "FAIL", len(m),
      m["eastwatch_sink_dropped_total{%s}" % d], m["eastwatch_sink_spool_records{%s}" % d],
      m["eastwatch_flow_records_total"], m["eastwatch_alerts_total"]))
sys.exit(0 if ok else 1)
EOF
[ $? = 0 ] && pass=$((pass + 1)) || fail=$((fail + 1))
grep -qx ok "$T/healthz.txt" && ok "/healthz answers ok" || bad "/healthz: $(cat "$T/healthz.txt")"
grep -q '"action":"alert-dropped"' "$T/full-alerts.json" &&
	grep -q "sink dead-hook dropped" "$T/full-run.log" &&
	ok "spool full: drops counted and logged, and a self-alert ($(grep -o '"message":"sink dead-hook dropped [0-9]* alerts' "$T/full-alerts.json" | head -1 | cut -d'"' -f4))" ||
	bad "spool full: no self-alert; $(tail -3 "$T/full-run.log")"
grep '"action":"alert-dropped"' "$T/full-alerts.json" >"$T/dropped.json"
python3 "$SRC/tests/integration/ecs_check.py" "$SRC/../shared/corpus/ecs/ecs_flat.yml" \
	"$T/dropped.json" && ! grep -q '"source"\|"destination"\|"::"' "$T/dropped.json" &&
	ok "alert-dropped: ECS fields, no addresses" || bad "alert-dropped: $(head -c 400 "$T/dropped.json")"

# --- logrotate: the file sink reopens its path on SIGHUP
printf 'sinks:\n  - { type: file, path: %s }\n' "$T/rot.json" >"$T/rot.yaml"
start_ew "$T/rot.log" "$((base + 13))" "$T/rot.yaml" || exit 1
c1=$($PY "$RECV/nf5_stream.py" 127.0.0.1 "$((base + 13))" 200 0.25 300000)
sleep 3
mv "$T/rot.json" "$T/rot.json.1"
kill -HUP "$EWPID"
sleep 0.5
c2=$($PY "$RECV/nf5_stream.py" 127.0.0.1 "$((base + 13))" 200 0.25 400000)
sleep 3
stop_ew
n1=$(wc -l <"$T/rot.json.1"); n2=$(wc -l <"$T/rot.json" 2>/dev/null || echo 0)
[ "$n1" = "$c1" ] && [ "$n2" = "$c2" ] &&
	ok "SIGHUP reopens the alert file (logrotate): $n1 alerts before, $n2 after" ||
	bad "SIGHUP reopen: $n1 in the rotated file ($c1 sent before), $n2 in the new one ($c2 after)"

# --- routing: a deny rule names a sink (notify), a notify_only sink gets only those
mkdir -p "$T/rules-notify"
cp "$SRC"/rules.d/*.yaml "$T/rules-notify/"
sed -i 's/^\(    severity: critical\)$/\1\n    notify: [pager]/' "$T/rules-notify/10-tiers.yaml"
cat >"$T/notify.yaml" <<EOF
sinks:
  - { type: file, name: everything, path: $T/notify-all.json }
  - { type: file, name: pager, path: $T/notify-pager.json, notify_only: true }
  - { type: file, name: highs, path: $T/notify-high.json, min_severity: critical }
EOF
"$EW" replay -q --config "$T/notify.yaml" --rules "$T/rules-notify" "$SRC/tests/data/sample.pcap" \
	>/dev/null 2>"$T/notify.log"
n_all=$(wc -l <"$T/notify-all.json"); n_pager=$(wc -l <"$T/notify-pager.json")
n_pager_ssh=$(grep -c '"name":"ssh-between-servers"' "$T/notify-pager.json")
[ "$n_all" = 7 ] && [ "$n_pager" = 3 ] && [ "$n_pager_ssh" = 3 ] &&
	grep -q '"notify":\["pager"\]' "$T/notify-pager.json" &&
	[ "$(wc -l <"$T/notify-high.json")" = 3 ] &&
	ok "notify: [pager] on ssh-between-servers: the notify_only sink got its 3 alerts, the others all 7 (min_severity filters)" ||
	bad "notify routing: all $n_all, pager $n_pager ($n_pager_ssh ssh); $(cat "$T/notify.log")"
printf 'sinks:\n  - { type: webhook, url: "http://198.18.0.1/x" }\n' >"$T/http.yaml"
"$EW" check --rules "$SRC/rules.d" --config "$T/http.yaml" >"$T/http.out" 2>&1
[ $? = 1 ] && grep -q "http.yaml:2:.*https (http only to a loopback address)" "$T/http.out" &&
	ok "a webhook over plain http to a non-loopback address is refused" ||
	bad "http webhook: $(cat "$T/http.out")"

# --- refusals: anonymous TLS, a certificate for another name, no STARTTLS, open secrets
openssl s_server -accept "$P_ANON" -nocert -cipher 'aNULL:@SECLEVEL=0' -quiet \
	>"$T/anon.out" 2>&1 &
pids+=($!)
$PY -c '
import asyncio, sys
from aiosmtpd.controller import Controller
class H:
    async def handle_DATA(self, s, se, e):
        open(sys.argv[2], "ab").write(e.content); return "250 OK"
c = Controller(H(), hostname="127.0.0.1", port=int(sys.argv[1])); c.start()
print("listening", flush=True)
import time; time.sleep(3600)' "$P_PLAIN" "$T/plain.eml" >"$T/plain.log" 2>&1 &
pids+=($!)
wait_port "$P_ANON"
wait_port "$P_PLAIN"
refuse() {   # NAME SINK-YAML EXPECTED-LOG-PATTERN: replay waits 2 s, then keeps them
	printf 'sinks:\n  - %s\n' "$2" >"$T/$1.yaml"
	"$EW" replay -q --config "$T/$1.yaml" --rules "$SRC/rules.d" -o /dev/null --wait 2s \
		--spool "$T/spool-$1" "$SRC/tests/data/sample.pcap" >"$T/$1.log" 2>&1
	local rc=$?
	if [ $rc = 3 ] && grep -qi "$3" "$T/$1.log" && grep -q "kept in the spool" "$T/$1.log" &&
	   [ -s "$T/spool-$1/$1.spool" ]; then
		ok "$1: refused and spooled ($(grep -oi "$3[^;]*" "$T/$1.log" | head -1))"
	else
		bad "$1: rc=$rc; $(cat "$T/$1.log")"
	fi
}
refuse anon-tls "{ type: syslog, name: anon-tls, address: \"127.0.0.1:$P_ANON\", transport: tls, ca_file: $T/ca.pem, server_name: localhost }" "handshake"
refuse wrong-name "{ type: syslog, name: wrong-name, address: \"127.0.0.1:$P_TLS\", transport: tls, ca_file: $T/ca.pem, server_name: siem.example }" "certificate not trusted\|hostname mismatch"
refuse no-starttls "{ type: email, name: no-starttls, url: \"smtp://127.0.0.1:$P_PLAIN\", from: e@example.org, to: [s@example.org] }" "SSL\|TLS"
[ -s "$T/plain.eml" ] && bad "mail was sent without STARTTLS" || ok "no mail went out in clear text"
cat >"$T/plain.yaml" <<EOF
spool_dir: $T/spool-plain
sinks:
  - { type: email, url: "smtp://127.0.0.1:$P_PLAIN", tls: "off", from: e@example.org, to: [s@example.org], min_severity: critical }
EOF
"$EW" replay -q --config "$T/plain.yaml" --rules "$SRC/rules.d" -o /dev/null \
	"$SRC/tests/data/sample.pcap" >"$T/plain-run.log" 2>&1
n=$(grep -c "^Subject: \[eastwatch\] CRITICAL ssh-between-servers: " "$T/plain.eml" 2>/dev/null)
[ "$n" = 3 ] && ok "tls: off: the 3 critical alerts e-mailed at once, one each" ||
	bad "tls: off: $n critical e-mails; $(cat "$T/plain-run.log")"

chmod 644 "$T/hook.key"
"$EW" check --rules "$SRC/rules.d" --config "$T/eastwatch.yaml" >"$T/perm.out" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q "hook.key is accessible to group or others" "$T/perm.out" &&
	! grep -qf "$T/hook.key" "$T/perm.out"; then
	ok "a secret file readable by others is refused ($(cut -c1-90 "$T/perm.out"))"
else
	bad "secret file mode: rc=$rc $(cat "$T/perm.out")"
fi

# --- throttling shared through Redis: two sensors, one incident, one alert
P_REDIS=$((base + 10))
redis-server --port "$P_REDIS" --bind 127.0.0.1 --save "" --appendonly no >"$T/redis.log" 2>&1 &
pids+=($!)
wait_port "$P_REDIS"
printf 'spool_dir: %s\nthrottle: { window: 60s, redis: "127.0.0.1:%s" }\n' "$T/spool-r" "$P_REDIS" \
	>"$T/shared.yaml"
rp=()
for s in 1 2 3; do
	"$EW" replay -q --config "$T/shared.yaml" --sensor "sensor-$s" --rules "$SRC/rules.d" \
		-o "$T/shared-$s.json" "$SRC/tests/data/sample.pcap" 2>"$T/shared-$s.log" &
	rp+=($!)
done
wait "${rp[@]}"
$PY - "$T" <<'EOF'
import json, sys
from collections import Counter
T = sys.argv[1]
ids = Counter()
for s in (1, 2, 3):
    for l in open("%s/shared-%d.json" % (T, s)):
        ids[json.loads(l)["eastwatch"]["alert_id"]] += 1
ok = len(ids) == 7 and max(ids.values()) == 1
print("%s three sensors replaying the same traffic with a Redis-shared throttle: %d alerts, "
      "%d distinct" % ("ok  " if ok else "FAIL", sum(ids.values()), len(ids)))
sys.exit(0 if ok else 1)
EOF
[ $? = 0 ] && pass=$((pass + 1)) || fail=$((fail + 1))
[ "$(redis-cli -p "$P_REDIS" --scan --pattern 'eastwatch:throttle:*' | wc -l)" = 7 ] &&
	ok "Redis holds one throttle key per incident" || bad "Redis throttle keys"
printf 'spool_dir: %s\nthrottle: { redis: "127.0.0.1:%s" }\nmetrics: { listen: "127.0.0.1:%s" }\nsinks: [ { type: file, path: %s } ]\n' \
	"$T/spool-r" "$P_REDIS" "$((base + 15))" "$T/shared-run.json" >"$T/shared-run.yaml"
start_ew "$T/shared-run.log" "$((base + 16))" "$T/shared-run.yaml" || exit 1
c=$($PY "$RECV/nf5_stream.py" 127.0.0.1 "$((base + 16))" 100 0.5 500000)
sleep 3
curl -sf "http://127.0.0.1:$((base + 15))/metrics" >"$T/shared-metrics.txt"
stop_ew
grep -qx "eastwatch_shared_throttle_total{result=\"sent\"} $c" "$T/shared-metrics.txt" &&
	grep -qx "eastwatch_shared_throttle_connected 1" "$T/shared-metrics.txt" &&
	[ "$(wc -l <"$T/shared-run.json")" = "$c" ] &&
	ok "a running sensor shares its throttle: $c alerts sent through Redis, counted in /metrics" ||
	bad "shared throttle in run: $c sent; $(grep shared_throttle "$T/shared-metrics.txt" | tr '\n' ' ')"
printf 'spool_dir: %s\nthrottle: { redis: "127.0.0.1:%s" }\n' "$T/spool-r" "$P_PLAIN" >"$T/shared-down.yaml"
"$EW" replay -q --config "$T/shared-down.yaml" --rules "$SRC/rules.d" -o "$T/shared-down.json" \
	"$SRC/tests/data/sample.pcap" 2>"$T/shared-down.log"
[ "$(wc -l <"$T/shared-down.json")" = 7 ] &&
	ok "Redis not answering: alerts are sent unshared (fail open)" ||
	bad "Redis down: $(wc -l <"$T/shared-down.json") alerts; $(cat "$T/shared-down.log")"

echo "delivery: $pass passed, $fail failed"
[ "$fail" = 0 ]
