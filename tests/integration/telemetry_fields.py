#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Field-by-field comparison of eastwatch's IPFIX / NetFlow v9 / v5 decoding with two other
collectors' decodings of the same captures, in ../shared/corpus/exporters:

  telegraf  (telegraf/*/expected.out, line protocol, one line per record): every flow
            record must match one of ours on addresses, ports, protocol, packets, bytes,
            and where telegraf gives them, start and end (ms), TCP flags and interfaces.
            sFlow flow samples (telegraf decodes the sampled header as we do) on addresses,
            ports, protocol, sampling rate, VLAN, frame length and output interface. Not
            the input interface: telegraf shows the sampler's source id as in_snmp
            (tshark shows the input interface, as we do); and for an IPv6 packet with a
            hop-by-hop header telegraf
            shows that header (hopopt) where we follow the chain to the transport.
  pmacct    (pmacct/expected/*.json, nfacctd's output): nfacctd aggregates records on its
            primitives, so both sides are summed per (addresses, ports, protocol) and the
            packet and byte sums must be equal.

Our records come from tests/tools/nfcount --records (the collector's decoder, counters as
exported). usage: telemetry_fields.py NFCOUNT EXPORTERS_DIR"""
import collections
import glob
import json
import os
import re
import subprocess
import sys

PROTO = {"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "icmpv6": 58,
         "ipv6-icmp": 58, "vrrp": 112, "sctp": 132}
# pmacct cases whose expected output depends on nfacctd's configuration, not on the
# capture alone:
PMACCT_RENORMALIZED = {"104-IPFIXv10-IPv6-CISCO-sampling_option"}   # counters x the rate
PMACCT_NOT_FROM_CAPTURE = {
    # after a reload with a sampling map in nfacctd's configuration (x 1000)
    "102-NFv9-CISCO-f2rd-pretag-sampling-reload-output-flow-01.json":
        "renormalized by a sampling map of nfacctd's configuration",
    # the data template (347) is not in the capture: its 6 data sets come before any
    # template (tshark decodes no record of them either); nfacctd had it from its
    # templates file
    "112-IPFIXv10-CISCO-options-map-reassignment-output-flow-00.json":
        "data template only in nfacctd's templates file",
}
TCP_LETTERS = "CEUAPRSF"     # telegraf's tcp_flags: one letter per bit, CWR first


def ours(nfcount, pcaps):
    out = subprocess.run([nfcount, "--records"] + pcaps, capture_output=True, text=True,
                         check=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def proto_num(v):
    v = v.strip('"')
    return int(v) if v.isdigit() else PROTO.get(v.lower(), -1)


def parse_line(line):
    """telegraf line protocol: measurement,tags fields [timestamp] -> dict of fields."""
    m = re.match(r'^(\S+?)\s+(.*?)(?:\s+\d+)?$', line.strip())
    if not m:
        return None
    fields = {}
    for part in re.findall(r'([A-Za-z0-9_]+)=("(?:[^"\\]|\\.)*"|[^,]*)', m.group(2)):
        k, v = part
        if v.startswith('"'):
            fields[k] = v[1:-1]
        else:
            fields[k] = v[:-1] if v.endswith(("u", "i")) else v
    return fields


def tcp_flags(s):
    return sum(1 << (7 - i) for i, c in enumerate(s) if c != ".")


def sflow_want(f):
    want = {"version": "sflow", "src": f["src"], "dst": f["dst"],
            "sampling": int(f["sampling_interval"]), "frame_len": int(f["l2_bytes"])}
    if f.get("protocol") != "hopopt":
        want["proto"] = proto_num(f["protocol"])
    if "src_port" in f:
        want["sport"] = int(f["src_port"])
        want["dport"] = int(f["dst_port"])
    if "vlan_src" in f:
        want["vlan"] = int(f["vlan_src"])
    # the output interface where it is one ifIndex; none where it is "multiple" (0 for us)
    want["out_if"] = int(f.get("out_snmp", 0))
    return want


def flow_want(f):
    want = {"src": f["src"], "dst": f["dst"],
            "sport": int(f.get("src_port", 0)), "dport": int(f.get("dst_port", 0)),
            "proto": proto_num(f.get("protocol", "-1")),
            "packets": int(f.get("in_packets", f.get("in_total_packets", -1))),
            "bytes": int(f.get("in_bytes", f.get("in_total_bytes", -1)))}
    if "flow_start_ms" in f:
        want["start_ms"] = int(f["flow_start_ms"])
        want["end_ms"] = int(f["flow_end_ms"])
    if "tcp_flags" in f and re.fullmatch(r"[A-Z.]{8}", f["tcp_flags"]):
        want["tcp_flags"] = tcp_flags(f["tcp_flags"])
    if "in_snmp" in f:
        want["in_if"] = int(f["in_snmp"])
    if "out_snmp" in f:
        want["out_if"] = int(f["out_snmp"])
    if want["proto"] in (1, 58):
        # telegraf shows ICMP type/code as icmp_type/icmp_code, we as the ports
        want.pop("sport")
        want.pop("dport")
    return want


def telegraf_case(nfcount, base, name):
    """Every telegraf record matches one of ours, and none of ours is left over."""
    pcap = os.path.join(base, "telegraf", "pcap", name + ".pcap")
    exp = [parse_line(l) for l in open(os.path.join(base, "telegraf", name, "expected.out"))]
    exp = [f for f in exp if f and "src" in f and "dst" in f]
    want_of = sflow_want if name.startswith("sflow") else flow_want
    unmatched = ours(nfcount, [pcap])
    problems = []
    for f in exp:
        want = want_of(f)
        hit = next((r for r in unmatched if all(r.get(k) == v for k, v in want.items())), None)
        if hit is None:
            near = [r for r in unmatched if r["src"] == want["src"] and r["dst"] == want["dst"]]
            problems.append("telegraf %s: no record of ours has %s%s" % (
                name, want, ("; nearest: %s" % near[0]) if near else ""))
        else:
            unmatched.remove(hit)
    if unmatched:
        problems.append("telegraf %s: %d records of ours that telegraf does not have, e.g. %s"
                        % (name, len(unmatched), unmatched[0]))
    return len(exp), problems


def pmacct_case(nfcount, base, jf):
    stem = os.path.basename(jf).split("-output-flow-")[0]
    pcaps = sorted(glob.glob(os.path.join(base, "pmacct", stem + "-traffic-*.pcap")))
    key = lambda src, dst, sp, dp, pr: (src, dst, sp, dp, pr)
    want = collections.Counter()
    wantb = collections.Counter()
    n = 0
    for l in open(jf):
        if not l.strip():
            continue
        a = json.loads(l)
        if "ip_src" not in a:
            continue
        n += 1
        k = key(a["ip_src"], a["ip_dst"], a.get("port_src", 0), a.get("port_dst", 0),
                proto_num(str(a.get("ip_proto", "-1"))))
        want[k] += a["packets"]
        wantb[k] += a["bytes"]
    got = collections.Counter()
    gotb = collections.Counter()
    scale = stem in PMACCT_RENORMALIZED
    for r in ours(nfcount, pcaps):
        k = key(r["src"], r["dst"], r["sport"], r["dport"], r["proto"])
        got[k] += r["packets"] * (r["sampling"] if scale else 1)
        gotb[k] += r["bytes"] * (r["sampling"] if scale else 1)
    problems = []
    for k in sorted(set(want) | set(got), key=str):
        if want[k] != got[k] or wantb[k] != gotb[k]:
            problems.append("pmacct %s: %s: nfacctd %d packets %d bytes, eastwatch %d packets "
                            "%d bytes" % (stem, k, want[k], wantb[k], got[k], gotb[k]))
    return n, problems


def main():
    nfcount, base = sys.argv[1], sys.argv[2]
    failed = 0
    cases = ["ipfix_example", "ipfix_pen_35632", "issue_13305", "issue_14370",
             "netflow_v5_example", "netflow_v9_example", "sflow_issue_15918"]
    for name in cases:
        n, problems = telegraf_case(nfcount, base, name)
        status = "ok  " if not problems else "FAIL"
        print("%s telegraf %-20s %3d flow records compared" % (status, name, n))
        for p in problems[:5]:
            print("     " + p)
        failed += bool(problems)
    for jf in sorted(glob.glob(os.path.join(base, "pmacct", "expected", "*.json"))):
        why = PMACCT_NOT_FROM_CAPTURE.get(os.path.basename(jf))
        if why:
            print("skip pmacct   %-50s (%s)" % (os.path.basename(jf), why))
            continue
        n, problems = pmacct_case(nfcount, base, jf)
        status = "ok  " if not problems else "FAIL"
        print("%s pmacct   %-50s %3d aggregates compared" % (status, os.path.basename(jf), n))
        for p in problems[:5]:
            print("     " + p)
        failed += bool(problems)
    print("telemetry fields: %s" % ("all match" if not failed else "%d cases differ" % failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
