/* SPDX-License-Identifier: Apache-2.0 */
/* lpm - address -> set of groups, in three memory reads for IPv4.
 *
 * Group members are prefixes; an address belongs to every group with a prefix that
 * contains it. The builder computes, for each prefix, the union of the groups of all
 * prefixes containing it, interns each distinct union as a "set id", and expands the
 * prefixes (shortest first) into multibit tries: IPv4 with strides 16-8-8, IPv6 with
 * 16 then 8s. A lookup is a walk of at most 3 (IPv4) or 15 (IPv6) array reads, the same
 * with 10 groups or 10,000. Set 0 is the empty set. */
#ifndef EW_LPM_H
#define EW_LPM_H

#include <stdint.h>

#include "core/ew_addr.h"

struct ew_lpm;
struct ew_lpm_builder;

struct ew_lpm_builder *ew_lpm_builder_new(void);
void ew_lpm_builder_free(struct ew_lpm_builder *b);
/* Add prefix/plen (plen over the 128-bit mapped form) as a member of group.
 * Returns 0 or -1 (out of memory). */
int ew_lpm_builder_add(struct ew_lpm_builder *b, const struct ew_addr *pfx, unsigned plen,
		       uint32_t group);
/* Compile; the builder is freed. Returns NULL on out of memory. */
struct ew_lpm *ew_lpm_build(struct ew_lpm_builder *b);
void ew_lpm_free(struct ew_lpm *l);

/* The set id of the groups containing a. */
uint32_t ew_lpm_lookup(const struct ew_lpm *l, const struct ew_addr *a);
/* Group ids of set id (sorted ascending), *n of them. */
const uint32_t *ew_lpm_set(const struct ew_lpm *l, uint32_t set, uint32_t *n);
uint32_t ew_lpm_nsets(const struct ew_lpm *l);
/* Bytes held by the compiled tries and sets. */
uint64_t ew_lpm_bytes(const struct ew_lpm *l);

#endif
