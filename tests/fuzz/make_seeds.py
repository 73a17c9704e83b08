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
import subprocess
import sys

# fuzz_decode_pkt.c's dlts[] order
DLT_INDEX = {1: 0, 101: 1, 12: 1, 0: 2, 108: 3, 113: 4, 276: 5, 228: 6, 229: 7}


ALERTS = [
    '{"@timestamp":"2026-11-21T22:59:03.091Z","event":{"kind":"alert","action":"policy-violation",'
    '"category":["network"],"type":["connection"],"severity":90,"dataset":"eastwatch.alert"},'
    '"rule":{"name":"ssh-between-servers"},"message":"198.18.1.11 [web] opened SSH (tcp/22) to '
    '198.18.3.10 [db], which deny rule ssh-between-servers forbids (rules.d/10-tiers.yaml:24)",'
    '"source":{"ip":"198.18.1.11","port":48244,"packets":3,"bytes":205},"destination":{"ip":'
    '"198.18.3.10","port":22,"packets":1,"bytes":60},"network":{"transport":"tcp","protocol":'
    '"ssh","type":"ipv4","iana_number":"6"},"observer":{"name":"vm","type":"pcap"},"eastwatch":'
    '{"severity":"critical","app_source":"dpi","app":"SSH","source_groups":["web"],'
    '"destination_groups":["db"],"repeats":0,"alert_id":"7f9fe459a74d9809","decided_by":'
    '"deny-rule","rule_file":"rules.d/10-tiers.yaml:24","risks":["Known Proto on Non Std Port"],'
    '"notify":["email"],"flow_start":"2026-11-21T22:59:03.090Z"}}\n',
    '{"@timestamp":"2026-11-21T22:59:03.458Z","event":{"kind":"alert","action":"telemetry-gap"},'
    '"rule":{"name":"telemetry-gap"},"message":"exporter \\u00e9 silent","source":{"ip":'
    '"fd18::1:11","port":0},"destination":{"ip":"::","port":0},"network":{"transport":"47",'
    '"protocol":"unknown","iana_number":"47","vlan":{"id":7}},"observer":{"name":"x","type":'
    '"ipfix"},"eastwatch":{"severity":"high","alert_id":"0"}}',
]


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


FLOWS = [
    '{"@timestamp":"2026-11-21T22:59:01.661Z","ecs":{"version":"9.5.0-dev"},"event":{"kind":"event",'
    '"category":["network"],"type":["connection","end"],"action":"flow","dataset":"eastwatch.flow",'
    '"start":"2026-11-21T22:59:01.656Z","end":"2026-11-21T22:59:01.661Z","duration":5350000},'
    '"source":{"ip":"198.18.1.11","port":49520,"packets":11,"bytes":1303},"destination":'
    '{"ip":"198.18.2.20","port":8443,"packets":8,"bytes":6955},"network":{"transport":"tcp",'
    '"protocol":"tls","application":"tls","type":"ipv4","iana_number":"6","direction":"internal",'
    '"bytes":8258,"packets":19,"community_id":"1:6wZulqA/qXOJK5fyMJnTCrmNz+o=","vlan":{"id":"12"}},'
    '"related":{"ip":["198.18.1.11","198.18.2.20"]},"observer":{"name":"vm","type":"pcap",'
    '"vendor":"eastwatch","product":"eastwatch","version":"0.1.0"},"rule":{"name":"web-to-app"},'
    '"eastwatch":{"app":"TLS","app_source":"dpi","port_app":"unknown","verdict":"allow",'
    '"decided_by":"allow-rule","source_groups":["web"],"destination_groups":["app"],'
    '"end_reason":"shutdown","risk":16777248,"tcp_flags":[27,27]}}',
    '{"@timestamp":"2026-11-21T22:59:03.091Z","event":{"action":"flow","start":"2026-11-21T22:59:03.091Z",'
    '"end":"2026-11-21T22:59:03.091Z"},"source":{"ip":"fd18::1:11","port":40000},"destination":'
    '{"ip":"fd18::3:10","port":22,"packets":0},"network":{"iana_number":"6"},"eastwatch":{"app":'
    '"Unknown\\u00e9","verdict":"deny","source_groups":[],"tcp_flags":[2,0]}}',
]


