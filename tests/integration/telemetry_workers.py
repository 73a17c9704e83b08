#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Flow telemetry over workers: `eastwatch run --netflow 127.0.0.1:PORT --workers 2`
listens with one SO_REUSEPORT socket per worker, the kernel keeping each exporter (one
source port) on one socket. 64 flows from web (198.18.1.x) to app (198.18.2.x), which
nothing permits, are each exported half by one exporter (the initiator's direction, from
port 30000+k) and half by another (the reply, from 31000+k): the two halves reach
different workers' sockets for about half the flows, and must still be paired into one
flow each: 64 alerts, each with both directions' packets, the same as with one worker.

usage: telemetry_workers.py EASTWATCH SOURCE_DIR"""
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

FLOWS = 64
UNIX_SECS = 1780000000


def v5(src, dst, sport, dport, pkts, octets, flags):
    hdr = struct.pack(">HHIIIIBBH", 5, 1, 100000, UNIX_SECS, 0, 0, 0, 0, 0)
    rec = (socket.inet_aton(src) + socket.inet_aton(dst) + socket.inet_aton("0.0.0.0") +
           struct.pack(">HHIIIIHHBBBBHHBBH", 1, 2, pkts, octets, 90000, 99000, sport, dport,
                       0, flags, 6, 0, 0, 0, 24, 24, 0))
    return hdr + rec


def send_all(port):
    socks = []
    for k in range(FLOWS):
        cli, srv = "198.18.1.%d" % (100 + k), "198.18.2.%d" % (100 + k)
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        a.bind(("127.0.0.1", 30000 + k))
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        b.bind(("127.0.0.1", 31000 + k))
        a.sendto(v5(cli, srv, 40000 + k, 6379, 5, 400, 0x1b), ("127.0.0.1", port))
        b.sendto(v5(srv, cli, 6379, 40000 + k, 3, 300, 0x1b), ("127.0.0.1", port))
        socks += [a, b]
    for s in socks:
        s.close()


def run(ew, src, t, workers, port):
    out = os.path.join(t, "w%d.json" % workers)
    log = open(os.path.join(t, "w%d.log" % workers), "w+")
    p = subprocess.Popen([ew, "run", "--netflow", "127.0.0.1:%d" % port, "--workers",
                          str(workers), "--rules", os.path.join(src, "rules.d"), "--output",
                          out, "--user", "root", "--sensor", "tw"], stderr=log)
    try:
        for _ in range(200):
            log.seek(0)
            if "running: sensor" in log.read():
                break
            time.sleep(0.1)
        send_all(port)
        time.sleep(3.5)          # one-way records wait 2 s for their other direction
    finally:
        p.terminate()
        p.wait()
    log.seek(0)
    return [json.loads(l) for l in open(out) if l.strip()], log.read(), p.returncode


def key(a):
    b = dict(a)
    b.pop("@timestamp")
    b["eastwatch"] = {k: v for k, v in a["eastwatch"].items() if k != "alert_id"}
    b["event"] = {k: v for k, v in a["event"].items() if k != "id"}   # the same id
    return json.dumps(b, sort_keys=True)


def main():
    ew, src = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as t:
        one, log1, rc1 = run(ew, src, t, 1, 20555)
        two, log2, rc2 = run(ew, src, t, 2, 20556)
    paired = [a for a in two if a["source"]["packets"] == 5 and a["destination"]["packets"] == 3]
    same = sorted(map(key, one)) == sorted(map(key, two))
    lanes = "2 workers" in log2
    ok = rc1 == 0 and rc2 == 0 and len(two) == FLOWS and len(paired) == FLOWS and same and lanes
    print("telemetry_workers: 1 worker %d alerts, 2 workers %d alerts (%d with both directions "
          "paired), %s: %s" % (len(one), len(two), len(paired),
                               "the same" if same else "DIFFERENT", "ok" if ok else "WRONG"))
    if not ok:
        print(log2[-2000:])
        for a in two[:3]:
            print(json.dumps(a)[:400])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
