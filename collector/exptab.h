/* SPDX-License-Identifier: Apache-2.0 */
/* exptab - a flow-telemetry listener's exporter table: the health of each exporter, by
 * address, at most max of them.
 *
 * When it is full a new exporter takes the place of one that has given no record, else
 * of the one heard from longest ago. The entries are kept in two lists in the order they
 * were last heard from (ew_exptab_heard): those that never gave a record and the others,
 * so the place is found at once at any size, and a flood of datagrams from ever new
 * (spoofed) addresses costs the listener no more per datagram than any other (with the
 * decoder's streams alike: 200,000 datagrams a second from 20,000 addresses, of which a
 * search of the whole table let the listener take 23%, are now all taken;
 * bench/exporter_flood.sh). */
#ifndef EW_EXPTAB_H
#define EW_EXPTAB_H

#include <stdint.h>

#include "collector/source.h"

#define EW_EXPTAB_DEFAULT 4095
#define EW_EXPTAB_MOST 65536

struct ew_exptab;

/* A table of max exporters (1 to EW_EXPTAB_MOST); NULL if out of memory or max is not. */
struct ew_exptab *ew_exptab_new(uint32_t max);
void ew_exptab_free(struct ew_exptab *t);   /* accepts NULL */

/* a's entry, or NULL. */
struct ew_exporter_health *ew_exptab_find(const struct ew_exptab *t, const struct ew_addr *a);
/* a's entry, made if new (zeroed but for addr, the most recently heard of those without
 * a record); when that took another's place, *gone (if not NULL) is set to the
 * forgotten exporter's address and 1 is returned through *evicted, else 0. */
struct ew_exporter_health *ew_exptab_get(struct ew_exptab *t, const struct ew_addr *a,
					 int *evicted, struct ew_addr *gone);
/* e was just heard from (and its records may now be more than 0): it becomes the most
 * recently heard of its list. */
void ew_exptab_heard(struct ew_exptab *t, struct ew_exporter_health *e);
/* e's records were counted again (a table merged from others): if it now has records and
 * had none it becomes the most recently heard of those with records; if it has none and
 * had some, the first to go of those without. */
void ew_exptab_recount(struct ew_exptab *t, struct ew_exporter_health *e);

uint32_t ew_exptab_count(const struct ew_exptab *t);
uint32_t ew_exptab_capacity(const struct ew_exptab *t);
/* Entry i, 1 <= i <= ew_exptab_count (an entry keeps its place while it stays). */
struct ew_exporter_health *ew_exptab_at(const struct ew_exptab *t, uint32_t i);

#endif
