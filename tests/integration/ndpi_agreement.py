#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""nDPI agreement: eastwatch's application per flow against nDPI's own expected results.

For every capture of ../shared/corpus/ndpi-4.2 (and its 4.4 supplement) this replays the
file with `eastwatch replay --flows`, parses the ground-truth `.out` file that ndpiReader
wrote, matches flows by protocol and unordered endpoints, and compares the application
names ("TLS.Google", "SSH", "Unknown"). It prints every disagreement and fails when fewer
than --min (default 95%) of the flows agree.

usage: ndpi_agreement.py EASTWATCH CORPUS_DIR RULES_DIR [--min 95] [--report FILE]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

FLOW_RE = re.compile(r"^\t\d+\t(\w+) (\S+) (<->|->) (\S+) (?:\[VLAN: \d+\])?\[proto: [\d.]+/([^\]]+)\]")


def split_endpoint(s):
    # 1.2.3.4:80 or [fe80::1]:80 ; ndpiReader prints IPv6 as [addr]:port
    if s.startswith("["):
        addr, port = s[1:].rsplit("]:", 1)
    else:
        addr, port = s.rsplit(":", 1)
    return addr, int(port)


def expected_flows(path):
    flows = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = FLOW_RE.match(line)
            if not m:
                continue
            l4, a, _, b, name = m.groups()
            ea, eb = split_endpoint(a), split_endpoint(b)
            key = (l4.upper(), tuple(sorted([ea, eb])))
            flows.setdefault(key, name)
    return flows


L4 = {"tcp": "TCP", "udp": "UDP", "icmp": "ICMP", "ipv6-icmp": "ICMP6"}


def observed_flows(eastwatch, pcap, rules):
    with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
        subprocess.run([eastwatch, "replay", "--quiet", "--rules", rules, "--output",
                        os.devnull, "--flows", tmp.name, pcap], check=True)
        flows = {}
        with open(tmp.name) as f:
            for line in f:
                r = json.loads(line)
                l4 = L4.get(r["network"]["transport"], r["network"]["transport"])
                ea = (r["source"]["ip"], r["source"]["port"])
                eb = (r["destination"]["ip"], r["destination"]["port"])
                key = (l4, tuple(sorted([ea, eb])))
                flows.setdefault(key, r["eastwatch"]["app"])
        return flows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("eastwatch")
    ap.add_argument("corpus")
    ap.add_argument("rules")
    ap.add_argument("--min", type=float, default=95.0)
    ap.add_argument("--report")
    args = ap.parse_args()

    pairs = []
    for sub in ("", "supplement-4.4"):
        base = os.path.join(args.corpus, sub)
        pdir, rdir = os.path.join(base, "pcap"), os.path.join(base, "result")
        if not os.path.isdir(pdir):
            continue
        for name in sorted(os.listdir(pdir)):
            out = os.path.join(rdir, name + ".out")
            if os.path.exists(out):
                pairs.append((os.path.join(pdir, name), out, sub or "4.2"))
    if not pairs:
        print("no captures found under", args.corpus)
        return 1

    total = agree = missing = 0
    lines = []
    for pcap, out, tag in pairs:
        exp = expected_flows(out)
        obs = observed_flows(args.eastwatch, pcap, args.rules)
        ok = 0
        for key, name in exp.items():
            got = obs.get(key)
            total += 1
            if got is None:
                missing += 1
                lines.append(f"  {os.path.basename(pcap)} ({tag}): {key[0]} {key[1]}: "
                             f"nDPI {name}, eastwatch has no such flow")
            elif got.lower() == name.lower():
                ok += 1
                agree += 1
            else:
                lines.append(f"  {os.path.basename(pcap)} ({tag}): {key[0]} {key[1]}: "
                             f"nDPI {name}, eastwatch {got}")
        print(f"{os.path.basename(pcap):40s} {ok:5d}/{len(exp):5d} flows agree")
    pct = 100.0 * agree / total
    summary = (f"nDPI agreement: {agree}/{total} flows ({pct:.2f}%), {missing} not found; "
               f"required {args.min}%")
    print("\ndisagreements:")
    print("\n".join(lines) if lines else "  none")
    print(summary)
    if args.report:
        with open(args.report, "w") as f:
            f.write(summary + "\n" + "\n".join(lines) + "\n")
    passed = pct >= args.min
    print(f"{1 if passed else 0} passed, {0 if passed else 1} failed")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
