#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Files as a careful daemon opens them, run as root dropping to nobody:
#   - a spool file planted as a symbolic link is refused (exit non-zero, "symbolic link"),
#     and the file it points at is untouched;
#   - the spool directory and files are made before the privilege drop and given to
#     nobody; the alert file it creates too;
#   - logrotate (create, postrotate kill -HUP) rotates the alert file and the daemon, as
#     nobody, writes the next alerts to the new file.
# usage: service_files.sh EASTWATCH SOURCE_DIR (as root)
set -uo pipefail
EW=$1
SRC=$2
[ "$(id -u)" = 0 ] || { echo "service_files: needs root; skipped"; exit 77; }
command -v logrotate >/dev/null || { echo "service_files: logrotate is not installed"; exit 1; }
T=$(mktemp -d)
chmod 755 "$T"
EWPID=
trap '[ -n "$EWPID" ] && kill "$EWPID" 2>/dev/null; rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
port=$((20000 + RANDOM % 9000))
dead=$((port + 1))     # nothing listens here: the syslog sink spools

# --- a planted symbolic link
mkdir -p "$T/planted" "$T/out"
echo precious >"$T/victim"
ln -s "$T/victim" "$T/planted/sl.spool"
cat >"$T/planted.yaml" <<EOF
spool_dir: $T/planted
sinks:
  - { type: syslog, name: sl, address: "127.0.0.1:$dead", transport: tcp }
EOF
timeout 20 "$EW" run --config "$T/planted.yaml" --rules "$SRC/rules.d" --ipfix "127.0.0.1:$port" \
	--user nobody -o /dev/null >"$T/planted.log" 2>&1
rc=$?
[ "$rc" != 0 ] && grep -q "symbolic link" "$T/planted.log" && ok "a planted spool link is refused (exit $rc)" ||
	bad "a planted spool link: exit $rc, $(tail -2 "$T/planted.log")"
[ "$(cat "$T/victim")" = precious ] && ok "the link's target is untouched" || bad "the link's target changed"

# --- run as nobody
cat >"$T/ew.yaml" <<EOF
spool_dir: $T/spool
user: nobody
sinks:
  - { type: file, path: $T/out/alerts.json }
  - { type: syslog, name: sl, address: "127.0.0.1:$dead", transport: tcp, retry_max: 1s }
EOF
"$EW" run --config "$T/ew.yaml" --rules "$SRC/rules.d" --ipfix "127.0.0.1:$port" 2>"$T/run.log" &
EWPID=$!
for _ in $(seq 150); do grep -q "running: sensor" "$T/run.log" && break; sleep 0.1; done
grep -q "running as nobody" "$T/run.log" && ok "dropped to nobody" || bad "no privilege drop: $(tail -3 "$T/run.log")"
python3 "$SRC/tests/integration/recv/nf5_stream.py" 127.0.0.1 "$port" 50 1 0 >/dev/null
sleep 3
n1=$(wc -l <"$T/out/alerts.json")
[ "$n1" -gt 0 ] && ok "$n1 alerts before the rotation" || bad "no alerts before the rotation"
for f in "$T/spool" "$T/spool/sl.spool" "$T/spool/sl.pos" "$T/out/alerts.json"; do
	[ "$(stat -c %U "$f")" = nobody ] && ok "$(basename "$f") belongs to nobody" ||
		bad "$f belongs to $(stat -c %U "$f")"
done
[ -s "$T/spool/sl.spool" ] && ok "the unreachable syslog sink's alerts are spooled" ||
	bad "nothing in the syslog spool"
cat >"$T/logrotate.conf" <<EOF
$T/out/alerts.json {
	rotate 2
	create
	missingok
	postrotate
		kill -HUP $EWPID
	endscript
}
EOF
logrotate -f -s "$T/logrotate.state" "$T/logrotate.conf" >"$T/logrotate.log" 2>&1 ||
	bad "logrotate: $(cat "$T/logrotate.log")"
sleep 1
python3 "$SRC/tests/integration/recv/nf5_stream.py" 127.0.0.1 "$port" 50 1 5000 >/dev/null
sleep 3
n2=$(wc -l <"$T/out/alerts.json")
[ "$n2" -gt 0 ] && [ -f "$T/out/alerts.json.1" ] && [ "$(wc -l <"$T/out/alerts.json.1")" = "$n1" ] &&
	ok "after logrotate and SIGHUP: $n2 new alerts in the new file, $n1 in alerts.json.1" ||
	bad "after the rotation: $n2 alerts in the new file; $(grep -i reopen "$T/run.log" | head -2)"
grep -q "cannot reopen" "$T/run.log" && bad "reopen failed: $(grep "cannot reopen" "$T/run.log")"
kill -TERM "$EWPID"
wait "$EWPID" && ok "exit 0 on SIGTERM" || bad "exit status on SIGTERM"
EWPID=
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
