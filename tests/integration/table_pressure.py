#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A full flow table must not turn permitted traffic into alerts. Crafted captures are
replayed with `flows: { max: 64 }`:

1. 20 permitted long-lived sessions (client port 9000, a common service port; server
   port 45000, an ephemeral one: only the SYN says who started) talk every 2 s while a
   random-tuple SYN flood of 5,000 packets fills the table: no alert about the sessions,
   the flood is judged (it is denied), no flow-table-full (nothing answered was evicted);
2. 200 permitted sessions through the 64 places: those evicted and picked up again keep
   their initiator (no false alert), and the blind spot is said as a flow-table-full
   self-alert.

usage: table_pressure.py EASTWATCH"""
import json
import os
import random
import struct
import subprocess
import sys
import tempfile

ew = sys.argv[1]
POLICY = """groups:
  web: { members: [198.18.1.0/24, 198.18.4.0/24] }
  app: { members: [198.18.2.0/24, 198.18.5.0/24] }
allow:
  - { name: web-to-app, from: web, to: app, services: [tcp/45000] }
default: { action: deny, severity: high }
"""


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(src, dst, sp, dp, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sp, dp, 1, 1, 5 << 4, flags, 65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                     bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + tcp


class Pcap:
    def __init__(self):
        self.pkts = []

    def add(self, t, f):
        self.pkts.append((t, f))

    def write(self, path):
        with open(path, "wb") as o:
            o.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for t, f in sorted(self.pkts, key=lambda x: x[0]):
                o.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(f), len(f)) + f)


SYN, ACK, PSH = 0x02, 0x10, 0x08


def sessions(p, net, n, t0, rounds, every):
    for k in range(n):
        c, s = "198.18.%d.%d" % (net, k % 250 + 1), "198.18.%d.%d" % (net + 1, k % 250 + 1)
        cp = 9000 + k // 250
        t = t0 + k * 0.001
        p.add(t, frame(c, s, cp, 45000, SYN))
        p.add(t + 0.0001, frame(s, c, 45000, cp, SYN | ACK))
        p.add(t + 0.0002, frame(c, s, cp, 45000, ACK))
        p.add(t + 0.0003, frame(c, s, cp, 45000, ACK | PSH, b"hello"))
        for r in range(1, rounds + 1):
            p.add(t + r * every, frame(s, c, 45000, cp, ACK | PSH, b"server says"))
            p.add(t + r * every + 0.0001, frame(c, s, cp, 45000, ACK | PSH, b"client says"))


def replay(t, name, p):
    pcap = os.path.join(t, name + ".pcap")
    p.write(pcap)
    out = os.path.join(t, name + ".json")
    r = subprocess.run([ew, "replay", "-q", "--config", os.path.join(t, "ew.yaml"), "--rules",
                        os.path.join(t, "rules"), "-o", out, pcap], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("table_pressure: replay failed: " + r.stderr)
    return [json.loads(l) for l in open(out)]


def main():
    fail = []
    random.seed(17)
    with tempfile.TemporaryDirectory() as t:
        os.makedirs(os.path.join(t, "rules"))
        open(os.path.join(t, "rules", "00.yaml"), "w").write(POLICY)
        open(os.path.join(t, "ew.yaml"), "w").write("flows: { max: 64 }\n")
        # 1. a SYN flood against permitted sessions
        p = Pcap()
        sessions(p, 1, 20, 1700000000.0, 15, 2.0)
        for i in range(5000):
            src = "198.19.%d.%d" % (random.randrange(256), random.randrange(1, 255))
            p.add(1700000001.0 + i * 0.005, frame(src, "198.18.9.%d" % random.randrange(1, 255),
                                                  random.randrange(1024, 65535),
                                                  random.randrange(1, 65535), SYN))
        a = replay(t, "flood", p)
        about = [x for x in a if x["source"]["ip"].startswith(("198.18.1.", "198.18.2."))]
        flood = [x for x in a if x["source"]["ip"].startswith("198.19.")]
        full = [x for x in a if x["event"]["action"] == "flow-table-full"]
        if about:
            fail.append("SYN flood: %d alerts about permitted sessions, e.g. %s"
                        % (len(about), about[0]["message"]))
        if not flood:
            fail.append("SYN flood: the flood itself raised no alert")
        if full:
            fail.append("SYN flood: flow-table-full though nothing answered was evicted")
        print("SYN flood: %d alerts, %d about the flood, %d about the sessions"
              % (len(a), len(flood), len(about)))
        # 2. more permitted sessions than the table holds
        p = Pcap()
        sessions(p, 4, 200, 1700000000.0, 4, 3.0)
        a = replay(t, "many", p)
        false = [x for x in a if x["event"]["action"] != "flow-table-full"]
        full = [x for x in a if x["event"]["action"] == "flow-table-full"]
        if false:
            fail.append("200 sessions through 64 places: %d false alerts, e.g. %s"
                        % (len(false), false[0]["message"]))
        if not full:
            fail.append("200 sessions through 64 places: no flow-table-full self-alert")
        else:
            print("200 sessions: %d flow-table-full: %s" % (len(full), full[0]["message"]))
    for f in fail:
        print("FAIL", f)
    sys.exit(1 if fail else 0)


main()
