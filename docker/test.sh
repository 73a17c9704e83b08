#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The container stack, where no registry can be reached: a Debian 12 base image made
# from Debian's packages with debootstrap and imported into docker.io's dockerd (started
# here if it is not running; Debian's docker.io and docker-compose); eastwatch's image
# built from docker/Dockerfile on it, and the test servers' image; then compose.yaml with
# the test override compose.test.yaml (librdkafka's mock cluster in Kafka's place,
# redis-server and aiosmtpd in Redis's and the mail catcher's). The policy is pushed to
# Redis, the sensor container replays the sample capture into Kafka (alerts, and its
# flow records), the alerter container takes the alerts from Kafka and mails them, the
# analyzer container takes the flow records and raises the sample's new edges: the test
# checks the alerts in the mailbox, the analyzer's alerts and /metrics, the policy push in Redis's audit stream, the shared throttle's keys in Redis,
# the collector's /healthz, and that the images run as the unprivileged user with a
# HEALTHCHECK.
# usage: docker/test.sh   (as root; EW_CHROOT_CACHE=FILE.tar keeps the bootstrapped base)
# (podman 4.3 with podman-compose 1.0.3 was tried first: that podman-compose adds a
# bridge network to network_mode: host services and appends an override's command to
# the base's, and on this kind of machine crun cannot set a container's rlimits.)
set -uo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || exec sudo bash "$0" "$@"
bash scripts/install-deps.sh --containers >/dev/null
T=$(mktemp -d /var/tmp/ew-compose.XXXXXX)   # mktemp's template: the Xs become a unique name
P=ewtest
DOCKERD=
if ! docker info >/dev/null 2>&1; then
	dockerd >"$T/dockerd.log" 2>&1 &
	DOCKERD=$!
	for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
