#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Write a capture's traffic as a cloud flow log, aggregated as the cloud does.

AWS: one record per direction of a flow (5-tuple) per network interface and aggregation
interval (60 s), with packets, bytes (IP length), first and last second, the TCP flags
AWS records (FIN 1, SYN 2, RST 4, SYN-ACK 18, OR-ed) and the action.
Azure (azure-vnet: flowLogVersion 4; azure-nsg: NSG version 2): one tuple per connection
when it begins (B) and one when it ends (E) with both directions' counters; a rejected
connection is one tuple, D. GCP: one log entry per direction and 60 s interval, reported
by both ends (reporter SRC and DEST), as exported JSON lines.

  pcap2flowlog.py [--format aws|aws-custom|azure-vnet|azure-nsg|gcp] [--header]
                  [--reject PORT]... IN.pcap OUT[.gz]

aws: the default format (version 2, 14 fields, the official order); --header writes the
field names first, as S3 delivery does. aws-custom: every field of versions 2 to 5 in
another order (a custom format), header first. --reject PORT: flows to that port are
rejected, as a security group would: the request direction is logged REJECT and its
answers never happen (they are left out). ICMP records have ports 0 as AWS writes them
(echo only: errors, neighbour discovery and MLD are left out, as the packet path does not
judge them). Records come in the order their directions began. Only Ethernet captures,
IPv4 and IPv6, TCP, UDP and ICMP."""
import gzip
import json
import socket
import struct
import sys
import time

V2 = ["version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
      "protocol", "packets", "bytes", "start", "end", "action", "log-status"]
CUSTOM = ["srcport", "tcp-flags", "dstaddr", "flow-direction", "protocol", "log-status",
          "pkt-dstaddr", "bytes", "end", "vpc-id", "srcaddr", "type", "action", "start",
          "pkt-srcaddr", "region", "packets", "dstport", "interface-id", "az-id", "version",
          "subnet-id", "account-id", "instance-id", "sublocation-type", "sublocation-id",
          "pkt-src-aws-service", "pkt-dst-aws-service", "traffic-path"]


def packets(path):
    data = open(path, "rb").read()
    end = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = data[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        f = data[off + 16:off + 16 + incl]
        off += 16 + incl
        yield sec + frac / (1e9 if nano else 1e6), f


def parse(f):
    et, i = struct.unpack("!H", f[12:14])[0], 14
    while et == 0x8100 and len(f) >= i + 4:
        et, i = struct.unpack("!H", f[i + 2:i + 4])[0], i + 4
    if et == 0x0800 and len(f) >= i + 20:
        ihl = (f[i] & 15) * 4
        tot = struct.unpack("!H", f[i + 2:i + 4])[0]
        proto, src, dst = f[i + 9], socket.inet_ntop(socket.AF_INET, f[i + 12:i + 16]), \
            socket.inet_ntop(socket.AF_INET, f[i + 16:i + 20])
        l4, length = i + ihl, tot
    elif et == 0x86DD and len(f) >= i + 40:
        proto = f[i + 6]
        src = socket.inet_ntop(socket.AF_INET6, f[i + 8:i + 24])
        dst = socket.inet_ntop(socket.AF_INET6, f[i + 24:i + 40])
        l4, length = i + 40, 40 + struct.unpack("!H", f[i + 4:i + 6])[0]
    else:
        return None
    sp = dp = flags = 0
    if proto in (6, 17) and len(f) >= l4 + 4:
        sp, dp = struct.unpack("!HH", f[l4:l4 + 4])
        if proto == 6 and len(f) >= l4 + 14:
            t = f[l4 + 13]
            flags = (1 if t & 1 else 0) | (4 if t & 4 else 0) | \
                    ((18 if t & 0x10 else 2) if t & 2 else 0)
    elif proto in (1, 58):
        if len(f) < l4 + 1 or f[l4] not in ((0, 8) if proto == 1 else (128, 129)):
            return None                   # echo only: errors, ND and MLD are not flows
    else:
        return None
    return src, dst, sp, dp, proto, length, flags


def main():
    args = sys.argv[1:]
    fmt, header, reject = "aws", False, set()
    while args and args[0].startswith("--"):
        a = args.pop(0)
        if a == "--format":
            fmt = args.pop(0)
        elif a == "--header":
            header = True
        elif a == "--reject":
            reject.add(int(args.pop(0)))
    src_path, out = args
    recs = {}
    for ts, f in packets(src_path):
        p = parse(f)
        if p is None:
            continue
        src, dst, sp, dp, proto, length, flags = p
        if dst.startswith(("224.", "ff0")) or dst == "255.255.255.255":
            continue                      # multicast and broadcast: not a flow here
        if proto in (1, 58):
            sp = dp = 0
        key = (src, dst, sp, dp, proto, int(ts) // 60)
        r = recs.setdefault(key, [0, 0, int(ts), int(ts), 0, ts])
        r[0] += 1
        r[1] += length
        r[3] = int(ts)
        r[4] |= flags
    if fmt.startswith("azure") or fmt == "gcp":
        text = (azure(recs, fmt, reject) if fmt.startswith("azure") else gcp(recs, reject))
        write(out, text.encode())
        return
    lines = []
    fields = CUSTOM if fmt == "aws-custom" else V2
    if header or fmt == "aws-custom":
        lines.append(" ".join(fields))
    # in the order the directions began (an ICMP record has no type: the earlier one is
    # the request)
    for (src, dst, sp, dp, proto, _), (n, b, start, end, flags, _) in sorted(
            recs.items(), key=lambda kv: (kv[1][5], kv[0])):
        if sp in reject and proto in (6, 17):
            continue                      # the answer to a rejected request never happens
        action = "REJECT" if dp in reject and proto in (6, 17) else "ACCEPT"
        v = {"version": "5" if fmt == "aws-custom" else "2", "account-id": "123456789012",
             "interface-id": "eni-0eastwatch0lab01", "srcaddr": src, "dstaddr": dst,
             "srcport": str(sp), "dstport": str(dp), "protocol": str(proto), "packets": str(n),
             "bytes": str(b), "start": str(start), "end": str(end), "action": action,
             "log-status": "OK", "tcp-flags": str(flags) if proto == 6 else "0",
             "flow-direction": "ingress" if dst.startswith(("198.18.3.", "fd18::3:")) else
             "egress", "pkt-srcaddr": src, "pkt-dstaddr": dst, "vpc-id": "vpc-0lab",
             "subnet-id": "subnet-0lab", "type": "IPv6" if ":" in src else "IPv4",
             "instance-id": "-", "region": "us-east-1", "az-id": "use1-az1",
             "sublocation-type": "-", "sublocation-id": "-", "pkt-src-aws-service": "-",
             "pkt-dst-aws-service": "-", "traffic-path": "-"}
        lines.append(" ".join(v[k] for k in fields))
    write(out, ("\n".join(lines) + "\n").encode())


def write(out, data):
    if out.endswith(".gz"):
        with gzip.open(out, "wb") as o:
            o.write(data)
    else:
        open(out, "wb").write(data)


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int((t % 1) * 1e6)


def connections(recs):
    """Directions joined into connections, the initiator first: the direction that sent a
    SYN without ACK, else the one that began first."""
    dirs = {}
    for (src, dst, sp, dp, proto, _), (n, b, start, end, flags, first) in recs.items():
        d = dirs.setdefault((src, dst, sp, dp, proto), [0, 0, first, first, 0])
        d[0] += n
        d[1] += b
        d[2] = min(d[2], first)
        d[3] = max(d[3], end + (first % 1))
        d[4] |= flags
    conns = []
    seen = set()
    for k, d in sorted(dirs.items(), key=lambda kv: kv[1][2]):
        src, dst, sp, dp, proto = k
        rk = (dst, src, dp, sp, proto)
        if k in seen or rk in seen:
            continue
        seen.add(k)
        r = dirs.get(rk)
        fwd, rev = (k, d), (rk, r)
        if r is not None and (r[4] & 18) == 2 and (d[4] & 18) != 2:
            fwd, rev = (rk, r), (k, d)           # the other one sent the SYN
        conns.append((fwd[0], fwd[1], rev[1] or [0, 0, 0, 0, 0]))
    return conns


def azure(recs, fmt, reject):
    v4 = fmt == "azure-vnet"
    tuples = []
    for (src, dst, sp, dp, proto), f, r in connections(recs):
        denied = dp in reject and proto in (6, 17)
        p = str(proto) if v4 else {6: "T", 17: "U"}.get(proto)
        if p is None:
            continue                          # NSG logs TCP and UDP only
        d = "I" if dst.startswith(("198.18.3.", "fd18::3:")) else "O"
        t0 = int(f[2] * 1000) if v4 else int(f[2])
        t1 = int(f[3] * 1000) if v4 else int(f[3])
        base = "%d,%s,%s,%d,%d,%s,%s" % (t0, src, dst, sp, dp, p, d)
        if denied:
            tuples.append(base + (",D,NX,%d,%d,0,0" % (f[0], f[1]) if v4 else
                                  ",D,B,%d,%d,," % (f[0], f[1])))
            continue
        tuples.append(base + (",B,NX,0,0,0,0" if v4 else ",A,B,,,,"))
        end = "%d,%s,%s,%d,%d,%s,%s" % (t1, src, dst, sp, dp, p, d)
        tuples.append(end + (",E,NX,%d,%d,%d,%d" if v4 else ",A,E,%d,%d,%d,%d")
                      % (f[0], f[1], r[0], r[1]))
    t = min((v[2] for v in recs.values()), default=0)
    if v4:
        rec = {"time": iso(t), "flowLogVersion": 4, "flowLogGUID": "00000000-0000-0000-0000-000000000001",
               "macAddress": "00224800AABB", "category": "FlowLogFlowEvent",
               "flowLogResourceID": "/SUBSCRIPTIONS/0/RESOURCEGROUPS/LAB/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NW/FLOWLOGS/LAB",
               "targetResourceID": "/subscriptions/0/resourceGroups/lab/providers/Microsoft.Network/virtualNetworks/lab",
               "operationName": "FlowLogFlowEvent",
               "flowRecords": {"flows": [{"aclID": "00000000-0000-0000-0000-000000000002",
                                          "flowGroups": [{"rule": "DefaultRule_AllowVnetInBound",
                                                          "flowTuples": tuples}]}]}}
    else:
        rec = {"time": iso(t), "systemId": "00000000-0000-0000-0000-000000000003",
               "macAddress": "00224800AABB", "category": "NetworkSecurityGroupFlowEvent",
               "resourceId": "/SUBSCRIPTIONS/0/RESOURCEGROUPS/LAB/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/LAB",
               "operationName": "NetworkSecurityGroupFlowEvents",
               "properties": {"Version": 2, "flows": [{"rule": "DefaultRule_AllowVnetInBound",
                                                       "flows": [{"mac": "00224800AABB",
                                                                  "flowTuples": tuples}]}]}}
    return json.dumps({"records": [rec]}, indent=1) + "\n"


def gcp(recs, reject):
    lines = []
    for (src, dst, sp, dp, proto, _), (n, b, start, end, flags, first) in sorted(
            recs.items(), key=lambda kv: (kv[1][5], kv[0])):
        if (dp in reject or sp in reject) and proto in (6, 17):
            continue                          # GCP logs what got through only
        conn = {"src_ip": src, "dest_ip": dst, "protocol": proto}
        if proto in (6, 17):
            conn["src_port"] = sp
            conn["dest_port"] = dp
        for reporter in ("SRC", "DEST"):
            lines.append(json.dumps({
                "insertId": "%x" % (hash((src, dst, sp, dp, reporter)) & 0xffffffff),
                "jsonPayload": {"connection": conn, "bytes_sent": str(b), "packets_sent": str(n),
                                "start_time": iso(first), "end_time": iso(end + (first % 1)),
                                "reporter": reporter},
                "logName": "projects/lab/logs/compute.googleapis.com%2Fvpc_flows",
                "resource": {"type": "gce_subnetwork"}, "timestamp": iso(end + (first % 1))}))
    return "\n".join(lines) + "\n"


main()
