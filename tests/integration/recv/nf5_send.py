#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Send one NetFlow v5 record (a TCP connection attempt SRC -> DST:PORT) to a collector.

usage: nf5_send.py ADDR PORT SRC DST DPORT SPORT     (loopback collectors only)"""
import socket
import struct
import sys
import time

addr, port, src, dst, dport, sport = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], \
    int(sys.argv[5]), int(sys.argv[6])
up = 100000
rec = struct.pack("!4s4s4sHHIIIIHHBBBBHHBBH", socket.inet_aton(src), socket.inet_aton(dst),
                  b"\0\0\0\0", 0, 0, 1, 60, up - 5, up, sport, dport, 0, 0x02, 6, 0, 0, 0, 0, 0, 0)
hdr = struct.pack("!HHIIIIBBH", 5, 1, up, int(time.time()), 0, sport, 0, 0, 0)
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(hdr + rec, (addr, port))
