/* SPDX-License-Identifier: Apache-2.0 */
/* inventory - which labels each address carries, for label:KEY=VALUE group members
 * (SPEC §3).
 *
 * Filled from a YAML file mapping addresses (or prefixes) to labels
 * (`198.18.1.11: { role: web, env: prod }`) or, in the daemon, from Redis hashes
 * `eastwatch:host:ADDRESS` (daemon/central.c). The policy loader reads it when it
 * compiles label selectors into address sets, so a label change takes effect by
 * compiling the policy again with the new inventory and swapping it in: a flow is
 * judged with the labels in force when it was seen. */
#ifndef EW_INVENTORY_H
#define EW_INVENTORY_H

#include <stdint.h>

#include "core/ew_addr.h"
#include "core/ew_err.h"

struct ew_inventory;

struct ew_inventory *ew_inventory_new(void);
void ew_inventory_free(struct ew_inventory *inv);

/* Read a YAML inventory file. Errors as "FILE:LINE:COL: message". */
struct ew_inventory *ew_inventory_load_file(const char *path, struct ew_err *err);

/* Set the labels of one address or prefix (kv: key, value, key, value ...), replacing
 * what it had; nkv == 0 removes it. Keys and values are copied. EW_OK, EW_E_NOMEM, or
 * EW_E_INVAL (a key or value that is empty or not a single word). */
int ew_inventory_set(struct ew_inventory *inv, const struct ew_addr *a, unsigned plen,
		     const char *const *kv, uint32_t nkv);

/* Every entry, in insertion order. */
typedef void (*ew_inventory_fn)(void *arg, const struct ew_addr *a, unsigned plen,
				const char *const *kv, uint32_t nkv);
void ew_inventory_each(const struct ew_inventory *inv, ew_inventory_fn fn, void *arg);

/* The value of label key on the entry that is exactly address a (a host), or NULL. */
const char *ew_inventory_label(const struct ew_inventory *inv, const struct ew_addr *a,
			       const char *key);
/* The labels of host a (kv pairs; *nkv set), or NULL. */
const char *const *ew_inventory_labels(const struct ew_inventory *inv, const struct ew_addr *a,
				       uint32_t *nkv);

uint32_t ew_inventory_count(const struct ew_inventory *inv);

#endif
