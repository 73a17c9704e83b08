/* SPDX-License-Identifier: Apache-2.0 */
/* ew_hash - see ew_hash.h. */
#include "core/ew_hash.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static uint64_t seed;

static uint64_t draw(void)
{
	const char *e = getenv("EW_HASH_SEED");
	uint64_t s = 0;

	if (e && *e)
		s = strtoull(e, NULL, 0);
	if (s == 0 && getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		s = ew_mix64((uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 32 ^ (uint64_t)getpid());
	}
	return s ? s : 0x9e3779b97f4a7c15ULL;
}

uint64_t ew_hash_seed(void)
{
	uint64_t s = __atomic_load_n(&seed, __ATOMIC_RELAXED);

	if (s == 0) {
		s = draw();
		uint64_t zero = 0;

		if (!__atomic_compare_exchange_n(&seed, &zero, s, 0, __ATOMIC_RELAXED,
						 __ATOMIC_RELAXED))
			s = zero;   /* another thread drew first: use its seed */
	}
	return s;
}

uint64_t ew_hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t w;

	while (n >= 8) {
		memcpy(&w, b, 8);
		h = ew_mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
		b += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, b, n);
	return ew_mix64(h ^ w ^ (uint64_t)n << 56);
}
