#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The install layout and the Debian package, as an operator meets them:
#   - cmake --install lays out /usr/bin/eastwatch, /etc/eastwatch/{eastwatch.yaml,
#     rules.d/}, /var/lib/eastwatch, the units, logrotate, completion and man pages;
#   - the man pages render with man -l without a warning; the logrotate file parses;
#     bash completion completes commands and a command's options;
#   - cpack builds a .deb whose Depends come from dpkg-shlibdeps;
#   - in a clean Debian 12 chroot (debootstrap), apt-get install ./eastwatch_*.deb
#     installs it with its dependencies, makes the eastwatch user, and eastwatch check
#     accepts the packaged configuration; systemd-analyze verify is clean on the units
#     and systemd-analyze security gives their exposure.
# usage: package.sh SOURCE_DIR BUILD_DIR   (as root; needs debootstrap and the network
#        to Debian's mirror; EW_CHROOT_CACHE=FILE.tar keeps the bootstrapped system)
set -uo pipefail
SRC=$(cd "$1" && pwd)
B=$2
[ "$(id -u)" = 0 ] || { echo "package.sh: needs root"; exit 1; }
T=$(mktemp -d /var/tmp/ew-pkg.XXXXXX)   # mktemp's template: the Xs become a unique name
R=$T/chroot
cleanup() {
	for m in proc sys dev; do umount -l "$R/$m" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# --- the install layout
cmake -S "$SRC" -B "$B" -DCMAKE_BUILD_TYPE=Release -DEW_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$B" -j"$(nproc)" --target eastwatch man >/dev/null || { echo "FAIL build"; exit 1; }
DESTDIR=$T/root cmake --install "$B" >/dev/null
missing=""
for f in usr/bin/eastwatch etc/eastwatch/eastwatch.yaml etc/eastwatch/rules.d/00-start.yaml \
	var/lib/eastwatch usr/lib/systemd/system/eastwatch.service \
	usr/lib/systemd/system/eastwatch@.service usr/lib/systemd/system/eastwatch-alerter.service \
	usr/lib/systemd/system/eastwatch-analyze.service \
	etc/logrotate.d/eastwatch usr/share/bash-completion/completions/eastwatch \
	usr/share/man/man8/eastwatch.8 usr/share/man/man5/eastwatch.yaml.5 \
	usr/share/man/man5/eastwatch-rules.5; do
	[ -e "$T/root/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && ok "cmake --install: the layout (/usr/bin, /etc/eastwatch, /var/lib/eastwatch, units, logrotate, completion, man)" ||
	bad "cmake --install: missing$missing"

# --- man pages, logrotate, completion
for p in man8/eastwatch.8 man5/eastwatch.yaml.5 man5/eastwatch-rules.5; do
	w=$(MANWIDTH=80 man --warnings=all -l "$T/root/usr/share/man/$p" 2>&1 >/dev/null)
	lines=$(MANWIDTH=80 man -l "$T/root/usr/share/man/$p" 2>/dev/null | wc -l)
	[ -z "$w" ] && [ "$lines" -gt 30 ] && ok "man -l $p: $lines lines, no warning" || bad "man -l $p: $w"
done
# (on this host the package's user does not exist: root stands in for it)
sed -e "s|/var/log/eastwatch|$T/log|" -e "s/ eastwatch eastwatch$/ root root/" \
	"$T/root/etc/logrotate.d/eastwatch" >"$T/lr.conf"
logrotate -d "$T/lr.conf" >/dev/null 2>"$T/lr.err" && ! grep -qi error "$T/lr.err" &&
	ok "logrotate -d parses the logrotate file" || bad "logrotate: $(head -3 "$T/lr.err")"
comp=$(PATH="$T/root/usr/bin:$PATH" bash -c '
	source "$1"
	COMP_WORDS=(eastwatch rep); COMP_CWORD=1; _eastwatch; echo "${COMPREPLY[*]}"
	COMP_WORDS=(eastwatch replay --wa); COMP_CWORD=2; _eastwatch; echo "${COMPREPLY[*]}"
	COMP_WORDS=(eastwatch run --log-format j); COMP_CWORD=3; _eastwatch; echo "${COMPREPLY[*]}"
' _ "$T/root/usr/share/bash-completion/completions/eastwatch")
[ "$comp" = "$(printf 'replay\n--wait\njson')" ] && ok "bash completion: commands, options from --help, values" ||
	bad "bash completion: $(echo "$comp" | tr '\n' '|')"

# --- the .deb
(cd "$B" && cpack -G DEB >/dev/null 2>"$T/cpack.err") || { bad "cpack: $(tail -3 "$T/cpack.err")"; }
deb=$(ls "$B"/eastwatch_*.deb 2>/dev/null | head -1)
if [ -n "$deb" ]; then
	dep=$(dpkg-deb -f "$deb" Depends)
	echo "$dep" | grep -q "libndpi4" && echo "$dep" | grep -q "libpcap0.8" &&
		echo "$dep" | grep -q "librdkafka1" && echo "$dep" | grep -q "adduser" &&
		ok "cpack: $(basename "$deb"), Depends from dpkg-shlibdeps: $dep" || bad "Depends: $dep"
	contents=$(dpkg-deb -c "$deb")
	echo "$contents" | grep -q "./etc/eastwatch/eastwatch.yaml" &&
		dpkg-deb -e "$deb" "$T/ctl" && grep -qx /etc/eastwatch/eastwatch.yaml "$T/ctl/conffiles" &&
		ok "the configuration is a conffile" || bad "conffiles: $(cat "$T/ctl/conffiles" 2>/dev/null)"
fi

# --- a clean Debian 12: apt-get install ./eastwatch_*.deb, eastwatch check, systemd
cache=${EW_CHROOT_CACHE:-}
if [ -n "$cache" ] && [ -f "$cache" ]; then
	mkdir -p "$R" && tar -C "$R" -xf "$cache"
else
	debootstrap --variant=minbase bookworm "$R" http://deb.debian.org/debian >"$T/debootstrap.log" 2>&1 ||
		{ bad "debootstrap: $(tail -3 "$T/debootstrap.log")"; echo "$pass passed, $fail failed"; exit 1; }
	[ -n "$cache" ] && tar -C "$R" -cf "$cache" .
fi
cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null
[ -f /etc/apt/sources.list.d/debian.sources ] && cp /etc/apt/sources.list.d/debian.sources "$R/etc/apt/sources.list.d/" && rm -f "$R/etc/apt/sources.list"
mount -t proc proc "$R/proc"
cp "$deb" "$R/tmp/"
if chroot "$R" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /tmp/$(basename "$deb") systemd procps" >"$T/apt.log" 2>&1; then
	ok "apt-get install ./$(basename "$deb") in a clean Debian 12 chroot (with its dependencies)"
else
	bad "apt-get install: $(tail -5 "$T/apt.log")"
fi
out=$(chroot "$R" eastwatch check --config /etc/eastwatch/eastwatch.yaml 2>&1)
[ $? = 0 ] && ok "in the chroot: eastwatch check --config /etc/eastwatch/eastwatch.yaml: $out" || bad "check in the chroot: $out"
chroot "$R" getent passwd eastwatch >/dev/null &&
	[ "$(chroot "$R" stat -c %U /var/lib/eastwatch)" = eastwatch ] &&
	ok "the eastwatch user, owning /var/lib/eastwatch" || bad "no eastwatch user or /var/lib/eastwatch not its"
v=$(chroot "$R" systemd-analyze verify /usr/lib/systemd/system/eastwatch.service \
	/usr/lib/systemd/system/eastwatch-alerter.service /usr/lib/systemd/system/eastwatch-analyze.service \
	/usr/lib/systemd/system/eastwatch@rack12.service 2>&1 |
	grep -v "Command 'man " )
[ -z "$v" ] && ok "systemd-analyze verify: the units are clean" || bad "systemd-analyze verify: $v"
for u in eastwatch.service eastwatch-alerter.service eastwatch-analyze.service; do
	e=$(chroot "$R" systemd-analyze security --offline=yes "$u" 2>/dev/null | grep -o "Overall exposure level for $u: [0-9.]* [A-Z]*")
	echo "$e" | grep -qE ": [0-2]\.[0-9] OK|: [0-9.]+ OK" && ok "systemd-analyze security: $e" || bad "security: $e"
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
