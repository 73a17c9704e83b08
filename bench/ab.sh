#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two revisions measured side by side, as this project quotes every comparison: each
# built clean in a git worktree of its own (Release), then bench_pipeline run with the
# same arguments by the one and the other in turn, ROUNDS times (this kind of machine is
# noisy from minute to minute: alternating puts both under the same noise).
#
#   bench/ab.sh REV_A REV_B ROUNDS BENCH_PIPELINE_ARGS...
#
# REV_B may be WORK: HEAD with the uncommitted changes to tracked files (git diff HEAD).
# Paths in the arguments are taken from the repository's top (rules.d, bench/policy-open,
# ../shared/corpus/...). Each run prints its revision, packets/s and, with workers, the
# CPU line (each worker, the owner, in all). AB_KEEP=1 keeps the worktrees (in
# ${TMPDIR:-/tmp}/ew-ab-*) for the next comparison of the same revisions.
# Example: bench/ab.sh HEAD~1 HEAD 3 synth --flows 1000000 --ppf 1 --random 1 \
#              --workers 2 --presplit 1 bench/policy-open
set -euo pipefail
[ $# -ge 4 ] || { sed -n '3,15p' "$0" >&2; exit 2; }
A=$1 B=$2 ROUNDS=$3
shift 3
TOP=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$TOP"
TMP=${TMPDIR:-/tmp}

# tree REV: a worktree of REV (WORK: HEAD and the uncommitted changes) with a Release
# bench_pipeline in it; prints its directory
tree() {
	local rev=$1 id dir
	if [ "$rev" = WORK ]; then
		id=work-$(git rev-parse --short HEAD)-$(git diff HEAD | sha1sum | cut -c1-8)
	else
		id=$(git rev-parse --short "$rev^{commit}")
	fi
	dir=$TMP/ew-ab-$id
	if [ ! -d "$dir" ]; then
		git worktree add -q --detach "$dir" "$([ "$rev" = WORK ] && echo HEAD || echo "$rev")"
		[ "$rev" != WORK ] || git diff HEAD | (cd "$dir" && git apply --allow-empty)
	fi
	cmake -S "$dir" -B "$dir/b" -DCMAKE_BUILD_TYPE=Release -DEW_TESTS=OFF >/dev/null
	cmake --build "$dir/b" -j"$(nproc)" --target bench_pipeline >/dev/null
	echo "$dir"
}

DA=$(tree "$A")
DB=$(tree "$B")
cleanup() {
	[ "${AB_KEEP:-0}" = 1 ] && return
	git worktree remove --force "$DA" 2>/dev/null || true
	[ "$DB" = "$DA" ] || git worktree remove --force "$DB" 2>/dev/null || true
}
trap cleanup EXIT

echo "A = $A ($DA), B = $B ($DB); bench_pipeline $*"
for r in $(seq "$ROUNDS"); do
	for v in A B; do
		d=$DA
		[ $v = B ] && d=$DB
		out=$("$d/b/bench/bench_pipeline" "$@" 2>&1) || { echo "$out" >&2; exit 1; }
		echo "$v round $r: $(grep -oE '[0-9.]+ Mpps' <<<"$out" | head -1)" \
			"$(grep -oE 'workers [0-9. ms]+, owner [0-9.]+ ms; in all [0-9.]+ ms, [0-9]+ ns a packet' <<<"$out" | head -1)"
	done
done
