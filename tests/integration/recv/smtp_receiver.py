#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An SMTP server (aiosmtpd) for eastwatch's e-mail sink, for the delivery tests.

usage: smtp_receiver.py PORT OUT_DIR [--starttls CERT KEY]

Every message received is written to its own file in OUT_DIR (*.eml). With --starttls the server offers
STARTTLS and refuses mail before it (require_starttls). Prints "listening" when ready."""
import os
import ssl
import sys
import time

from aiosmtpd.controller import Controller

port, outdir = int(sys.argv[1]), sys.argv[2]
os.makedirs(outdir, exist_ok=True)


class Handler:
    n = 0

    async def handle_DATA(self, server, session, envelope):
        Handler.n += 1
        # unique across restarts of the receiver
        path = os.path.join(outdir, "%.6f-%d-%06d.eml" % (time.time(), os.getpid(), Handler.n))
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path)
        return "250 OK"


kw = {}
if "--starttls" in sys.argv:
    i = sys.argv.index("--starttls")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[i + 1], sys.argv[i + 2])
    kw = {"tls_context": ctx, "require_starttls": True}
c = Controller(Handler(), hostname="127.0.0.1", port=port, **kw)
c.start()
print("listening", flush=True)
try:
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    pass
finally:
    c.stop()
