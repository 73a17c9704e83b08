#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The long chaos run: tests/integration/delivery.sh with ROUNDS (default 40) rounds of a
# receiver stopped at random and eastwatch SIGKILLed and restarted on the same spools,
# every sink kind at once; it fails unless every alert the file sink wrote reached every
# receiver (Kafka, syslog TCP, syslog TLS/CEF, webhook, e-mail) at least once.
# usage: bench/chaos.sh [ROUNDS]   (from the project directory, after a build in build/)
set -euo pipefail
CHAOS_ROUNDS=${1:-40} exec bash tests/integration/delivery.sh build/daemon/eastwatch . \
	build/bench/kafka_mock 10
