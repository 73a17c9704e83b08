#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Hostile flow telemetry must not blind the collector. In a network namespace where
198.19.0.0/16 is local (so that a sender can take any address of it), `eastwatch run`
listens for IPFIX and:

- a real exporter's violations alert before, during and after a template flood from 300
  spoofed source ports defining 256 templates each (more than the whole table), and an
  exporter that (re)starts after the flood on a new port is served too; the flood's
  evictions are counted in /metrics, the real exporter loses nothing;
- 1,024 exporters of one /16 are each tracked (/metrics lists every one) and the single
  one that falls silent raises its telemetry-gap, and no other does;
- a listener with an `exporters:` allow-list drops (and counts) the datagrams of anyone
  else: their violations do not alert, the allowed exporter's do;
- a listener with `max_exporters: 64` and `max_templates: 100` reports those bounds, and
  5,000 spoofed addresses that give no record pass through its 64 places while the real
  exporter that gives records keeps its place and its violations alert.

usage: telemetry_attack.py EASTWATCH SOURCE_DIR (as root)"""
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

COLLECTOR = "198.18.0.1"


def inner(ew, src, t):
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "addr", "add", COLLECTOR + "/32", "dev", "lo"], check=True)
    subprocess.run(["ip", "route", "add", "local", "198.19.0.0/16", "dev", "lo"], check=True)
    conf = os.path.join(t, "eastwatch.yaml")
    with open(conf, "w") as f:
        f.write("""sources:
  - { type: ipfix, listen: "%s:4739", silence: 2s, buffer_mb: 64 }
  - { type: ipfix, listen: "%s:4740", exporters: [198.19.1.0/24, "fd18::77"] }
  - { type: ipfix, listen: "%s:4741", max_exporters: 64, max_templates: 100 }
