/* SPDX-License-Identifier: Apache-2.0 */
/* pktbuild - tiny frame builders for the unit tests: each appends a header to a buffer
 * and fixes up lengths when finished, so tests can stack Ethernet, VLAN, IPv4/IPv6, GRE,
 * VXLAN, TCP, UDP and ICMP in any order. Checksums are left zero: nothing here checks
 * them. */
#ifndef EW_TEST_PKTBUILD_H
#define EW_TEST_PKTBUILD_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

struct pb {
	uint8_t b[4096];
	size_t n;
	size_t ip_at[8];     /* offsets of IP headers, to fix their lengths */
	int ip_ver[8];
	int nip;
	size_t udp_at[8];
	int nudp;
};

static inline void pb_put(struct pb *p, const void *d, size_t n)
{
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static inline void pb_u8(struct pb *p, uint8_t v) { pb_put(p, &v, 1); }
static inline void pb_u16(struct pb *p, uint16_t v) { v = htons(v); pb_put(p, &v, 2); }
static inline void pb_u32(struct pb *p, uint32_t v) { v = htonl(v); pb_put(p, &v, 4); }

static inline void pb_eth(struct pb *p, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	pb_put(p, macs, 12);
	pb_u16(p, type);
}

static inline void pb_vlan(struct pb *p, uint16_t id, uint16_t next)
{
	pb_u16(p, id);
	pb_u16(p, next);
}

static inline void pb_ipv4(struct pb *p, const char *src, const char *dst, uint8_t proto,
			   uint16_t id, uint16_t frag)
{
	struct in_addr a;

	p->ip_at[p->nip] = p->n;
	p->ip_ver[p->nip++] = 4;
	pb_u8(p, 0x45);
	pb_u8(p, 0);
	pb_u16(p, 0);          /* total length: fixed in pb_done */
	pb_u16(p, id);
	pb_u16(p, frag);
	pb_u8(p, 64);
	pb_u8(p, proto);
	pb_u16(p, 0);
	inet_pton(AF_INET, src, &a);
	pb_put(p, &a, 4);
	inet_pton(AF_INET, dst, &a);
	pb_put(p, &a, 4);
}

static inline void pb_ipv6(struct pb *p, const char *src, const char *dst, uint8_t nh)
{
	struct in6_addr a;

	p->ip_at[p->nip] = p->n;
	p->ip_ver[p->nip++] = 6;
	pb_u32(p, 0x60000000);
	pb_u16(p, 0);          /* payload length: fixed in pb_done */
	pb_u8(p, nh);
	pb_u8(p, 64);
	inet_pton(AF_INET6, src, &a);
	pb_put(p, &a, 16);
	inet_pton(AF_INET6, dst, &a);
	pb_put(p, &a, 16);
}

static inline void pb_tcp(struct pb *p, uint16_t sport, uint16_t dport, uint8_t flags)
{
	pb_u16(p, sport);
	pb_u16(p, dport);
	pb_u32(p, 1);
	pb_u32(p, 0);
	pb_u8(p, 5 << 4);
	pb_u8(p, flags);
	pb_u16(p, 65535);
	pb_u16(p, 0);
	pb_u16(p, 0);
}

static inline void pb_udp(struct pb *p, uint16_t sport, uint16_t dport)
{
	p->udp_at[p->nudp++] = p->n;
	pb_u16(p, sport);
	pb_u16(p, dport);
	pb_u16(p, 0);          /* length: fixed in pb_done */
	pb_u16(p, 0);
}

static inline void pb_icmp(struct pb *p, uint8_t type, uint8_t code, uint16_t id)
{
	pb_u8(p, type);
	pb_u8(p, code);
	pb_u16(p, 0);
	pb_u16(p, id);
	pb_u16(p, 1);
}

static inline void pb_payload(struct pb *p, const char *s)
{
	pb_put(p, s, strlen(s));
}

/* Set every IP and UDP length from the end of the frame. */
static inline void pb_done(struct pb *p)
{
	for (int i = 0; i < p->nip; i++) {
		size_t at = p->ip_at[i];
		uint16_t len = (uint16_t)(p->n - at);

		if (p->ip_ver[i] == 4) {
			p->b[at + 2] = (uint8_t)(len >> 8);
			p->b[at + 3] = (uint8_t)len;
		} else {
			len = (uint16_t)(len - 40);
			p->b[at + 4] = (uint8_t)(len >> 8);
			p->b[at + 5] = (uint8_t)len;
		}
	}
	for (int i = 0; i < p->nudp; i++) {
		size_t at = p->udp_at[i];
		uint16_t len = (uint16_t)(p->n - at);

		p->b[at + 4] = (uint8_t)(len >> 8);
		p->b[at + 5] = (uint8_t)len;
	}
}

#endif
