#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Cloud flow logs through `eastwatch replay`: the lab's capture (tests/data/sample.pcap)
written as flow logs by tests/tools/pcap2flowlog.py (aggregated as each cloud does) must
give exactly the lab's seven violations and nothing on its permitted traffic: AWS VPC
Flow Logs in the default format (with and without the header line, plain and gzip) and
in a custom format of every version 2-5 field in another order; Azure virtual network
flow logs (version 4) and NSG flow logs (version 2); GCP VPC Flow Logs as exported JSON
lines, both ends reporting. A REJECT (AWS) or a denied tuple (Azure) shows as
event.outcome "failure" and in the message, an ACCEPT as "success"; GCP has no action. A file with broken lines, a version 1 line and a gzip stream cut short is
read as far as it goes, the errors counted in the log, exit 0.

usage: flowlog_replay.py EASTWATCH SOURCE_DIR"""
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile

ew, src = sys.argv[1:3]
conv = os.path.join(src, "tests", "tools", "pcap2flowlog.py")
sample = os.path.join(src, "tests", "data", "sample.pcap")
WANT = {
    ("default", "198.18.1.11", "198.18.3.10", 6379),
    ("default", "198.18.1.12", "198.18.2.20", 443),
    ("default", "198.18.1.12", "198.18.2.20", 6379),
    ("default", "198.18.1.12", "198.18.2.20", 80),
    ("ssh-between-servers", "198.18.1.11", "198.18.3.10", 22),
    ("ssh-between-servers", "198.18.1.12", "198.18.2.20", 22),
    ("ssh-between-servers", "fd18::1:11", "fd18::3:10", 22),
}
fail = []


def replay(path):
    r = subprocess.run([ew, "replay", "-q", "--rules", os.path.join(src, "rules.d"), path],
                       capture_output=True, text=True)
    alerts = [json.loads(l) for l in r.stdout.splitlines()]
    return r.returncode, alerts, r.stderr


def key(a):
    return (a["rule"]["name"], a["source"]["ip"], a["destination"]["ip"], a["destination"]["port"])


with tempfile.TemporaryDirectory() as t:
    cases = [("default, header, plain", ["--header"], "a.log", set()),
             ("default, gzip", [], "b.log.gz", set()),
             ("custom v5 order, gzip, REJECT 6379", ["--format", "aws-custom", "--reject", "6379"],
              "c.log.gz", {6379}),
             ("Azure VNet v4", ["--format", "azure-vnet"], "d.json", set()),
             ("Azure NSG v2, gzip, denied 6379", ["--format", "azure-nsg", "--reject", "6379"],
              "e.json.gz", {6379}),
             ("GCP, both ends reporting, gzip", ["--format", "gcp"], "f.json.gz", None)]
    for name, opts, out, rejected in cases:
        path = os.path.join(t, out)
        subprocess.run([sys.executable, conv] + opts + [sample, path], check=True)
        rc, alerts, err = replay(path)
        got = {key(a) for a in alerts}
        if rc != 0 or got != WANT:
            fail.append("%s: exit %d, missing %s, extra %s %s" % (name, rc, sorted(WANT - got),
                                                                 sorted(got - WANT), err[-300:]))
            continue
        for a in alerts:
            want = None if rejected is None else \
                "failure" if a["destination"]["port"] in rejected else "success"
            if a["event"].get("outcome") != want or a["observer"]["type"] != "flowlog":
                fail.append("%s: %s has outcome %s, observer %s" % (name, key(a),
                            a["event"].get("outcome"), a["observer"]["type"]))
            if want == "failure" and "blocked" not in a["message"]:
                fail.append("%s: the message does not say the cloud blocked it: %s"
                            % (name, a["message"]))
        print("ok   %s: the lab's %d violations" % (name, len(WANT)))
    # broken input: bad lines, a version 1 line, then the gzip stream cut short
    lines = open(os.path.join(t, "a.log")).read().splitlines()
    broken = lines[:6] + ["garbage", "2 1 eni-1 198.18.1.999 198.18.2.20 1 2 6 1 1 1 1 ACCEPT OK",
                          "1 123456789012 eni-1 198.18.1.12 198.18.2.20 1 2 6 1 1 1 1 ACCEPT OK",
                          "2 1 eni-1 x"] + lines[6:]
    raw = gzip.compress(("\n".join(broken) + "\n").encode())
    path = os.path.join(t, "broken.log.gz")
    open(path, "wb").write(raw[:len(raw) * 9 // 10])
    rc, alerts, err = replay(path)
    if rc != 0:
        fail.append("broken file: exit %d: %s" % (rc, err[-300:]))
    m = re.search(r"(\d+) of \d+ lines could not be read", err)
    if not m or int(m.group(1)) < 4:     # the four, and the line the cut leaves half
        fail.append("broken file: the bad lines are not counted: %s" % err[-300:])
    if "cut short" not in err:
        fail.append("broken file: the cut gzip stream is not reported: %s" % err[-300:])
    if not {key(a) for a in alerts} <= WANT:
        fail.append("broken file: alerts the capture does not give")
    print("ok   broken file: exit %d, %d alerts from what could be read" % (rc, len(alerts)))
for f in fail:
    print("FAIL", f)
sys.exit(1 if fail else 0)
