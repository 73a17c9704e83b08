#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""replay and spools (issue 14, item 6): replay never reads or writes the daemon's spool;
it waits for its sinks to deliver, at most --wait, through a receiver's outage; what is
left is reported with exit 3, lost unless --spool DIR keeps it, and a later replay with
the same --spool sends it. A webhook receiver of our own counts what arrives.

usage: replay_spool.py EASTWATCH SOURCE_DIR"""
import http.server
import os
import random
import subprocess
import sys
import tempfile
import threading
import time

ew, src = sys.argv[1:3]
pcap = os.path.join(src, "tests/data/sample.pcap")
fails = 0
got = []


def check(ok, what):
    global fails
    print(("ok   " if ok else "FAIL ") + what)
    fails += 0 if ok else 1


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        got.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *a):
        pass


def serve(port, after=0.0):
    def run():
        time.sleep(after)
        srv = http.server.HTTPServer(("127.0.0.1", port), Hook)
        servers.append(srv)
        srv.serve_forever()
    threading.Thread(target=run, daemon=True).start()


servers = []
port = 20000 + random.randrange(9000)
with tempfile.TemporaryDirectory() as t:
    env = dict(os.environ, TMPDIR=t)
    cfg = os.path.join(t, "c.yaml")
    daemon_spool = os.path.join(t, "daemon-spool")
    with open(cfg, "w") as f:   # the daemon's configuration, spool_dir and all
        f.write(f"spool_dir: {daemon_spool}\nsinks:\n  - {{ type: webhook, name: hook, "
                f'url: "http://127.0.0.1:{port}/a", retry_min: 100ms, retry_max: 300ms }}\n')

    def replay(*extra):
        return subprocess.run([ew, "replay", "-q", "--rules", os.path.join(src, "rules.d"),
                               "--config", cfg, "-o", "/dev/null"] + list(extra) + [pcap],
                              capture_output=True, text=True, env=env, timeout=120)

    # a daemon left 7 alerts in its spool (made here by a replay told to use it)
    r = replay("--wait", "1s", "--spool", daemon_spool)
    check(r.returncode == 3 and "7 alerts not delivered within 1 s, kept in the spool" in r.stderr,
          f"receiver down, --spool: 7 alerts kept, exit 3 ({r.returncode}: {r.stderr.strip()[-160:]!r})")
    left = os.path.getsize(os.path.join(daemon_spool, "hook.spool"))

    # the receiver comes up 1.5 s after the replay starts waiting: all delivered within
    # the wait, none of the daemon's; nothing left in TMPDIR
    serve(port, after=1.5)
    t0 = time.time()
    r = replay("--wait", "20s")
    check(r.returncode == 0 and len(got) == 7 and time.time() - t0 < 15,
          f"receiver back within the wait: this replay's 7 alerts delivered, exit 0 "
          f"({r.returncode}, {len(got)} received)")
    check(os.path.getsize(os.path.join(daemon_spool, "hook.spool")) == left,
          "the daemon's spool untouched")
    check(not [n for n in os.listdir(t) if n.startswith("eastwatch-replay-")],
          "the private spool removed")
    for s in servers:
        s.shutdown()
        s.server_close()

    # receiver down: lost, exit 3, said so
    got.clear()
    r = replay("--wait", "1s")
    check(r.returncode == 3 and "and lost (--wait longer, or --spool DIR keeps them)" in r.stderr,
          f"receiver down, no --spool: reported lost, exit 3 ({r.returncode})")
    check(not [n for n in os.listdir(t) if n.startswith("eastwatch-replay-")],
          "the private spool removed after a failed wait")

    # kept in --spool DIR, sent by the next replay with the same --spool
    d2 = os.path.join(t, "mine")
    r = replay("--wait", "1s", "--spool", d2)
    check(r.returncode == 3, "kept in --spool DIR")
    serve(port)
    time.sleep(0.5)
    r = replay("--wait", "20s", "--spool", d2)
    check(r.returncode == 0 and len(got) == 14,
          f"the next replay with that --spool sends the 7 kept and its own 7 ({len(got)})")
sys.exit(1 if fails else 0)
