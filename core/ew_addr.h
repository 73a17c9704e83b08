/* SPDX-License-Identifier: Apache-2.0 */
/* ew_addr - one address type for IPv4 and IPv6.
 *
 * IPv4 is held IPv4-mapped (::ffff:a.b.c.d) so that every table, the prefix trie and the
 * flow key treat both families alike; ew_addr_is_v4 tells them apart. */
#ifndef EW_ADDR_H
#define EW_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ew_addr {
	uint8_t a[16];
};

#define EW_ADDR_STRLEN 46

static inline int ew_addr_is_v4(const struct ew_addr *x)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return memcmp(x->a, pfx, 12) == 0;
}

/* Two 8-byte stores: written byte by byte (a 10-byte clear, two bytes, four), the
 * address read back at once as two 8-byte words (its hash, just after the decode) could
 * not be forwarded from the stores and waited for them to reach the cache. */
static inline void ew_addr_from_v4(struct ew_addr *x, const uint8_t v4[4])
{
	const uint8_t b[8] = { 0, 0, 0xff, 0xff, v4[0], v4[1], v4[2], v4[3] };
	uint64_t lo = 0, hi;

	memcpy(&hi, b, 8);
	memcpy(x->a, &lo, 8);
	memcpy(x->a + 8, &hi, 8);
}

static inline void ew_addr_from_v6(struct ew_addr *x, const uint8_t v6[16])
{
	memcpy(x->a, v6, 16);
}

/* :: or 0.0.0.0: no address (an unset field, a wildcard listener). */
static inline int ew_addr_is_unspecified(const struct ew_addr *x)
{
	static const uint8_t zero[16], zero4[16] = { [10] = 0xff, [11] = 0xff };

	return memcmp(x->a, zero, 16) == 0 || memcmp(x->a, zero4, 16) == 0;
}

static inline int ew_addr_eq(const struct ew_addr *x, const struct ew_addr *y)
{
	return memcmp(x->a, y->a, 16) == 0;
}

/* The murmur3 finalizer: a 64-bit mix for hash tables. */
static inline uint64_t ew_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* A seeded 64-bit hash of an address (seeds chain: hash(b, hash(a, s))). */
static inline uint64_t ew_addr_hash(const struct ew_addr *a, uint64_t seed)
{
	uint64_t x, y;

	memcpy(&x, a->a, 8);
	memcpy(&y, a->a + 8, 8);
	return ew_mix64(ew_mix64(seed ^ x) ^ y);
}

/* IPv4 address in host byte order (only meaningful when ew_addr_is_v4). */
static inline uint32_t ew_addr_v4_host(const struct ew_addr *x)
{
	return (uint32_t)x->a[12] << 24 | (uint32_t)x->a[13] << 16 |
	       (uint32_t)x->a[14] << 8 | x->a[15];
}

/* Parse a textual IPv4 or IPv6 address. Returns 0 or -1. */
int ew_addr_parse(struct ew_addr *x, const char *s);

/* Parse "ADDR" or "ADDR/LEN". *plen is the prefix length over the 128-bit mapped
 * form (an IPv4 /24 gives 120). Host bits beyond the length must be zero unless
 * allow_host_bits. Returns 0 or -1. */
int ew_prefix_parse(struct ew_addr *x, unsigned *plen, const char *s, int allow_host_bits);

/* A prefix (len over the 128-bit mapped form) and whether it holds x. */
struct ew_prefix {
	struct ew_addr a;
	uint8_t len;
};
int ew_prefix_contains(const struct ew_prefix *p, const struct ew_addr *x);

/* Split "HOST:PORT", "[V6ADDR]:PORT" or ":PORT" (an empty host) into host[0..hl) and
 * *port. Without a port, defport is used if it is not 0 ("HOST", "[V6ADDR]"). A bare IPv6
 * address (more than one ':' outside brackets) is ambiguous and refused. Returns 0 or -1
 * (also for a port outside 1..65535 or a host that does not fit). Every "ADDR:PORT"
 * option (listeners, syslog, Redis, /metrics) reads through this. */
int ew_hostport_split(const char *spec, char *host, size_t hl, uint16_t *port,
		      uint16_t defport);

/* Write the textual form (dotted quad for IPv4) into out[EW_ADDR_STRLEN]. */
const char *ew_addr_format(const struct ew_addr *x, char *out);
/* The same, returning the length written (without the terminating NUL). */
size_t ew_addr_format_n(const struct ew_addr *x, char *out);

#endif