fi
compose() { docker-compose -p "$P" -f docker/compose.yaml -f docker/compose.test.yaml "$@"; }
cleanup() {
	compose down -v >/dev/null 2>&1
	[ -n "$DOCKERD" ] && kill "$DOCKERD" && wait "$DOCKERD" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# --- the base image, from Debian's packages
if ! docker image inspect localhost/debian:bookworm >/dev/null 2>&1; then
	cache=${EW_CHROOT_CACHE:-}
	mkdir -p "$T/base"
	if [ -n "$cache" ] && [ -f "$cache" ]; then
		tar -C "$T/base" -xf "$cache"
	else
		debootstrap --variant=minbase bookworm "$T/base" http://deb.debian.org/debian \
			>"$T/debootstrap.log" 2>&1 || { echo "FAIL debootstrap"; tail -3 "$T/debootstrap.log"; exit 1; }
		[ -n "$cache" ] && tar -C "$T/base" -cf "$cache" .
	fi
	[ -f /etc/apt/sources.list.d/debian.sources ] &&
		cp /etc/apt/sources.list.d/debian.sources "$T/base/etc/apt/sources.list.d/" &&
		rm -f "$T/base/etc/apt/sources.list"
	tar -C "$T/base" -c . | docker import - localhost/debian:bookworm >/dev/null ||
		{ echo "FAIL docker import"; exit 1; }
	rm -rf "$T/base"
fi
ok "base image localhost/debian:bookworm from debootstrap"

# --- the images
for spec in "docker/Dockerfile . localhost/eastwatch:test" \
	    "docker/test/servers.Dockerfile docker/test localhost/eastwatch-test-servers:test"; do
	set -- $spec
	if DOCKER_BUILDKIT=0 docker build --network host --build-arg BASE=localhost/debian:bookworm -f "$1" -t "$3" "$2" \
		>"$T/build.log" 2>&1; then
		ok "docker build $3 ($1)"
	else
		bad "docker build $3: $(tail -5 "$T/build.log")"
		echo "$pass passed, $fail failed"
		exit 1
	fi
done
user=$(docker image inspect localhost/eastwatch:test --format '{{.Config.User}}')
hc=$(docker image inspect localhost/eastwatch:test --format '{{json .Config.Healthcheck}}')
caps=$(docker run --rm --entrypoint getcap localhost/eastwatch:test /usr/bin/eastwatch 2>&1)
[ "$user" = eastwatch ] && echo "$hc" | grep -q healthz && echo "$caps" | grep -q "cap_net_admin,cap_net_raw=p" &&
	ok "the image runs as eastwatch, with a HEALTHCHECK, capture capabilities on the binary only ($caps)" ||
	bad "image: user $user, healthcheck $hc, caps $caps"
size=$(docker image inspect localhost/eastwatch:test --format '{{.Size}}')
docker run --rm --entrypoint sh localhost/eastwatch:test -c 'command -v cc gcc cmake' >/dev/null 2>&1 &&
	bad "the runtime image has a compiler" || ok "the runtime image has no build tools ($((size / 1000000)) MB)"

# --- the stack
compose up -d --no-build >"$T/up.log" 2>&1 || { bad "compose up: $(tail -5 "$T/up.log")"; }
shared=$(docker volume inspect "${P}_shared" --format '{{.Mountpoint}}' 2>/dev/null)
for _ in $(seq 1 240); do
	[ -n "$shared" ] && [ -f "$shared/sensor-done" ] && break
	sleep 0.5
done
if [ -f "$shared/sensor-done" ] && grep -qx "exit 0" "$shared/sensor-done"; then
	n=$(wc -l <"$shared/sensor-alerts.json")
	ok "the sensor container replayed the sample with the policy from Redis: $n alerts into Kafka"
else
	bad "sensor: $(cat "$shared/sensor-done" 2>/dev/null) $(tail -5 "$shared/sensor.log" 2>/dev/null)"
	compose logs 2>&1 | tail -30
fi
mails=0
for _ in $(seq 1 120); do
	mails=$(find "$shared/mailbox" -type f 2>/dev/null | wc -l)
	[ "$mails" -gt 0 ] && grep -rqs "ssh-between-servers" "$shared/mailbox" && break
	sleep 0.5
done
grep -rqs "ssh-between-servers" "$shared/mailbox" &&
	ok "Kafka -> the alerter container -> the mail catcher: $mails mails, the deny rule's alert among them" ||
	{ bad "no alert mail (mails: $mails)"; compose logs alerter 2>&1 | tail -10; }
edges=0
for _ in $(seq 1 120); do
	edges=$(grep -c '"action":"new-edge"' "$shared/analyzer-alerts.json" 2>/dev/null || true)
	[ "${edges:-0}" -ge 4 ] && break
	sleep 0.5
done
[ "${edges:-0}" = 4 ] &&
	ok "the sensor's flow records -> Kafka -> the analyzer container: $edges new-edge alerts (the sample's 4 edges)" ||
	{ bad "analyzer: $edges new-edge alerts (want 4)"; tail -5 "$shared/analyzer.log" 2>/dev/null; }
curl -fsS http://127.0.0.1:19466/metrics 2>/dev/null | grep -q '^eastwatch_analyze_records_total [1-9]' &&
	ok "the analyzer container's /metrics counts the records it read" || bad "analyzer /metrics"
audit=$(docker exec "${P}_redis_1" redis-cli -p 16379 XRANGE eastwatch:audit - + 2>&1)
echo "$audit" | grep -q "compose-test" &&
	ok "Redis's audit stream records the policy push ($(echo "$audit" | grep -c sha256) versions)" ||
	bad "audit stream: $(echo "$audit" | head -5)"
keys=$(docker exec "${P}_redis_1" redis-cli -p 16379 --scan --pattern 'eastwatch:throttle*' 2>&1 | wc -l)
[ "$keys" -gt 0 ] && ok "the shared throttle's keys in Redis: $keys" || bad "no shared throttle keys"
for _ in $(seq 1 40); do
	curl -fsS -o /dev/null http://127.0.0.1:19465/healthz 2>/dev/null && break
	sleep 0.5
done
curl -fsS -o /dev/null http://127.0.0.1:19465/healthz &&
	ok "the collector container answers /healthz" || bad "collector /healthz"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
