# SPDX-License-Identifier: Apache-2.0
"""The UDP payloads of a capture, for the tests that send real exporters' datagrams."""
import struct


def payloads(path):
    """UDP payloads of an Ethernet/IPv4 pcap, in order."""
    data = open(path, "rb").read()
    endian = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(frame) < 42 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
            continue
        yield frame[14 + (frame[14] & 15) * 4 + 8:]