metrics: { listen: "%s:9100" }
""" % (COLLECTOR, COLLECTOR, COLLECTOR, COLLECTOR))
    out = os.path.join(t, "alerts.json")
    log = open(os.path.join(t, "run.log"), "w+")
    p = subprocess.Popen([ew, "run", "--config", conf, "--rules", os.path.join(src, "rules.d"),
                          "--output", out, "--user", "root"], stderr=log)
    try:
        for _ in range(200):
            log.seek(0)
            if "running: sensor" in log.read():
                break
            time.sleep(0.1)
        else:
            log.seek(0)
            sys.exit("telemetry_attack: the daemon did not start:\n" + log.read())
        attacks()
        spoofed_addresses()
        time.sleep(3.5)         # records wait 2 s for their other direction
        many_exporters()
        metrics = urllib.request.urlopen("http://%s:9100/metrics" % COLLECTOR,
                                         timeout=10).read().decode()
    finally:
        p.terminate()
        p.wait()
    log.seek(0)
    return [json.loads(l) for l in open(out)], metrics, log.read()


def ipfix(seq, sets, domain=1):
    body = b"".join(sets)
    return struct.pack(">HHIII", 10, 16 + len(body), int(time.time()), seq, domain) + body


def set_(sid, payload):
    return struct.pack(">HH", sid, 4 + len(payload)) + payload


TEMPLATE = set_(2, struct.pack(">HH", 300, 6) + struct.pack(
    ">HHHHHHHHHHHH", 8, 4, 12, 4, 7, 2, 11, 2, 4, 1, 6, 1))


def record(src, dst, dport):
    return set_(300, socket.inet_aton(src) + socket.inet_aton(dst) +
                struct.pack(">HHBB", 40000, dport, 6, 0x02))


def sender(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    return s


def attacks():
    real = sender("198.19.0.1", 2055)
    real.sendto(ipfix(1, [TEMPLATE]), (COLLECTOR, 4739))
    real.sendto(ipfix(2, [record("198.18.1.1", "198.18.3.10", 22)]), (COLLECTOR, 4739))
    time.sleep(0.2)
    # the flood: 300 source ports x 256 template ids (76,800 > the table's 65,536)
    flood = []
    for port in range(300):
        ids = b"".join(struct.pack(">HHHH", i, 1, 8, 4) for i in range(256, 512))
        flood.append(ipfix(port, [set_(2, ids)], domain=7))
    for rnd in range(2):
        for port, msg in enumerate(flood):
            s = sender("198.19.66.6", 10000 + port + rnd * 300)
            s.sendto(msg, (COLLECTOR, 4739))
            s.close()
            if port == 150:     # a violation in the middle of the flood
                real.sendto(ipfix(3 + rnd, [record("198.18.1.%d" % (2 + rnd), "198.18.3.10", 22)]),
                            (COLLECTOR, 4739))
            if port % 10 == 0:
                time.sleep(0.01)      # the flood must arrive whole (a sanitized build reads slowly)
    time.sleep(0.3)
    real.sendto(ipfix(5, [record("198.18.1.4", "198.18.3.10", 22)]), (COLLECTOR, 4739))
    # an exporter that restarts after the flood: new port, templates again
    restarted = sender("198.19.0.2", 2056)
    restarted.sendto(ipfix(1, [TEMPLATE, record("198.18.1.5", "198.18.3.10", 22)]),
                     (COLLECTOR, 4739))
    # the allow-list listener
    sender("198.19.2.1", 2057).sendto(ipfix(1, [TEMPLATE, record("198.18.1.6", "198.18.3.10", 22)]),
                                     (COLLECTOR, 4740))
    sender("198.19.1.1", 2057).sendto(ipfix(1, [TEMPLATE, record("198.18.1.7", "198.18.3.10", 22)]),
                                     (COLLECTOR, 4740))


def spoofed_addresses():
    """5,000 addresses that give no record, through a table of 64, around a real exporter."""
    real = sender("198.19.9.1", 2058)
    real.sendto(ipfix(1, [TEMPLATE, record("198.18.1.8", "198.18.3.10", 22)]), (COLLECTOR, 4741))
    for i in range(5000):
        s = sender("198.19.%d.%d" % (16 + i // 250, 1 + i % 250), 4000)
        s.sendto(ipfix(i, [], domain=9), (COLLECTOR, 4741))
        s.close()
        if i == 2500:
            real.sendto(ipfix(2, [record("198.18.1.9", "198.18.3.10", 22)]), (COLLECTOR, 4741))
        if i % 100 == 0:
            time.sleep(0.01)
    time.sleep(0.2)
    real.sendto(ipfix(3, [record("198.18.1.10", "198.18.3.10", 22)]), (COLLECTOR, 4741))


def many_exporters():
    """1,024 exporters of one /16; 198.19.5.77 stops after the first round (silence 2 s),
    the others go on sending every half second."""
    for rnd in range(8):
        for i in range(1024):
            a = "198.19.%d.%d" % (4 + i // 256, i % 256)
            if rnd and a == "198.19.5.77":
                continue
            s = sender(a, 4000)
            s.sendto(ipfix(rnd, [], domain=3), (COLLECTOR, 4739))
            s.close()
        time.sleep(0.5)


def outer(ew, src):
    ns = "ewta%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        with tempfile.TemporaryDirectory() as t:
            rc = subprocess.run(["ip", "netns", "exec", ns, sys.executable, __file__, ew, src,
                                 "--inner", t]).returncode
            sys.exit(rc)
    finally:
        subprocess.run(["ip", "netns", "del", ns])


def check(alerts, metrics, log):
    fail = []
    ssh = {a["source"]["ip"] for a in alerts if a["rule"]["name"] == "ssh-between-servers"}
    for n, why in [(1, "before the flood"), (2, "during the flood"), (3, "during the second flood"),
                   (4, "after the flood"), (5, "from an exporter restarted after the flood"),
                   (7, "from an allowed exporter"), (8, "before the spoofed addresses"),
                   (9, "among the spoofed addresses"), (10, "after the spoofed addresses")]:
        if "198.18.1.%d" % n not in ssh:
            fail.append("no alert for the violation %s (198.18.1.%d)" % (why, n))
    if "198.18.1.6" in ssh:
        fail.append("a datagram from an exporter not in exporters: alerted")
    gaps = sorted(a["source"]["ip"] for a in alerts if a["event"]["action"] == "telemetry-gap"
                  and 4 <= int(a["source"]["ip"].split(".")[2]) <= 7)
    if gaps != ["198.19.5.77"]:
        fail.append("telemetry-gap for %s, expected exactly 198.19.5.77" % gaps)
    m = {}
    for line in metrics.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            m[k] = float(v)
    tracked = [k for k in m if k.startswith("eastwatch_exporter_datagrams_total{source=\"ipfix "
                                             + COLLECTOR + ":4739\",exporter=\"198.19.")]
    if len(tracked) != 1024 + 3:
        fail.append("/metrics lists %d exporters of the /16 listener, expected 1027" % len(tracked))
    ev = 'eastwatch_exporter_templates_evicted_total{source="ipfix %s:4739",exporter="%s"}'
    drops = m.get('eastwatch_source_kernel_drops_total{source="ipfix %s:4739"}' % COLLECTOR, 0)
    if m.get(ev % (COLLECTOR, "198.19.66.6"), 0) == 0:
        fail.append("the flood's evicted templates are not counted (%d datagrams dropped by "
                    "the kernel)" % drops)
    if m.get(ev % (COLLECTOR, "198.19.0.1"), -1) != 0:
        fail.append("the real exporter lost templates: %s" % m.get(ev % (COLLECTOR, "198.19.0.1")))
    ref = 'eastwatch_source_refused_total{source="ipfix %s:4740"}' % COLLECTOR
    if m.get(ref) != 1:
        fail.append("refused datagrams: %s, expected 1" % m.get(ref))
    third = 'source="ipfix %s:4741"' % COLLECTOR
    for table, want in [("exporters", 64), ("templates", 100)]:
        got = m.get('eastwatch_table_capacity{table="%s",%s}' % (table, third))
        if got != want:
            fail.append("the %s table of the listener with its bounds configured holds %s, "
                        "expected %d" % (table, got, want))
    got = m.get('eastwatch_table_evictions_total{table="exporters",%s}' % third, 0)
    if got < 5000 + 1 - 64:
        fail.append("%d exporters evicted from the table of 64, expected %d at least"
                    % (got, 5000 + 1 - 64))
    if 'eastwatch_exporter_records_total{%s,exporter="198.19.9.1"}' % third not in m:
        fail.append("the real exporter lost its place among the spoofed addresses")
    if "not in exporters:" not in log:
        fail.append("no log line for the refused datagram")
    for f in fail:
        print("FAIL", f)
    print("telemetry_attack: %d alerts, %d failures" % (len(alerts), len(fail)))
    return 1 if fail else 0


if __name__ == "__main__":
    if len(sys.argv) > 4 and sys.argv[3] == "--inner":
        sys.exit(check(*inner(sys.argv[1], sys.argv[2], sys.argv[4])))
    if os.geteuid() != 0:
        print("telemetry_attack: needs root (network namespaces); skipped")
        sys.exit(77)
    outer(sys.argv[1], sys.argv[2])
