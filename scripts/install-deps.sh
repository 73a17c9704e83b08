#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install what eastwatch needs from Debian 12's packages.
#   install-deps.sh          build and run: compilers, libraries
#   install-deps.sh --test   also what the tests use: Check, clang/libFuzzer, real servers
#                            and clients for the integration lab, the benchmark peers
#   install-deps.sh --packaging   what the packaging test uses (debootstrap, dpkg-dev...)
#   install-deps.sh --containers  what docker/test.sh uses (debootstrap, docker.io, compose)
set -euo pipefail
BUILD=(build-essential cmake pkgconf libpcap-dev libndpi-dev libyaml-dev libevent-dev
       librdkafka-dev libhiredis-dev libcurl4-openssl-dev libssl-dev zlib1g-dev python3)
TEST=(check clang libclang-rt-14-dev python3 iproute2 util-linux iputils-ping tcpdump
      openssh-server openssh-client openssl curl nmap redis-server redis-tools
      libndpi-bin tshark softflowd pmacct nfdump hyperfine python3-yaml prometheus
      rsyslog rsyslog-openssl python3-aiosmtpd kcat graphviz samba smbclient
      slapd ldap-utils krb5-kdc krb5-admin-server krb5-user mariadb-server mariadb-client
      postgresql telnetd telnet inetutils-inetd netcat-openbsd tcpreplay logrotate
      xrdp freerdp2-x11 tigervnc-standalone-server tigervnc-viewer xvfb xauth)
PACKAGING=(debootstrap dpkg-dev man-db logrotate systemd bash-completion)
CONTAINERS=(debootstrap docker.io docker-compose curl)
PKGS=("${BUILD[@]}")
[ "${1:-}" = "--test" ] && PKGS+=("${TEST[@]}")
[ "${1:-}" = "--packaging" ] && PKGS+=("${PACKAGING[@]}")
[ "${1:-}" = "--containers" ] && PKGS+=("${CONTAINERS[@]}")

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: everything is installed"
	exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer it once, here.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
