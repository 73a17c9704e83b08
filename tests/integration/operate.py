#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""What an operator's tools read: /metrics clean under `promtool check metrics` in several
configurations (telemetry listeners fed real exporters' IPFIX, NetFlow and sFlow from the
corpus, sinks with spools, workers), with the bounded tables' gauges; /readyz 200 when
ready and 503 naming each reason (a refused policy reload, a sink whose deliveries fail,
a silent exporter), /healthz and /readyz with HEAD and query strings; --log-format json
on every command, errors included, and a bad value refused; a malformed ADDR:PORT or an
empty --kafka a usage error (2).

usage: operate.py EASTWATCH SOURCE_DIR CORPUS_DIR"""
import glob
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from udp_payloads import payloads

ew, src, corpus = sys.argv[1:4]
fails = 0


def check(ok, what):
    global fails
    print(("ok   " if ok else "FAIL ") + what)
    fails += 0 if ok else 1


def get(url, method="GET"):
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def start(t, cfg, extra=()):
    log = open(os.path.join(t, "run.log"), "a+")
    p = subprocess.Popen([ew, "run", "--rules", os.path.join(t, "rules"), "--config", cfg,
                          "--user", "root", "--output", os.path.join(t, "alerts.json")] +
                         list(extra), stderr=log)
    return p, log


def wait_up(url, p):
    for _ in range(100):
        if p.poll() is not None:
            return False
        try:
            if get(url)[0] in (200, 503):
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def feed(port_ipfix, port_sflow):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ex = os.path.join(corpus, "exporters")
    for p in sorted(glob.glob(ex + "/*/*ipfix*.pcap") + glob.glob(ex + "/*/*netflow*.pcap")):
        for d in payloads(p):
            s.sendto(d, ("127.0.0.1", port_ipfix))
    for p in sorted(glob.glob(ex + "/*/*sflow*.pcap")):
        for d in payloads(p):
            s.sendto(d, ("127.0.0.1", port_sflow))


def promtool(text, what):
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True)
    check(r.returncode == 0, f"promtool check metrics: {what}" +
          ("" if r.returncode == 0 else ": " + (r.stdout + r.stderr)[:600]))


base = 21000 + random.randrange(8000)
with tempfile.TemporaryDirectory() as t:
    shutil.copytree(os.path.join(src, "rules.d"), os.path.join(t, "rules"))
    # --- /metrics in three configurations
    for n, (workers, sinks) in enumerate([(1, ""), (2, ""), (1, "webhook")]):
        b = base + 10 * n
        cfg = os.path.join(t, f"m{n}.yaml")
        with open(cfg, "w") as f:
            f.write(f'metrics: {{ listen: "127.0.0.1:{b}" }}\nspool_dir: {t}/spool{n}\n'
                    f'workers: {workers}\nsources:\n'
                    f'  - {{ type: ipfix, listen: "127.0.0.1:{b + 1}" }}\n'
                    f'  - {{ type: sflow, listen: "127.0.0.1:{b + 2}" }}\n')
            if sinks:
                f.write(f'sinks:\n  - {{ type: webhook, url: "http://127.0.0.1:{b + 3}/x" }}\n'
                        f'  - {{ type: file, path: {t}/file{n}.json }}\n')
        p, log = start(t, cfg)
        url = f"http://127.0.0.1:{b}"
        if not wait_up(url + "/healthz", p):
            check(False, f"run (config {n}) starts")
            continue
        feed(b + 1, b + 2)
        time.sleep(1.5)
        code, text = get(url + "/metrics")
        what = f"{workers} worker(s){', webhook and file sinks' if sinks else ''}"
        promtool(text, what)
        check('eastwatch_table_entries{table="flows"}' in text and
              'eastwatch_table_evictions_total{table="judge_pending"}' in text and
              'eastwatch_table_capacity{table="pairing"}' in text and
              'eastwatch_table_capacity{table="exporters",source=' in text and
              'eastwatch_table_entries{table="templates",source=' in text and
              'eastwatch_sflow_if_in_bytes_total{' in text and
              ('eastwatch_table_capacity{table="spool_bytes",sink="' in text or not sinks),
              f"bounded tables' gauges and sFlow counters in base units ({what})")
        p.terminate()
        p.wait(timeout=30)

    # --- /readyz: ready; a refused reload; a sink that fails; a silent exporter
    b = base + 50
    cfg = os.path.join(t, "ready.yaml")
    with open(cfg, "w") as f:
        f.write(f'metrics: {{ listen: "127.0.0.1:{b}" }}\nspool_dir: {t}/rspool\n'
                f'sources:\n  - {{ type: ipfix, listen: "127.0.0.1:{b + 1}", silence: 1s }}\n')
    p, log = start(t, cfg)
    url = f"http://127.0.0.1:{b}"
    check(wait_up(url + "/healthz", p), "run starts")
    code, text = get(url + "/readyz")
    check(code == 200 and text == "ready\n", f"/readyz 200 ready at start ({code} {text!r})")
    code, _ = get(url + "/readyz?probe=1", "HEAD")
    check(code == 200, "HEAD /readyz with a query string: 200")
    code, text = get(url + "/healthz?x=y")
    check(code == 200 and text == "ok\n", "/healthz ignores the query string")
    with open(os.path.join(t, "rules", "zz-bad.yaml"), "w") as f:
        f.write("allow: [ {\n")
    p.send_signal(1)
    time.sleep(1)
    code, text = get(url + "/readyz")
    check(code == 503 and "policy: a reload was refused" in text and "zz-bad.yaml" in text,
          f"/readyz 503 after a refused reload, naming it ({code} {text.strip()[:120]!r})")
    os.unlink(os.path.join(t, "rules", "zz-bad.yaml"))
    p.send_signal(1)
    time.sleep(1)
    code, text = get(url + "/readyz")
    check(code == 200, f"/readyz 200 again after a good reload ({code})")
    feed(b + 1, b + 9)      # an exporter speaks, then falls silent past 1 s
    time.sleep(3.5)
    code, text = get(url + "/readyz")
    check(code == 503 and "exporter 127.0.0.1 silent" in text,
          f"/readyz 503 naming a silent exporter ({code} {text.strip()[:120]!r})")
    p.terminate()
    p.wait(timeout=30)

    b = base + 60
    cfg = os.path.join(t, "sinkdown.yaml")
    with open(cfg, "w") as f:
        f.write(f'metrics: {{ listen: "127.0.0.1:{b}" }}\nspool_dir: {t}/dspool\n'
                f'sinks:\n  - {{ type: webhook, name: hook, url: "http://127.0.0.1:{b + 3}/x", '
                f'retry_min: 100ms, retry_max: 200ms }}\n'
                f'sources:\n  - {{ type: ipfix, listen: "127.0.0.1:{b + 1}" }}\n')
    p, log = start(t, cfg)
    url = f"http://127.0.0.1:{b}"
    ok = wait_up(url + "/healthz", p)
    feed(b + 1, b + 9)      # flows the policy denies: alerts for a receiver that is not there
    deadline = time.time() + 10
    code, text = 0, ""
    while ok and time.time() < deadline:
        code, text = get(url + "/readyz")
        if code == 503:
            break
        time.sleep(0.3)
    check(code == 503 and "sink hook: down" in text,
          f"/readyz 503 naming a sink whose deliveries fail ({code} {text.strip()[:120]!r})")
    p.terminate()
    p.wait(timeout=30)

    # --- --log-format json on every command, errors included
    cases = [
        ["check", "--rules", "/nonexistent"],
        ["explain", "--rules", "/nonexistent", "198.18.1.1", "198.18.2.2", "tcp/22"],
        ["replay", "--rules", os.path.join(src, "rules.d"), "-o", "/dev/null",
         os.path.join(src, "tests/data/sample.pcap")],
        ["learn", "--rules", "/nonexistent", os.path.join(src, "tests/data/sample.pcap")],
        ["policy", "show", "--redis", "127.0.0.1:1"],
        ["alerter", "--kafka", "127.0.0.1:1", "--config", "/nonexistent.yaml"],
        ["run", "--rules", "/nonexistent", "--sflow", "127.0.0.1:9"],
        ["run", "--ipfix", "nonsense:port"],
        ["check", "--bogus"],
    ]
    for c in cases:
        r = subprocess.run([ew, c[0], "--log-format", "json"] + c[1:], capture_output=True,
                           text=True, timeout=60)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        good = bool(lines)
        for l in lines:
            try:
                d = json.loads(l)
                good &= "log.level" in d and "message" in d and "@timestamp" in d
            except ValueError:
                good = False
        check(good, f"--log-format json: eastwatch {' '.join(c)} (exit {r.returncode}): "
              f"{len(lines)} JSON lines" + ("" if good else f": {r.stderr[:200]!r}"))
    r = subprocess.run([ew, "check", "--log-format", "xml"], capture_output=True, text=True)
    check(r.returncode == 2 and "text or json" in r.stderr, "--log-format xml: usage error")

    # --- malformed ADDR:PORT and empty --kafka: usage errors
    for args in (["--ipfix", "127.0.0.1:notaport"], ["--sflow", "127.0.0.1:0"],
                 ["--netflow", "[::1]:70000"], ["--metrics", "300.1.2.3:9"],
                 ["--kafka", ""], ["--kafka", "a:1,,b"]):
        r = subprocess.run([ew, "run"] + args, capture_output=True, text=True, timeout=30)
        check(r.returncode == 2, f"run {' '.join(args) or repr('')}: exit {r.returncode} (2)")
sys.exit(1 if fails else 0)
