#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A directory of cloud flow logs watched by `eastwatch run` (sources: [{type: flowlog,
path: DIR}]): the files there at start are read in name order, a file moved in later is
read within seconds (inotify), and after a restart no file is read twice (the last
name read is kept in the state directory) while a new one is; a large file (read a
slice at a time) is read to its end.

usage: flowlog_dir.py EASTWATCH SOURCE_DIR"""
import json
import os
import subprocess
import sys
import tempfile
import time

ew, src = sys.argv[1:3]
HEAD = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"


def rec(n, dport=22):
    # a web server opening SSH to the database: ssh-between-servers, one per n
    t = 1700000000 + n
    return ("2 123456789012 eni-0lab 198.18.1.%d 198.18.3.10 %d %d 6 3 180 %d %d ACCEPT OK\n"
            "2 123456789012 eni-0lab 198.18.3.10 198.18.1.%d %d %d 6 2 120 %d %d ACCEPT OK\n"
            % (n, 40000 + n, dport, t, t, n, dport, 40000 + n, t, t))


def put(d, name, text):
    tmp = os.path.join(d, "." + name)      # written aside, moved in (as a sync tool does)
    open(tmp, "w").write(text)
    os.rename(tmp, os.path.join(d, name))


def alerts(path):
    try:
        return [json.loads(l) for l in open(path)]
    except FileNotFoundError:
        return []


def wait_for(path, n, secs=15):
    for _ in range(secs * 10):
        if len(alerts(path)) >= n:
            return True
        time.sleep(0.1)
    return False


fail = []
with tempfile.TemporaryDirectory() as t:
    logs = os.path.join(t, "logs")
    os.makedirs(logs)
    put(logs, "2026-12-01T0000.log", HEAD + rec(21))
    put(logs, "2026-12-01T0001.log", HEAD + rec(22))
    os.utime(os.path.join(logs, "2026-12-01T0000.log"), (time.time() - 60, time.time() - 60))
    os.utime(os.path.join(logs, "2026-12-01T0001.log"), (time.time() - 60, time.time() - 60))
    conf = os.path.join(t, "ew.yaml")
    open(conf, "w").write("spool_dir: %s/state\nsources:\n  - { type: flowlog, path: %s }\n"
                          % (t, logs))
    out = os.path.join(t, "alerts.json")

    def start(log):
        p = subprocess.Popen([ew, "run", "--config", conf, "--rules", os.path.join(src, "rules.d"),
                              "--output", out, "--user", "root"], stderr=open(log, "w"))
        for _ in range(150):
            if "running: sensor" in open(log).read():
                break
            time.sleep(0.1)
        return p

    p = start(os.path.join(t, "run1.log"))
    if not wait_for(out, 2):
        fail.append("the two files present at start gave %d alerts, want 2" % len(alerts(out)))
    put(logs, "2026-12-01T0002.log", HEAD + rec(23))
    if not wait_for(out, 3):
        fail.append("a file moved in later was not read: %d alerts" % len(alerts(out)))
    p.terminate()
    p.wait()
    p = start(os.path.join(t, "run2.log"))
    time.sleep(3)
    if len(alerts(out)) != 3:
        fail.append("after a restart: %d alerts, want still 3 (a file read twice?)" % len(alerts(out)))
    put(logs, "2026-12-01T0003.log", HEAD + rec(24))
    if not wait_for(out, 4):
        fail.append("after a restart a new file was not read: %d alerts" % len(alerts(out)))
    # a large file (60,002 lines: read a slice at a time between the loop's other work):
    # permitted traffic, then one violation at its very end
    big = [HEAD]
    for i in range(30000):
        t0 = 1700000100 + i // 100
        big.append("2 123456789012 eni-0lab 198.18.1.30 198.18.2.20 %d 8443 6 3 180 %d %d ACCEPT OK\n"
                   "2 123456789012 eni-0lab 198.18.2.20 198.18.1.30 8443 %d 6 3 180 %d %d ACCEPT OK\n"
                   % (10000 + i, t0, t0, 10000 + i, t0, t0))
    big.append(rec(25))
    put(logs, "2026-12-01T0004.log", "".join(big))
    if not wait_for(out, 5, secs=60):
        fail.append("a large file was not read to its end: %d alerts" % len(alerts(out)))
    p.terminate()
    p.wait()
    got = sorted(a["source"]["ip"] for a in alerts(out))
    if got != ["198.18.1.21", "198.18.1.22", "198.18.1.23", "198.18.1.24", "198.18.1.25"]:
        fail.append("alerts from %s" % got)
    if not all(a["rule"]["name"] == "ssh-between-servers" and a["observer"]["type"] == "flowlog"
               for a in alerts(out)):
        fail.append("unexpected alerts: %s" % [a["message"] for a in alerts(out)])
for f in fail:
    print("FAIL", f)
print("flowlog_dir: %d failures" % len(fail))
sys.exit(1 if fail else 0)
