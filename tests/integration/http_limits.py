#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The /metrics endpoint under abuse: `eastwatch run` started with 1,024 descriptors
(soft and hard, as `ulimit -n 1024` leaves it) must keep answering /healthz while 10,000
idle connections are opened to it, close request headers that never end (431) and that
never finish (timeout), answer a later scrape, stay within bounded memory, and log the
pressure in a few lines, not one per failed accept.

usage: http_limits.py EASTWATCH SOURCE_DIR"""
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ew, src = sys.argv[1:3]
IDLE = 10000
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = IDLE + 512
if hard < want:
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
    except (ValueError, OSError):
        print("http_limits: cannot open %d descriptors here (hard limit %d); skipped" % (want, hard))
        sys.exit(77)
else:
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))

port = 20000 + random.randrange(9000)
url = "http://127.0.0.1:%d" % port
fail = []


def limit_daemon():
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


def healthz(timeout=3):
    t0 = time.monotonic()
    body = urllib.request.urlopen(url + "/healthz", timeout=timeout).read()
    return body, time.monotonic() - t0


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


with tempfile.TemporaryDirectory() as t:
    log = open(os.path.join(t, "run.log"), "w+")
    p = subprocess.Popen([ew, "run", "--rules", os.path.join(src, "rules.d"), "--ipfix",
                          "127.0.0.1:%d" % (port + 1), "--metrics", "127.0.0.1:%d" % port,
                          "--output", os.path.join(t, "a.json"), "--user", "root"],
                         stderr=log, preexec_fn=limit_daemon)
    socks = []
    try:
        for _ in range(200):
            log.seek(0)
            if "running: sensor" in log.read():
                break
            time.sleep(0.1)
        rss0 = rss_kb(p.pid)
        # 10,000 idle connections
        for i in range(IDLE):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            socks.append(s)
            if i % 500 == 499:
                time.sleep(0.05)
        time.sleep(1)
        answered = 0
        for k in range(5):
            try:
                body, secs = healthz()
                answered += body == b"ok\n"
            except OSError as e:
                fail.append("/healthz under %d idle connections: %s" % (IDLE, e))
            time.sleep(0.2)
        if answered < 5:
            fail.append("/healthz answered %d of 5 times under %d idle connections" % (answered, IDLE))
        for s in socks:
            s.close()
        socks = []
        # request headers that never end: three of 28 MB
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", port))
            s.settimeout(10)
            s.sendall(b"GET /" + b"a" * 16384)
            got = b""
            try:
                while len(got) < 12:
                    chunk = s.recv(64)
                    if not chunk:
                        break
                    got += chunk
                    # keep sending while the server has not answered
            except OSError:
                pass
            if not got.startswith(b"HTTP/1.1 431"):
                fail.append("an endless request line was answered %r" % got[:40])
            try:
                s.sendall(b"a" * (28 << 20))
            except OSError:
                pass       # closed on us: good
            s.close()
        # a request that never finishes is timed out
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /metrics HTTP/1.1\r\n")
        s.settimeout(15)
        t0 = time.monotonic()
        try:
            s.recv(64)
        except OSError:
            pass
        if time.monotonic() - t0 > 12:
            fail.append("an unfinished request was not timed out")
        s.close()
        metrics = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
        if "eastwatch_http_connections_evicted_total" not in metrics:
            fail.append("no eastwatch_http_connections_evicted_total in /metrics")
        grown = rss_kb(p.pid) - rss0
        if grown > 64 * 1024:
            fail.append("the daemon grew by %d MB" % (grown // 1024))
    finally:
        for s in socks:
            s.close()
        p.terminate()
        p.wait()
    log.seek(0)
    text = log.read()
    if len(text.splitlines()) > 200:
        fail.append("the log has %d lines" % len(text.splitlines()))
for f in fail:
    print("FAIL", f)
print("http_limits: %d failures" % len(fail))
sys.exit(1 if fail else 0)
