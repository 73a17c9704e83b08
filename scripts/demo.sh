#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install, build, and judge the bundled sample capture with the bundled policy.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEW_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
./build/daemon/eastwatch check --rules rules.d
./build/daemon/eastwatch replay --rules rules.d tests/data/sample.pcap
