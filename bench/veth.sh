# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Sourced by the live benchmarks (bench/live.sh, bench/idle_alert.sh): a network
# namespace of their own, $NS, with a veth pair whose end snd is sent into and whose end
# cap is captured on; a scratch directory $T (a mktemp -d template); both removed at
# exit, with whatever still runs in the namespace. Nothing leaves the namespace.
#   . bench/veth.sh NAME [MTU]
NS=ew$1$$
T=$(mktemp -d "/tmp/ew-$1.XXXXXX")
cleanup() {
	set +e
	ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link add snd type veth peer name cap
ip -n "$NS" link set snd up ${2:+mtu "$2"}
ip -n "$NS" link set cap up ${2:+mtu "$2"}
