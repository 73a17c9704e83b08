#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A NetFlow v9 capture as a router with NBAR2 exports it: an options template and
data naming APPS applications (Cisco's table has about 1,400; the decoder keeps the
first 512 of an exporter's), then RECORDS flow records, 24 a datagram, each with an
application id drawn at random from the whole table (so some are not among those kept),
addresses from 198.18.0.0/15. For `bench_telemetry decode` and `bench_telemetry send`.

usage: nbar_capture.py OUT.pcap [RECORDS [APPS]]   (default 100000 records, 1400 apps)"""
import random
import struct
import sys

out = sys.argv[1]
nrec = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
napps = int(sys.argv[3]) if len(sys.argv) > 3 else 1400
rnd = random.Random(7)
seq = 0


def v9(flowsets, count):
    global seq
    seq += 1
    return struct.pack(">HHIIII", 9, count, 1000000, 1700000000, seq, 0) + b"".join(flowsets)


def flowset(fid, body):
    pad = (-len(body)) % 4
    return struct.pack(">HH", fid, 4 + len(body) + pad) + body + b"\0" * pad


def app_id(k):                       # engine 3 (NBAR), selector k
    return 3 << 24 | (k + 1)


frames = []
# options template 260: scope system (1, 4 bytes); applicationId (95, 4), applicationName (96, 32)
frames.append(v9([flowset(1, struct.pack(">HHHHHHHHH", 260, 4, 8, 1, 4, 95, 4, 96, 32))], 1))
for first in range(0, napps, 32):
    recs = b"".join(struct.pack(">II32s", 0, app_id(k), ("app-%d" % k).encode())
                    for k in range(first, min(first + 32, napps)))
    frames.append(v9([flowset(260, recs)], min(32, napps - first)))
# data template 262
fields = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (2, 4), (1, 4), (95, 4)]
frames.append(v9([flowset(0, struct.pack(">HH", 262, len(fields)) +
                          b"".join(struct.pack(">HH", t, n) for t, n in fields))], 1))
left = nrec
while left:
    n = min(24, left)
    left -= n
    recs = b""
    for _ in range(n):
        a = rnd.getrandbits(17)
        b = rnd.getrandbits(17)
        recs += struct.pack(">4s4sHHBII I", bytes([198, 18 + (a >> 16), (a >> 8) & 255, a & 255]),
                            bytes([198, 18 + (b >> 16), (b >> 8) & 255, b & 255]),
                            rnd.randrange(1024, 65536), rnd.choice((22, 53, 80, 443, 3306)),
                            6, 10, 1500, app_id(rnd.randrange(napps)))
    frames.append(v9([flowset(262, recs)], n))

with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, p in enumerate(frames):
        udp = struct.pack(">HHHH", 40000, 2055, 8 + len(p), 0) + p
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                         bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2])) + udp
        eth = b"\0\1\2\3\4\5" + b"\0\1\2\3\4\6" + b"\x08\x00" + ip
        f.write(struct.pack("<IIII", 1700000000 + i // 1000, (i % 1000) * 1000, len(eth), len(eth)))
        f.write(eth)