def main():
    corpus, src, out = sys.argv[1:4]
    for sub in ("decode_pkt", "pipeline", "policy", "ipfix", "sflow", "alert", "pcapng", "flowlog",
                "flow"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    n = 0
    for root, _, files in os.walk(corpus):
        for name in sorted(files):
            if not name.endswith((".pcap", ".pcapng", ".cap")):
                continue
            if name.endswith(".pcapng"):    # the first blocks of each pcapng file
                with open(os.path.join(root, name), "rb") as fi, \
                        open(os.path.join(out, "pcapng", name), "wb") as fo:
                    fo.write(fi.read(60000))
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
    # a template flood (issue 17): datagrams defining 256 templates each, then data
    flood = b""
    for k in range(6):
        recs = b"".join(struct.pack(">HHHH", i, 1, 8, 4) for i in range(256, 512))
        st = struct.pack(">HH", 2, 4 + len(recs)) + recs
        msg = struct.pack(">HHIII", 10, 16 + len(st), 0, k, k % 3) + st
        flood += struct.pack(">H", len(msg)) + msg
    data = struct.pack(">HH", 300, 8) + bytes([198, 18, 1, 1])
    msg = struct.pack(">HHIII", 10, 16 + len(data), 0, 9, 1) + data
    flood += struct.pack(">H", len(msg)) + msg
    with open(os.path.join(out, "ipfix", "template-flood"), "wb") as fo:
        fo.write(flood)
    # cloud flow logs: AWS VPC Flow Logs, default and custom formats
    flowlogs = {
        "aws-default": "2 123456789012 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 "
                       "4249 1418530010 1418530070 ACCEPT OK\n2 123456789010 eni-1 - - - - - - - "
                       "1431280876 1431280934 - NODATA\n",
        "aws-header": "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
                      "bytes start end action log-status\n2 1 eni-1 198.18.1.1 198.18.3.10 40000 22 6 3 "
                      "180 1700000000 1700000001 REJECT OK\n",
        "aws-v5": "flow-direction dstport srcport tcp-flags pkt-dstaddr pkt-srcaddr dstaddr srcaddr "
                  "protocol start end bytes packets action log-status version\negress 5432 50318 2 "
                  "fd18::2 fd18::1 fd18::2 fd18::9 6 1700000000 1700000060 180 3 ACCEPT OK 5\n",
    }
    flowlogs["azure-vnet"] = ('{"records": [{"time": "2022-09-14T09:00:52Z", "flowLogVersion": 4, '
        '"flowRecords": {"flows": [{"aclID": "x", "flowGroups": [{"rule": "r", "flowTuples": ['
        '"1663146003599,10.0.0.6,192.0.2.180,23956,443,6,O,B,NX,0,0,0,0", '
        '"1663146003606,10.0.0.6,192.0.2.180,23956,443,6,O,E,NX,3,767,2,1580"]}]}]}}]}\n')
    flowlogs["azure-nsg"] = ('{"records": [{"time": "2018-11-13T12:00:35Z", "category": '
        '"NetworkSecurityGroupFlowEvent", "properties": {"Version": 2, "flows": [{"rule": "r", '
        '"flows": [{"mac": "000D3AF87856", "flowTuples": ["1542110377,94.102.49.190,10.5.16.4,'
        '28746,443,T,I,D,B,,,,"]}]}]}}]}\n')
    flowlogs["gcp"] = ('{"jsonPayload": {"bytes_sent": "1510", "connection": {"dest_ip": "10.0.0.2", '
        '"dest_port": 22, "protocol": 6, "src_ip": "35.235.241.16", "src_port": 48357}, '
        '"end_time": "2024-03-01T10:00:05Z", "packets_sent": "9", "reporter": "DEST", '
        '"start_time": "2024-03-01T10:00:00Z"}}\n')
    for name, text in flowlogs.items():
        with open(os.path.join(out, "flowlog", name), "w") as f:
            f.write(text)
    # hostile YAML (issue 17): aliases, nesting, NUL, bad UTF-8, a second document
    hostile = {
        "laughs.yaml": b"a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\n"
                       b"d: [*c, *c, *c, *c]\n",
        "deep.yaml": b"{" * 200,
        "nul.yaml": b"groups:\n  g: { members: [198.18.0.1] }\nx: a\0b\n",
        "escnul.yaml": b'groups:\n  g: { description: "a\\0b", members: [198.18.0.1] }\n',
        "utf8.yaml": b"groups:\n  g\xff: { members: [198.18.0.1] }\n",
        "two.yaml": b"deny:\n  - { name: a, from: any, to: any }\n---\ndeny: []\n",
        "range6.yaml": b'groups:\n  all: { members: ["::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"] }\n',
    }
    for name, text in hostile.items():
        with open(os.path.join(out, "policy", "hostile-" + name), "wb") as f:
            f.write(text)
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
    # alerts as sensors write them (fmt_json), for the alerter's parser
    for i, line in enumerate(ALERTS):
        with open(os.path.join(out, "alert", f"alert-{i}.json"), "wb") as f:
            f.write(line.encode())
    # flow records as sensors write them (fmt_flow), for analyze's and learn's parser
    for i, line in enumerate(FLOWS):
        with open(os.path.join(out, "flow", f"flow-{i}.json"), "wb") as f:
            f.write(line.encode())
    # pcapng of two unlike interfaces (the files libpcap refuses), both byte orders
    tool = os.path.join(src, "tests", "tools", "pcap2ng.py")
    sample = os.path.join(src, "tests", "data", "sample.pcap")
    for order in ([], ["--big-endian"]):
        dst = os.path.join(out, "pcapng", "mixed" + "".join(order) + ".pcapng")
        subprocess.run([sys.executable, tool, sample, dst] + order, check=True)
    print(f"{n} frame seeds written to {out}")


if __name__ == "__main__":
    main()
