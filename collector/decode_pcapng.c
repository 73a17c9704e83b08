/* SPDX-License-Identifier: Apache-2.0 */
/* decode_pcapng - see decode_pcapng.h. */
#include "collector/decode_pcapng.h"
#include "core/ew_err.h"

#include <string.h>

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 1u
#define BT_OPB 2u
#define BT_SPB 3u
#define BT_EPB 6u
#define MAGIC 0x1A2B3C4Du

static uint32_t u32(const struct ew_pcapng *r, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return r->swap ? __builtin_bswap32(v) : v;
}

static uint16_t u16(const struct ew_pcapng *r, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return r->swap ? __builtin_bswap16(v) : v;
}

uint32_t ew_pcapng_block_len(struct ew_pcapng *r, const uint8_t hdr[12])
{
	uint32_t type, len, magic;

	memcpy(&type, hdr, 4);
	if (type == BT_SHB) {     /* the same in both byte orders: the magic tells */
		memcpy(&magic, hdr + 8, 4);
		if (magic == MAGIC)
			r->swap = 0;
		else if (magic == __builtin_bswap32(MAGIC))
			r->swap = 1;
		else
			return 0;
	} else if (!r->in_section) {
		return 0;
	}
	len = u32(r, hdr + 4);
	if (len < 12 || (len & 3))
		return 0;
	return len;
}

/* Timestamp units of interface i -> microseconds. */
static uint64_t ts_us(const struct ew_pcapng_iface *i, uint64_t units)
{
	unsigned __int128 x = units;
	uint8_t n = i->tsresol & 0x7f;

	if (i->tsresol & 0x80)
		return n > 63 ? 0 : (uint64_t)((x * 1000000u) >> n);
	if (n == 6)
		return units;
	if (n < 6) {
		while (n++ < 6)
			x *= 10;
		return (uint64_t)x;
	}
	for (; n > 6 && x; n--)
		x /= 10;
	return (uint64_t)x;
}

/* The interface description's options: if_tsresol (9). */
static void idb_options(struct ew_pcapng *r, struct ew_pcapng_iface *ifc, const uint8_t *o,
			const uint8_t *end)
{
	while (o + 4 <= end) {
		uint16_t code = u16(r, o), olen = u16(r, o + 2);
		uint32_t padded = ((uint32_t)olen + 3) & ~3u;

		if (code == 0 || (size_t)(end - o - 4) < padded)
			return;
		if (code == 9 && olen >= 1)
			ifc->tsresol = o[4];
		o += 4 + padded;
	}
}

int ew_pcapng_block(struct ew_pcapng *r, const uint8_t *blk, uint32_t len,
		    struct ew_pcapng_pkt *out)
{
	uint32_t type, body, cap;
	const uint8_t *b = blk + 8;
	const struct ew_pcapng_iface *ifc;

	if (len < 12 || u32(r, blk + len - 4) != len)
		return EW_E_MALFORMED;
	memcpy(&type, blk, 4);
	if (type != BT_SHB)
		type = u32(r, blk);
	body = len - 12;
	switch (type) {
	case BT_SHB:
		if (body < 16)
			return EW_E_MALFORMED;
		if (u16(r, b + 4) != 1)                 /* major version */
			return EW_E_UNSUPPORTED;
		r->in_section = 1;
		r->nifaces = 0;                         /* interfaces are per section */
		return 0;
	case BT_IDB: {
		struct ew_pcapng_iface *i;

		if (body < 8)
			return EW_E_MALFORMED;
		if (r->nifaces == EW_PCAPNG_MAX_IFACES) {
			r->skipped++;
			return 0;
		}
		i = &r->iface[r->nifaces++];
		i->linktype = u16(r, b);
		i->snaplen = u32(r, b + 4);
		i->tsresol = 6;
		idb_options(r, i, b + 8, b + body);
		return 0;
	}
	case BT_EPB:
	case BT_OPB: {
		uint32_t id;
		uint64_t ts;

		if (body < 20)
			return EW_E_MALFORMED;
		id = type == BT_EPB ? u32(r, b) : u16(r, b);
		ts = (uint64_t)u32(r, b + 4) << 32 | u32(r, b + 8);
		if (id >= r->nifaces)
			return EW_E_UNSUPPORTED;
		ifc = &r->iface[id];
		cap = u32(r, b + 12);
		if (cap > body - 20)
			return EW_E_MALFORMED;
		out->ts_us = ts_us(ifc, ts);
		out->caplen = cap;
		out->len = u32(r, b + 16);
		if (out->len < cap)
			out->len = cap;
		out->dlt = ifc->linktype;
		out->data = b + 20;
		return 1;
	}
	case BT_SPB:
		if (body < 4)
			return EW_E_MALFORMED;
		if (r->nifaces == 0)
			return EW_E_UNSUPPORTED;
		ifc = &r->iface[0];
		out->len = u32(r, b);
		cap = out->len < body - 4 ? out->len : body - 4;
		if (ifc->snaplen && cap > ifc->snaplen)
			cap = ifc->snaplen;
		out->caplen = cap;
		out->ts_us = 0;                         /* a simple packet has no time */
		out->dlt = ifc->linktype;
		out->data = b + 4;
		return 1;
	default:
		r->skipped++;
		return 0;
	}
}
