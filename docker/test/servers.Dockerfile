# SPDX-License-Identifier: Apache-2.0
# The test stack's stand-ins for Redis and the mail catcher, from Debian's packages (no
# registry is reachable where the tests run): redis-server and aiosmtpd's Mailbox.
ARG BASE=docker.io/library/debian:bookworm
FROM ${BASE}
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	redis-server redis-tools python3-aiosmtpd && rm -rf /var/lib/apt/lists/*
