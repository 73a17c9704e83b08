#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Send NetFlow v5 to a collector at a steady rate: each record a new TCP connection
attempt (SYN) between two 198.18.0.0/15 addresses on a port no rule of the example
policy allows, so every record is one distinct policy violation. Every source address
makes one attempt only (48,000 of them before they repeat), so the scan detector sees
no scanner and folds nothing.

usage: nf5_stream.py ADDR PORT RECORDS_PER_S SECONDS [FIRST_INDEX]
Prints the number of records sent. Only loopback is used as a destination in the tests."""
import socket
import struct
import sys
import time

addr, port, rate, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
first = int(sys.argv[5]) if len(sys.argv) > 5 else 0
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t0 = time.time()
seq = 0
i = first
per = 10
sent = 0
while time.time() - t0 < secs:
    now = time.time()
    up = int((now - t0) * 1000) + 1000
    recs = b""
    for _ in range(per):
        src = bytes([198, 19, 10 + (i // 240) % 200, i % 240 + 1])
        dst = bytes([198, 19, 220, (i * 7) % 250 + 1])
        dport = 20000 + (i % 7)
        recs += struct.pack("!4s4s4sHHIIIIHHBBBBHHBBH", src, dst, b"\0\0\0\0", 0, 0, 1, 60,
                            up - 5, up, 40000 + i % 20000, dport, 0, 0x02, 6, 0, 0, 0, 0, 0, 0)
        i += 1
    hdr = struct.pack("!HHIIIIBBH", 5, per, up, int(now), 0, seq, 0, 0, 0)
    seq += per
    s.sendto(hdr + recs, (addr, port))
    sent += per
    target = t0 + sent / rate
    if target > time.time():
        time.sleep(target - time.time())
print(sent)
