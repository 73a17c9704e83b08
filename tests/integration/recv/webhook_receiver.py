#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An HTTP receiver for eastwatch's webhook sink, for the delivery tests.

usage: webhook_receiver.py PORT SECRET_FILE OUT_FILE [--delay SECONDS] [--tls CERT KEY]

Verifies X-Eastwatch-Signature (t=UNIX,v1=HMAC-SHA256(secret, "t." + body)) on every
POST: a good one is appended to OUT_FILE as one line and answered 204; a missing or bad
signature is answered 401 and counted in OUT_FILE.bad. --delay makes every request take
that long (a slow receiver). Prints "listening" when ready."""
import hashlib
import hmac
import http.server
import ssl
import sys
import threading
import time

port, secret_file, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
delay = float(sys.argv[sys.argv.index("--delay") + 1]) if "--delay" in sys.argv else 0.0
secret = open(secret_file, "rb").read().strip()
lock = threading.Lock()


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if delay:
            time.sleep(delay)
        sig = self.headers.get("X-Eastwatch-Signature", "")
        ok = False
        try:
            parts = dict(p.split("=", 1) for p in sig.split(","))
            want = hmac.new(secret, parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
            ok = hmac.compare_digest(want, parts["v1"]) and abs(time.time() - int(parts["t"])) < 300
        except (KeyError, ValueError):
            ok = False
        with lock:
            with open(out if ok else out + ".bad", "ab") as f:
                f.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(204 if ok else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()


srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
if "--tls" in sys.argv:
    i = sys.argv.index("--tls")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[i + 1], sys.argv[i + 2])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("listening", flush=True)
srv.serve_forever()
