#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install, build with AddressSanitizer and UndefinedBehaviorSanitizer, run every test
# (unit suites, CLI, nDPI agreement, the network-namespace lab as root, fuzz seeds), then
# build the libFuzzer targets with clang and fuzz each one briefly.
#   FUZZ_SECONDS=N   seconds per fuzz target (default 10; 0 skips fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."
# the network lab, capture and the packaging tests need root: as a user, sudo (keeping
# FUZZ_SECONDS and the sanitizer settings)
[ "$(id -u)" = 0 ] || exec sudo --preserve-env=FUZZ_SECONDS,ASAN_OPTIONS,UBSAN_OPTIONS bash "$0" "$@"
bash scripts/install-deps.sh --test
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cmake -S . -B build-asan -DEW_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$(nproc)"
(cd build-asan && ctest --output-on-failure)

secs=${FUZZ_SECONDS:-10}
if [ "$secs" != 0 ]; then
	CC=clang cmake -S . -B build-fuzz -DEW_FUZZ=ON -DEW_TESTS=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build-fuzz -j"$(nproc)" --target fuzz_decode_pkt fuzz_ipfix fuzz_sflow fuzz_policy fuzz_pipeline fuzz_alert fuzz_pcapng fuzz_flowlog fuzz_flow
	(cd build-fuzz && ctest -R fuzz_seeds_make >/dev/null)
	for f in decode_pkt ipfix sflow policy pipeline alert pcapng flowlog flow; do
		mkdir -p "build-fuzz/corpus-$f"
		# the pipeline's inputs are frame sequences: 2 KB hold a few flows' frames and
		# run ~1,600 a second under ASan here (4 KB ones 915-1,350, 64 KB ones ~400)
		maxlen=65536
		[ "$f" = pipeline ] && maxlen=2048
		if ! ./build-fuzz/tests/fuzz/fuzz_$f -max_total_time="$secs" -print_final_stats=1 \
			-max_len="$maxlen" "build-fuzz/corpus-$f" build-fuzz/fuzz-seeds/$f \
			>"build-fuzz/fuzz-$f.log" 2>&1; then
			tail -60 "build-fuzz/fuzz-$f.log"
			echo "fuzz_$f: found a crash (input saved as crash-* in $PWD)"
			exit 1
		fi
		echo "fuzz_$f: ${secs}s, $(grep -Eo 'number_of_executed_units: [0-9]+' \
			"build-fuzz/fuzz-$f.log" | grep -Eo '[0-9]+') inputs ($(grep -Eo \
			'average_exec_per_sec: *[0-9]+' "build-fuzz/fuzz-$f.log" | grep -Eo '[0-9]+')/s), no crash"
	done
fi
echo "all tests passed"
