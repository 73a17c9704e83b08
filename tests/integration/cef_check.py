#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""CEF as a receiver parses it: a replay of nDPI's corpus and the sample capture sends
its alerts to a syslog sink in CEF over UDP (RFC 5424) to a listener of our own and as
JSON to a file. Each datagram must be valid UTF-8; its CEF is parsed by the format's
rules (seven '|'-separated header fields with \\| and \\\\ escapes; an extension of
key=value pairs with \\= \\\\ \\n escapes, a value running to the next key); and every
alert's CEF must say what its JSON says: src/dst for IPv4 or c6a2/c6a3 (with their
labels) for IPv6, spt/dpt, in = bytes from source to destination, out = the reverse,
start = the flow's first packet, end = rt = the alert's time, cat = act = event.action,
externalId = event.id.

usage: cef_check.py EASTWATCH SOURCE_DIR CORPUS_DIR"""
import calendar
import glob
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

ew, src, corpus = sys.argv[1:4]
fails = []


def parse_cef(s):
    if not s.startswith("CEF:"):
        raise ValueError("no CEF: prefix")
    fields, cur, i = [], "", 4
    while len(fields) < 7:
        c = s[i]
        if c == "\\" and s[i + 1] in "|\\":
            cur += s[i + 1]
            i += 2
            continue
        if c == "|":
            fields.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    ext, pos = {}, 0
    rest = s[i:]
    keys = list(re.finditer(r"(?:^|(?<= ))([A-Za-z0-9_]+)=", rest))
    # a key starts only where '=' is not escaped
    keys = [m for m in keys if not (m.start(1) > 0 and rest[m.start(1) - 1] == "\\")]
    for k, m in enumerate(keys):
        end = keys[k + 1].start() - 1 if k + 1 < len(keys) else len(rest)
        raw = rest[m.end():end]
        val = re.sub(r"\\(.)", lambda x: {"n": "\n", "r": "\r"}.get(x.group(1), x.group(1)), raw)
        ext[m.group(1)] = val
    return fields, ext


def ms(rfc3339):
    t = time.strptime(rfc3339[:19], "%Y-%m-%dT%H:%M:%S")
    return calendar.timegm(t) * 1000 + int(rfc3339[20:23])


got = []
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:   # a burst of a thousand datagrams: past net.core.rmem_max as root
    sock.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)   # SO_RCVBUFFORCE
except OSError:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
sock.bind(("127.0.0.1", 0))
port = sock.getsockname()[1]
sock.settimeout(0.5)
stop = False


def listen():
    while not stop:
        try:
            got.append(sock.recv(65535))
        except socket.timeout:
            pass


threading.Thread(target=listen, daemon=True).start()
with tempfile.TemporaryDirectory() as t:
    cfg = os.path.join(t, "c.yaml")
    with open(cfg, "w") as f:
        f.write(f'sinks:\n  - {{ type: syslog, address: "127.0.0.1:{port}", transport: udp, '
                f'format: cef }}\n')
    pcaps = sorted(glob.glob(os.path.join(corpus, "ndpi-4.2/pcap/*.pcap"))) + \
        [os.path.join(src, "tests/data/sample.pcap")]
    out = os.path.join(t, "a.json")
    r = subprocess.run([ew, "replay", "-q", "--rules", os.path.join(src, "rules.d"), "--config",
                        cfg, "-o", out] + pcaps, capture_output=True, text=True, timeout=300)
    time.sleep(1)
    stop = True
    alerts = {}
    for l in open(out):
        a = json.loads(l)
        alerts[a["event"]["id"]] = a
cefs = {}
for d in got:
    try:
        text = d.decode("utf-8")
    except UnicodeDecodeError as e:
        fails.append(f"not UTF-8: {e}")
        continue
    i = text.find("CEF:")
    if i < 0:
        fails.append("no CEF in " + text[:80])
        continue
    try:
        hdr, ext = parse_cef(text[i:])
    except (ValueError, IndexError) as e:
        fails.append(f"unparsable CEF ({e}): {text[i:i + 120]}")
        continue
    cefs[ext.get("externalId")] = (hdr, ext)
for aid, a in alerts.items():
    if aid not in cefs:
        fails.append(f"alert {aid}: no CEF message")
        continue
    hdr, e = cefs[aid]
    want = {"spt": str(a["source"]["port"]), "dpt": str(a["destination"]["port"]),
            "in": str(a["source"]["bytes"]), "out": str(a["destination"]["bytes"]),
            "cat": a["event"]["action"], "act": a["event"]["action"],
            "rt": str(ms(a["@timestamp"])), "end": str(ms(a["@timestamp"])),
            "start": str(ms(a["eastwatch"]["flow_start"])), "msg": a["message"],
            "cs3": a["rule"]["name"]}
    for side, k4, k6, lab in (("source", "src", "c6a2", "Source IPv6 Address"),
                              ("destination", "dst", "c6a3", "Destination IPv6 Address")):
        ip = a[side]["ip"]
        if ":" in ip:
            want[k6] = ip
            want[k6 + "Label"] = lab
            if k4 in e:
                fails.append(f"alert {aid}: IPv6 {ip} in {k4}")
        else:
            want[k4] = ip
    for k, v in want.items():
        if e.get(k) != v:
            fails.append(f"alert {aid}: {k}={e.get(k)!r}, its JSON says {v!r}")
    if hdr[4] != a["rule"]["name"] or hdr[0] != "0" or hdr[1] != "eastwatch":
        fails.append(f"alert {aid}: header {hdr[:5]}")
for f in fails[:20]:
    print("FAIL", f)
v6 = sum(1 for h, e in cefs.values() if "c6a2" in e or "c6a3" in e)
if not fails and len(alerts) > 100:
    print(f"ok cef_check: {len(alerts)} alerts, each one's CEF (parsed by the format's rules, "
          f"valid UTF-8; {v6} with IPv6 ends) says what its JSON says: addresses, ports, "
          f"in/out, start/end, cat")
    sys.exit(0)
print(f"FAIL cef_check: {len(fails)} problems, {len(alerts)} alerts, {len(cefs)} CEF messages")
sys.exit(1)
