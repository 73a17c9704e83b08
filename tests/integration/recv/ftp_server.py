#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A minimal FTP control-channel server for the detectors lab: greets, takes USER and
PASS (any), answers PWD/SYST/TYPE/QUIT, refuses data transfers. Enough for curl to log
in with clear-text credentials, which is what the risk detector must see.

usage: ftp_server.py ADDR PORT"""
import socketserver
import sys


class FTP(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"220 lab FTP ready\r\n")
        for line in self.rfile:
            cmd = line.decode(errors="replace").strip().split(" ")[0].upper()
            reply = {"USER": "331 Password required", "PASS": "230 Logged in",
                     "PWD": '257 "/" is the current directory', "SYST": "215 UNIX Type: L8",
                     "TYPE": "200 Type set", "QUIT": "221 Bye"}.get(cmd, "502 Not implemented")
            self.wfile.write((reply + "\r\n").encode())
            if cmd == "QUIT":
                return


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


Server((sys.argv[1], int(sys.argv[2])), FTP).serve_forever()
