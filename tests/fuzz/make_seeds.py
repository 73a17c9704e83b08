#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Build the fuzz seed corpora from the shared captures and the project's policies.

make_seeds.py CORPUS_DIR SOURCE_DIR OUT_DIR writes
  OUT/decode_pkt/*  one frame each, prefixed with the fuzz target's link-type index
  OUT/pipeline/*    up to 300 Ethernet frames of one capture, each as u16 length + frame
  OUT/policy/*      the example rules.d files and a merged policy
The captures stay in ../shared/corpus; only derived seeds are written, under the build.
"""
import os
import struct
import sys

# fuzz_decode_pkt.c's dlts[] order
DLT_INDEX = {1: 0, 101: 1, 12: 1, 0: 2, 108: 3, 113: 4, 276: 5, 228: 6, 229: 7}


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return None, []
    magic = data[:4]
    out = []
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
        off = 24
        while off + 16 <= len(data):
            incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
            off += 16
            out.append(data[off:off + incl])
            off += incl
        return linktype, out
    if magic == b"\x0a\x0d\x0d\x0a":      # pcapng: section header, IDB, EPBs
        e = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        off, linktype = 0, None
        while off + 12 <= len(data):
            btype, blen = struct.unpack(e + "II", data[off:off + 8])
            if blen < 12:
                break
            body = data[off + 8:off + blen - 4]
            if btype == 1 and linktype is None:
                linktype = struct.unpack(e + "H", body[:2])[0]
            elif btype == 6 and len(body) >= 20:
                cap = struct.unpack(e + "I", body[12:16])[0]
                out.append(body[20:20 + cap])
            off += blen
        return linktype, out
    return None, []


def main():
    corpus, src, out = sys.argv[1:4]
    for sub in ("decode_pkt", "pipeline", "policy", "ipfix", "sflow"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    n = 0
    for root, _, files in os.walk(corpus):
        for name in sorted(files):
            if not name.endswith((".pcap", ".pcapng", ".cap")):
                continue
            lt, fr = frames(os.path.join(root, name))
            if lt not in DLT_INDEX or not fr:
                continue
            step = max(1, len(fr) // 40)
            for i in range(0, len(fr), step):
                with open(os.path.join(out, "decode_pkt", f"{name}-{i}"), "wb") as f:
                    f.write(bytes([DLT_INDEX[lt]]) + fr[i])
                n += 1
            if lt == 1:
                with open(os.path.join(out, "pipeline", name), "wb") as f:
                    for fr1 in fr[:300]:
                        f.write(struct.pack(">H", min(len(fr1), 65535)) + fr1[:65535])
    # flow telemetry: each exporter capture's UDP payloads, as u16 length + datagram
    exp = os.path.join(corpus, "exporters")
    for root, _, files in os.walk(exp):
        for name in sorted(files):
            if not name.endswith(".pcap"):
                continue
            lt, fr = frames(os.path.join(root, name))
            if lt != 1:
                continue
            seed = b""
            for f in fr:
                if len(f) < 42 or f[12:14] not in (b"\x08\x00", b"\x86\xdd"):
                    continue
                ip = 14
                if f[12:14] == b"\x08\x00":
                    if f[ip + 9] != 17:
                        continue
                    udp = ip + (f[ip] & 15) * 4
                else:
                    if f[ip + 6] != 17:
                        continue
                    udp = ip + 40
                payload = f[udp + 8:]
                if payload[:4] == b"\0\0\0\5":     # sFlow: one datagram per seed
                    rel = os.path.relpath(os.path.join(root, name), exp).replace("/", "_")
                    with open(os.path.join(out, "sflow", f"{rel}-{len(seed)}"), "wb") as fo:
                        fo.write(payload)
                seed += struct.pack(">H", min(len(payload), 65535)) + payload[:65535]
            if seed:
                rel = os.path.relpath(os.path.join(root, name), exp).replace("/", "_")
                with open(os.path.join(out, "ipfix", rel), "wb") as fo:
                    fo.write(seed)
    merged = b""
    rules = os.path.join(src, "rules.d")
    for name in sorted(os.listdir(rules)):
        with open(os.path.join(rules, name), "rb") as f:
            text = f.read()
        merged += text
        with open(os.path.join(out, "policy", name), "wb") as f:
            f.write(text)
    with open(os.path.join(out, "policy", "merged.yaml"), "wb") as f:
        f.write(merged)
    print(f"{n} frame seeds written to {out}")


if __name__ == "__main__":
    main()
