/* SPDX-License-Identifier: Apache-2.0 */
/* inventory - see inventory.h. */
#include "analyzer/inventory.h"
#include "core/ew_conf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct inv_ent {
	struct ew_addr a;
	unsigned plen;
	char **kv;
	uint32_t nkv;
};

struct ew_inventory {
	struct inv_ent *e;
	uint32_t n, cap;
};

struct ew_inventory *ew_inventory_new(void)
{
	return calloc(1, sizeof(struct ew_inventory));
}

static void ent_clear(struct inv_ent *e)
{
	for (uint32_t i = 0; i < e->nkv; i++)
		free(e->kv[i]);
	free(e->kv);
	e->kv = NULL;
	e->nkv = 0;
}

void ew_inventory_free(struct ew_inventory *inv)
{
	if (inv == NULL)
		return;
	for (uint32_t i = 0; i < inv->n; i++)
		ent_clear(&inv->e[i]);
	free(inv->e);
	free(inv);
}

static int word(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++)
		if (isspace((unsigned char)*s) || *s == ',' || *s == '=')
			return 0;
	return 1;
}

static struct inv_ent *find(const struct ew_inventory *inv, const struct ew_addr *a,
			    unsigned plen)
{
	for (uint32_t i = 0; i < inv->n; i++)
		if (inv->e[i].plen == plen && ew_addr_eq(&inv->e[i].a, a))
			return &inv->e[i];
	return NULL;
}

int ew_inventory_set(struct ew_inventory *inv, const struct ew_addr *a, unsigned plen,
		     const char *const *kv, uint32_t nkv)
{
	struct inv_ent *e = find(inv, a, plen);
	char **copy = NULL;

	for (uint32_t i = 0; i < nkv; i++)
		if (!word(kv[i]))
			return EW_E_INVAL;
	if (nkv) {
		copy = calloc(nkv, sizeof(*copy));
		if (copy == NULL)
			return EW_E_NOMEM;
		for (uint32_t i = 0; i < nkv; i++)
			if ((copy[i] = strdup(kv[i])) == NULL) {
				while (i--)
					free(copy[i]);
				free(copy);
				return EW_E_NOMEM;
			}
	}
	if (e == NULL && nkv == 0)
		return EW_OK;
	if (e == NULL) {
		if (inv->n == inv->cap) {
			uint32_t nc = inv->cap ? inv->cap * 2 : 64;
			struct inv_ent *ne = realloc(inv->e, nc * sizeof(*ne));

			if (ne == NULL) {
				for (uint32_t i = 0; i < nkv; i++)
					free(copy[i]);
				free(copy);
				return EW_E_NOMEM;
			}
			inv->e = ne;
			inv->cap = nc;
		}
		e = &inv->e[inv->n++];
		memset(e, 0, sizeof(*e));
		e->a = *a;
		e->plen = plen;
	}
	ent_clear(e);
	if (nkv == 0) {                           /* removed: keep the order of the rest */
		uint32_t at = (uint32_t)(e - inv->e);

		memmove(e, e + 1, (inv->n - at - 1) * sizeof(*e));
		inv->n--;
		return EW_OK;
	}
	e->kv = copy;
	e->nkv = nkv;
	return EW_OK;
}

struct ew_inventory *ew_inventory_load_file(const char *path, struct ew_err *err)
{
	struct ew_conf *doc = NULL;
	struct ew_inventory *inv;
	struct ew_conf_node root;

	if (ew_conf_load(&doc, path, err) != EW_OK)
		return NULL;
	inv = ew_inventory_new();
	if (inv == NULL) {
		ew_err_set(err, "%s: out of memory", path);
		goto fail;
	}
	root = ew_conf_root(doc);
	if (!ew_conf_present(root)) {
		ew_conf_free(doc);
		return inv;
	}
	if (ew_conf_type(root) != EW_CONF_MAP) {
		ew_conf_errf(err, root, "inventory must map addresses to labels");
		goto fail;
	}
	for (size_t i = 0; i < ew_conf_len(root); i++) {
		struct ew_conf_node k = ew_conf_key(root, i), v = ew_conf_val(root, i);
		const char *kv[64];
		struct ew_addr a;
		unsigned plen;
		uint32_t n = 0;

		if (ew_prefix_parse(&a, &plen, ew_conf_str(k), 0) != 0) {
			ew_conf_errf(err, k, "bad inventory address \"%s\"", ew_conf_str(k));
			goto fail;
		}
		if (ew_conf_type(v) != EW_CONF_MAP) {
			ew_conf_errf(err, v, "labels of %s must be a mapping (key: value)",
				     ew_conf_str(k));
			goto fail;
		}
		if (ew_conf_len(v) > 32) {
			ew_conf_errf(err, v, "more than 32 labels on %s", ew_conf_str(k));
			goto fail;
		}
		for (size_t j = 0; j < ew_conf_len(v); j++) {
			struct ew_conf_node lk = ew_conf_key(v, j), lv = ew_conf_val(v, j);

			if (ew_conf_type(lv) != EW_CONF_SCALAR || !word(ew_conf_str(lv)) ||
			    !word(ew_conf_str(lk))) {
				ew_conf_errf(err, lv, "label keys and values must be single words");
				goto fail;
			}
			kv[n++] = ew_conf_str(lk);
			kv[n++] = ew_conf_str(lv);
		}
		if (find(inv, &a, plen)) {
			ew_conf_errf(err, k, "%s is listed twice", ew_conf_str(k));
			goto fail;
		}
		if (n == 0)
			continue;
		if (ew_inventory_set(inv, &a, plen, kv, n) != EW_OK) {
			ew_conf_errf(err, k, "out of memory");
			goto fail;
		}
	}
	ew_conf_free(doc);
	return inv;
fail:
	ew_inventory_free(inv);
	ew_conf_free(doc);
	return NULL;
}

void ew_inventory_each(const struct ew_inventory *inv, ew_inventory_fn fn, void *arg)
{
	for (uint32_t i = 0; inv && i < inv->n; i++)
		fn(arg, &inv->e[i].a, inv->e[i].plen, (const char *const *)inv->e[i].kv,
		   inv->e[i].nkv);
}

const char *const *ew_inventory_labels(const struct ew_inventory *inv, const struct ew_addr *a,
				       uint32_t *nkv)
{
	const struct inv_ent *e = inv ? find(inv, a, 128) : NULL;

	*nkv = e ? e->nkv : 0;
	return e ? (const char *const *)e->kv : NULL;
}

const char *ew_inventory_label(const struct ew_inventory *inv, const struct ew_addr *a,
			       const char *key)
{
	uint32_t n;
	const char *const *kv = ew_inventory_labels(inv, a, &n);

	for (uint32_t i = 0; i + 1 < n; i += 2)
		if (strcmp(kv[i], key) == 0)
			return kv[i + 1];
	return NULL;
}

uint32_t ew_inventory_count(const struct ew_inventory *inv)
{
	return inv ? inv->n : 0;
}
