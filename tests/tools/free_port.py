#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Print a TCP port on 127.0.0.1 that is free now, with the COUNT - 1 after it, all
below the kernel's ephemeral range (a port picked inside it can be taken meanwhile by
any program's outgoing connection or listener bound to port 0, as librdkafka's mock
brokers are).

usage: free_port.py [COUNT]"""
import random
import socket
import sys


def free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
    top = min(low, 65536) - count
    for _ in range(1000):
        p = random.randrange(10000, top)
        if all(free(p + i) for i in range(count)):
            print(p)
            return 0
    print("free_port: no free port below %d" % low, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
