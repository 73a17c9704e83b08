#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The protocol checkers (analyzer/confirm.h) change nothing they are not for.

Replays every capture of ../shared/corpus/ndpi-4.2 (and its 4.4 supplement) twice with
`eastwatch replay --flows`: with the checkers (the default) and with
`classify: { confirm: false }` (nDPI alone). Every flow whose application or app_source
differs must be a TCP flow to one of the checkers' ports, named after that port's
protocol. Prints each change; fails on any other.

usage: confirm_corpus.py EASTWATCH CORPUS_DIR RULES_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

# responder port -> the names a checker may give (confirm.h)
CHECKED = {389: {"LDAP"}, 636: {"LDAP"}, 3268: {"LDAP"}, 3269: {"LDAP"}, 6379: {"Redis"},
           3306: {"MySQL"}, 5432: {"PostgreSQL"},
           139: {"SMBv1", "SMBv23", "NetBIOS.SMBv1", "NetBIOS.SMBv23"},
           445: {"SMBv1", "SMBv23", "NetBIOS.SMBv1", "NetBIOS.SMBv23"}}


def flows(eastwatch, pcap, rules, config):
    with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
        cmd = [eastwatch, "replay", "--quiet", "--rules", rules, "--output", os.devnull,
               "--flows", tmp.name]
        if config:
            cmd += ["--config", config]
        subprocess.run(cmd + [pcap], check=True)
        out = {}
        with open(tmp.name) as f:
            for line in f:
                r = json.loads(line)
                key = (r["network"]["transport"], r["source"]["ip"], r["source"]["port"],
                       r["destination"]["ip"], r["destination"]["port"], r["event"]["start"])
                out[key] = (r["eastwatch"]["app"], r["eastwatch"]["app_source"])
        return out


def main():
    eastwatch, corpus, rules = sys.argv[1:4]
    pcaps = []
    for sub in ("", "supplement-4.4"):
        d = os.path.join(corpus, sub, "pcap")
        if os.path.isdir(d):
            pcaps += [os.path.join(d, n) for n in sorted(os.listdir(d))]
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as cfg:
        cfg.write("classify: { confirm: false }\n")
    total = changed = bad = 0
    try:
        for pcap in pcaps:
            a = flows(eastwatch, pcap, rules, None)
            b = flows(eastwatch, pcap, rules, cfg.name)
            total += len(a)
            for key in sorted(set(a) | set(b)):
                if a.get(key) == b.get(key):
                    continue
                changed += 1
                ok = (key in a and key in b and key[0] == "tcp" and
                      a[key][0] in CHECKED.get(key[4], set()))
                bad += not ok
                print(f"  {'ok ' if ok else 'BAD'} {os.path.basename(pcap)}: {key[0]} "
                      f"{key[1]}:{key[2]} -> {key[3]}:{key[4]}: nDPI alone {b.get(key)}, "
                      f"with the checkers {a.get(key)}")
    finally:
        os.unlink(cfg.name)
    print(f"checkers: {changed} of {total} flows of {len(pcaps)} captures changed, "
          f"{bad} outside the checkers' ports and protocols")
    print(f"{1 if bad == 0 else 0} passed, {1 if bad else 0} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
