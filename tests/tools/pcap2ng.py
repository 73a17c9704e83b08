#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Write a pcap file's packets as pcapng with two interfaces that libpcap 1.10 refuses
to mix (different snapshot lengths; optionally nanosecond timestamps on the second),
packets alternating between them, as dumpcap does capturing two interfaces at once.

usage: pcap2ng.py IN.pcap OUT.pcapng [--big-endian]
"""
import struct
import sys


def main():
    src, dst = sys.argv[1], sys.argv[2]
    e = ">" if "--big-endian" in sys.argv else "<"
    data = open(src, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    le = magic in (0xa1b2c3d4, 0xa1b23c4d)
    pe = "<" if le else ">"
    nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
    linktype = struct.unpack(pe + "I", data[20:24])[0]

    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = len(body) + 12
        return struct.pack(e + "II", btype, n) + body + struct.pack(e + "I", n)

    out = [block(0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1))]
    out.append(block(1, struct.pack(e + "HHI", linktype, 0, 262144)))
    # the second interface: snapshot length 65535 and timestamps in nanoseconds
    opt = struct.pack(e + "HH", 9, 1) + b"\x09\0\0\0" + struct.pack(e + "HH", 0, 0)
    out.append(block(1, struct.pack(e + "HHI", linktype, 0, 65535) + opt))
    off, i = 24, 0
    while off + 16 <= len(data):
        sec, frac, cap, orig = struct.unpack(pe + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + cap]
        off += 16 + cap
        iface = i % 2
        us = sec * 1000000 + (frac // 1000 if nano else frac)
        ts = us * 1000 if iface == 1 else us
        out.append(block(6, struct.pack(e + "IIIII", iface, ts >> 32, ts & 0xffffffff, cap,
                                        orig) + pkt))
        i += 1
    open(dst, "wb").write(b"".join(out))


if __name__ == "__main__":
    main()
