#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""sFlow interface counters in /metrics: the datagrams of a capture of real agents
(tcpdump's sflow_multiple_counter_30_pdus.pcap: 5 agents, 23 counter samples of up to 7
interfaces each) are sent to `eastwatch run --sflow` on loopback; every interface's
counters in /metrics must be the last values tshark reads for it in the capture.

usage: sflow_counters.py EASTWATCH SOURCE_DIR CORPUS_DIR"""
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from udp_payloads import payloads

ew, src, corpus = sys.argv[1:4]
cap = os.path.join(corpus, "exporters/tcpdump/sflow_multiple_counter_30_pdus.pcap")


# what tshark reads: the last counters of each (agent, ifIndex)
out = subprocess.run(["tshark", "-r", cap, "-Y", "sflow_245.ifindex", "-T", "fields",
                      "-e", "sflow_245.agent", "-e", "sflow_245.ifindex", "-e", "sflow_245.ifinoct",
                      "-e", "sflow_245.ifoutoct", "-e", "sflow_245.ifinerr"],
                     capture_output=True, text=True, check=True).stdout
want = {}
for line in out.splitlines():
    agent, idx, ino, outo, inerr = line.split("\t")
    for i, a, b, c in zip(idx.split(","), ino.split(","), outo.split(","), inerr.split(",")):
        want[(agent, i)] = (int(a), int(b), int(c))

port = 20000 + random.randrange(9000)
mport = port + 1
with tempfile.TemporaryDirectory() as t:
    log = open(os.path.join(t, "run.log"), "w+")
    p = subprocess.Popen([ew, "run", "--rules", os.path.join(src, "rules.d"), "--sflow",
                          "127.0.0.1:%d" % port, "--metrics", "127.0.0.1:%d" % mport,
                          "--output", os.path.join(t, "a.json"), "--user", "root"],
                         stderr=log)
    try:
        for _ in range(150):
            log.seek(0)
            if "running: sensor" in log.read():
                break
            time.sleep(0.1)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        n = 0
        for d in payloads(cap):
            s.sendto(d, ("127.0.0.1", port))
            n += 1
            time.sleep(0.002)
        time.sleep(1)
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport).read().decode()
    finally:
        p.terminate()
        p.wait()
got = {}
for line in text.splitlines():
    if not line.startswith("eastwatch_sflow_if_"):
        continue
    k, v = line.rsplit(" ", 1)
    name, labels = k.split("{")
    lab = dict(x.split("=", 1) for x in labels.rstrip("}").split(","))
    key = (lab["agent"].strip('"'), lab["ifindex"].strip('"'))
    got.setdefault(key, {})[name] = int(v)
bad = 0
for key, (ino, outo, inerr) in sorted(want.items()):
    g = got.get(key, {})
    have = (g.get("eastwatch_sflow_if_in_bytes_total"), g.get("eastwatch_sflow_if_out_bytes_total"),
            g.get("eastwatch_sflow_if_in_errors_total"))
    if have != (ino, outo, inerr):
        bad += 1
        print("FAIL agent %s ifIndex %s: tshark %s, /metrics %s" % (key + ((ino, outo, inerr), have)))
print("%s sflow counters: %d datagrams sent, %d interfaces of %d agents in /metrics, %d match "
      "tshark's last values" % ("ok  " if not bad and len(got) == len(want) else "FAIL", n,
                                len(got), len({a for a, _ in want}), len(want) - bad))
sys.exit(1 if bad or len(got) != len(want) else 0)
