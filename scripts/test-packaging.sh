#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install what packaging needs, then test the install layout, man pages, logrotate,
# completion, the Debian package in a clean Debian 12 chroot (debootstrap) and the
# systemd units (tests/packaging/package.sh). As root, or as a user with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || exec sudo bash "$0" "$@"
bash scripts/install-deps.sh --packaging
bash tests/packaging/package.sh . build-pkg
