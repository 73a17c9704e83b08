/* SPDX-License-Identifier: Apache-2.0 */
/* decode_pkt - see decode_pkt.h. */
#include "collector/decode_pkt.h"
#include "core/ew_err.h"
#include "core/ew_flow.h"

#include <string.h>

#define ETH_IPV4 0x0800
#define ETH_ARP 0x0806
#define ETH_RARP 0x8035
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_QINQ_OLD 0x9100
#define ETH_IPV6 0x86dd
#define ETH_MPLS 0x8847
#define ETH_MPLS_MC 0x8848
#define ETH_PPPOE 0x8864
#define ETH_TEB 0x6558     /* GRE: transparent Ethernet bridging */
#define ETH_ERSPAN2 0x88be
#define ETH_ERSPAN3 0x22eb

#define VXLAN_PORT 4789
#define GENEVE_PORT 6081

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int decode_eth(struct ew_pkt *p, const uint8_t *d, uint32_t len);
static int decode_ethertype(struct ew_pkt *p, uint16_t type, const uint8_t *d, uint32_t len);
static int decode_ip(struct ew_pkt *p, const uint8_t *d, uint32_t len);

int ew_icmp_request_of(uint8_t proto, uint8_t t)
{
	if (proto == 1) {
		switch (t) {
		case 0: return 8;    /* echo reply */
		case 14: return 13;  /* timestamp reply */
		case 16: return 15;  /* information reply */
		case 18: return 17;  /* address mask reply */
		}
	} else if (proto == 58) {
		if (t == 129)
			return 128;  /* echo reply */
	}
	return -1;
}

int ew_icmp_not_a_flow(uint8_t proto, uint8_t t)
{
	if (proto == 58)
		return (t >= 130 && t <= 137) || t == 143 || (t >= 151 && t <= 153) || t < 128;
	if (proto == 1)
		return t == 9 || t == 10 || t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
	return proto == 2;   /* IGMP */
}

static int icmp_is_error(uint8_t proto, uint8_t t)
{
	if (proto == 1)
		return t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
	return t < 128;  /* ICMPv6 error messages are types 0-127 */
}

static int icmp6_is_infra(uint8_t t)
{
	/* MLD query/report/done (130-132), RS, RA, NS, NA, redirect (133-137),
	 * MLDv2 report (143), multicast router discovery (151-153). */
	return (t >= 130 && t <= 137) || t == 143 || (t >= 151 && t <= 153);
}

static int decode_l4(struct ew_pkt *p, const uint8_t *d, uint32_t len)
{
	p->k.sport = p->k.dport = 0;
	switch (p->k.proto) {
	case 6: {   /* TCP */
		uint32_t off;

		if (len < 20)
			return EW_E_TRUNC;
		off = (uint32_t)(d[12] >> 4) * 4;
		if (off < 20)
			return EW_E_MALFORMED;
		p->k.sport = rd16(d);
		p->k.dport = rd16(d + 2);
		p->k.tcp_flags = d[13];
		p->k.l4_payload = len > off ? len - off : 0;
		return EW_OK;
	}
	case 17:    /* UDP */
	case 136: { /* UDP-Lite */
		if (len < 8)
			return EW_E_TRUNC;
		p->k.sport = rd16(d);
		p->k.dport = rd16(d + 2);
		p->k.l4_payload = len - 8;
		if (p->k.proto == 17 && p->encap < EW_PKT_MAX_ENCAP && len >= 16) {
			const uint8_t *in = d + 8;

			/* VXLAN: I flag set, reserved bits clear; Geneve: version 0,
			 * Ethernet payload. A mismatch is an ordinary UDP flow. */
			if (p->k.dport == VXLAN_PORT && (in[0] & 0xf7) == 0 && (in[0] & 0x08)) {
				p->encap++;
				return decode_eth(p, in + 8, len - 16);
			}
			if (p->k.dport == GENEVE_PORT && (in[0] >> 6) == 0) {
				uint32_t hl = 8 + (uint32_t)(in[0] & 0x3f) * 4;
				uint16_t type = rd16(in + 2);

				if (len - 8 < hl)
					return EW_E_TRUNC;
				/* Ethernet, or IP straight after the header (protocol type
				 * 0x0800 or 0x86dd); another inner protocol is not decoded */
				if (type != ETH_TEB && type != ETH_IPV4 && type != ETH_IPV6)
					return EW_E_UNSUPPORTED;
				p->encap++;
				return type == ETH_TEB ? decode_eth(p, in + hl, len - 8 - hl) :
							 decode_ip(p, in + hl, len - 8 - hl);
			}
		}
		return EW_OK;
	}
	case 132:   /* SCTP */
		if (len < 12)
			return EW_E_TRUNC;
		p->k.sport = rd16(d);
		p->k.dport = rd16(d + 2);
		p->k.l4_payload = len - 12;
		return EW_OK;
	case 1:
	case 58: {  /* ICMP, ICMPv6 */
		int req;

		if (len < 4)
			return EW_E_TRUNC;
		p->icmp_type = d[0];
		p->icmp_code = d[1];
		p->k.l4_payload = len - 4;
		if ((p->k.proto == 58 && icmp6_is_infra(d[0])) ||
		    (p->k.proto == 1 && (d[0] == 9 || d[0] == 10))) {   /* router discovery */
			p->kind = EW_PKT_INFRA;
			return EW_OK;
		}
		if (icmp_is_error(p->k.proto, d[0])) {
			p->kind = EW_PKT_ICMP_ERROR;
			return EW_OK;
		}
		req = ew_icmp_request_of(p->k.proto, d[0]);
		p->k.icmp_reply = req >= 0;
		p->k.sport = (uint16_t)(req >= 0 ? req : d[0]);
		p->k.dport = d[1];
		if (len >= 8 && ((p->k.proto == 1 && (d[0] == 8 || d[0] == 0)) ||
				 (p->k.proto == 58 && (d[0] == 128 || d[0] == 129))))
			p->k.key_extra = rd16(d + 4);
		return EW_OK;
	}
	case 2:     /* IGMP */
		p->kind = EW_PKT_INFRA;
		return EW_OK;
	case 47: {  /* GRE */
		uint16_t flags, type;
		uint32_t hl = 4;

		if (p->encap >= EW_PKT_MAX_ENCAP || len < 4)
			return len < 4 ? EW_E_TRUNC : EW_OK;
		flags = rd16(d);
		type = rd16(d + 2);
		if ((flags & 7) != 0)     /* version 1 is PPTP: an ordinary flow */
			return EW_OK;
		if (flags & 0x8000) hl += 4;   /* checksum */
		if (flags & 0x2000) hl += 4;   /* key */
		if (flags & 0x1000) hl += 4;   /* sequence */
		if (flags & 0x4000)            /* routing present: obsolete, not followed */
			return EW_OK;
		if (len < hl)
			return EW_E_TRUNC;
		d += hl;
		len -= hl;
		p->encap++;
		switch (type) {
		case ETH_TEB:
			return decode_eth(p, d, len);
		case ETH_IPV4:
		case ETH_IPV6:
			return decode_ip(p, d, len);
		case ETH_ERSPAN2:
			if (!(flags & 0x1000))   /* type I: no ERSPAN header */
				return decode_eth(p, d, len);
			if (len < 8)
				return EW_E_TRUNC;
			if ((d[0] >> 4) != 1)
				return EW_E_UNSUPPORTED;
			return decode_eth(p, d + 8, len - 8);
		case ETH_ERSPAN3: {
			uint32_t eh = 12;

			if (len < 12)
				return EW_E_TRUNC;
			if ((d[0] >> 4) != 2)
				return EW_E_UNSUPPORTED;
			if (d[11] & 1)           /* O bit: platform-specific sub-header */
				eh += 8;
			if (len < eh)
				return EW_E_TRUNC;
			return decode_eth(p, d + eh, len - eh);
		}
		default:
			p->encap--;
			return EW_OK;    /* GRE carrying something else: the GRE flow itself */
		}
	}
	case 4:     /* IPv4 in IP */
	case 41:    /* IPv6 in IP */
		if (p->encap >= EW_PKT_MAX_ENCAP)
			return EW_OK;
		p->encap++;
		return decode_ip(p, d, len);
	default:
		p->k.l4_payload = len;
		return EW_OK;
	}
}

static int decode_ipv4(struct ew_pkt *p, const uint8_t *d, uint32_t len)
{
	uint32_t hl, tl;
	uint16_t frag;

	if (len < 20)
		return EW_E_TRUNC;
	if ((d[0] >> 4) != 4)
		return EW_E_MALFORMED;
	hl = (uint32_t)(d[0] & 0x0f) * 4;
	tl = rd16(d + 2);
	if (tl == 0 && len >= hl) {
		/* TSO/GSO: the sending host's capture saw the segment before the NIC cut
		 * it, with the length left 0 (as Zeek and Wireshark do: the captured length) */
		tl = len;
		p->len_from_capture = 1;
	}
	if (hl < 20 || tl < hl)
		return EW_E_MALFORMED;
	if (len < hl)
		return EW_E_TRUNC;
	if (len > tl)
		len = tl;         /* Ethernet padding */
	p->ipver = 4;
	p->k.proto = d[9];
	ew_addr_from_v4(&p->k.src, d + 12);
	ew_addr_from_v4(&p->k.dst, d + 16);
	p->l3 = d;
	p->l3_len = len;
	p->k.ip_len = tl;
	p->kind = EW_PKT_FLOW;
	p->k.tcp_flags = 0;
	p->k.key_extra = 0;
	p->k.l4_payload = 0;
	frag = rd16(d + 6);
	p->frag_id = rd16(d + 4);
	p->first_frag = 0;
	if (frag & 0x1fff) {       /* offset != 0: a later fragment */
		p->kind = EW_PKT_FRAG;
		p->k.sport = p->k.dport = 0;
		return EW_OK;
	}
	if (frag & 0x2000)         /* more fragments */
		p->first_frag = 1;
	return decode_l4(p, d + hl, len - hl);
}

static int decode_ipv6(struct ew_pkt *p, const uint8_t *d, uint32_t len)
{
	uint32_t pl, off = 40;
	uint8_t nh;

	if (len < 40)
		return EW_E_TRUNC;
	if ((d[0] >> 4) != 6)
		return EW_E_MALFORMED;
	pl = rd16(d + 4);
	p->ipver = 6;
	ew_addr_from_v6(&p->k.src, d + 8);
	ew_addr_from_v6(&p->k.dst, d + 24);
	if (pl == 0)               /* jumbogram or captured without length: trust capture */
		pl = len - 40;
	if (len > 40 + pl)
		len = 40 + pl;
	p->l3 = d;
	p->l3_len = len;
	p->k.ip_len = 40 + pl;
	p->kind = EW_PKT_FLOW;
	p->k.tcp_flags = 0;
	p->k.key_extra = 0;
	p->k.l4_payload = 0;
	p->first_frag = 0;
	p->frag_id = 0;
	nh = d[6];
	for (int i = 0; i <= EW_PKT_MAX_EXTHDR; i++) {
		switch (nh) {
		case 0: case 43: case 60: case 135: case 139: case 140: {  /* HBH, routing, dst, mobility, HIP, shim6 */
			if (len < off + 8)
				return EW_E_TRUNC;
			nh = d[off];
			off += ((uint32_t)d[off + 1] + 1) * 8;
			if (off > len)
				return EW_E_TRUNC;
			continue;
		}
		case 51:           /* AH: length in 4-byte units, minus 2 */
			if (len < off + 8)
				return EW_E_TRUNC;
			nh = d[off];
			off += ((uint32_t)d[off + 1] + 2) * 4;
			if (off > len)
				return EW_E_TRUNC;
			continue;
		case 44: {         /* fragment */
			uint16_t fo;

			if (len < off + 8)
				return EW_E_TRUNC;
			nh = d[off];
			fo = rd16(d + off + 2);
			p->frag_id = rd32(d + off + 4);
			off += 8;
			if (fo & 0xfff8) {
				p->k.proto = nh;
				p->kind = EW_PKT_FRAG;
				p->k.sport = p->k.dport = 0;
				return EW_OK;
			}
			if (fo & 1)
				p->first_frag = 1;
			continue;
		}
		case 59:           /* no next header */
			p->k.proto = nh;
			p->k.sport = p->k.dport = 0;
			return EW_OK;
		default:
			p->k.proto = nh;
			return decode_l4(p, d + off, len - off);
		}
	}
	return EW_E_MALFORMED;     /* more extension headers than any sane packet has */
}

static int decode_ip(struct ew_pkt *p, const uint8_t *d, uint32_t len)
{
	if (len < 1)
		return EW_E_TRUNC;
	switch (d[0] >> 4) {
	case 4: return decode_ipv4(p, d, len);
	case 6: return decode_ipv6(p, d, len);
	default: return EW_E_MALFORMED;
	}
}

static int decode_ethertype(struct ew_pkt *p, uint16_t type, const uint8_t *d, uint32_t len)
{
	int tags = 0;

	for (;;) {
		switch (type) {
		case ETH_IPV4:
		case ETH_IPV6:
			return decode_ip(p, d, len);
		case ETH_ARP:
		case ETH_RARP:
			p->kind = EW_PKT_INFRA;
			return EW_OK;
		case ETH_VLAN:
		case ETH_QINQ:
		case ETH_QINQ_OLD:
			if (++tags > EW_PKT_MAX_LABELS)
				return EW_E_MALFORMED;
			if (len < 4)
				return EW_E_TRUNC;
			if (p->k.vlan == 0)
				p->k.vlan = rd16(d) & 0x0fff;
			type = rd16(d + 2);
			d += 4;
			len -= 4;
			continue;
		case ETH_MPLS:
		case ETH_MPLS_MC:
			for (;;) {
				if (++tags > EW_PKT_MAX_LABELS)
					return EW_E_MALFORMED;
				if (len < 4)
					return EW_E_TRUNC;
				if (d[2] & 1) {      /* bottom of stack */
					d += 4;
					len -= 4;
					break;
				}
				d += 4;
				len -= 4;
			}
			if (len < 1)
				return EW_E_TRUNC;
			if ((d[0] >> 4) == 4 || (d[0] >> 4) == 6)
				return decode_ip(p, d, len);
			/* pseudowire with control word, then Ethernet */
			if (d[0] >> 4 == 0 && len >= 4 && p->encap < EW_PKT_MAX_ENCAP) {
				p->encap++;
				return decode_eth(p, d + 4, len - 4);
			}
			return EW_E_UNSUPPORTED;
		case ETH_PPPOE: {
			uint16_t ppp;

			if (len < 8)
				return EW_E_TRUNC;
			ppp = rd16(d + 6);
			d += 8;
			len -= 8;
			if (ppp == 0x0021)
				return decode_ip(p, d, len);
			if (ppp == 0x0057)
				return decode_ip(p, d, len);
			p->kind = EW_PKT_NOT_IP;
			return EW_OK;
		}
		default:
			p->kind = EW_PKT_NOT_IP;
			return EW_OK;
		}
	}
}

static int decode_eth(struct ew_pkt *p, const uint8_t *d, uint32_t len)
{
	if (len < 14)
		return EW_E_TRUNC;
	return decode_ethertype(p, rd16(d + 12), d + 14, len - 14);
}

int ew_pkt_dlt_supported(int dlt)
{
	switch (dlt) {
	case EW_DLT_NULL: case EW_DLT_EN10MB: case EW_DLT_RAW: case EW_DLT_RAW_LT:
	case EW_DLT_LOOP: case EW_DLT_LINUX_SLL: case EW_DLT_IPV4: case EW_DLT_IPV6:
	case EW_DLT_LINUX_SLL2:
		return 1;
	default:
		return 0;
	}
}

int ew_pkt_decode(struct ew_pkt *p, int dlt, const uint8_t *d, uint32_t len)
{
	p->kind = EW_PKT_NOT_IP;
	p->len_from_capture = 0;
	p->k.weight = 1;
	p->l3 = NULL;
	p->l3_len = 0;
	p->k.icmp_reply = 0;
	p->k.key_extra = 0;
	p->encap = 0;
	p->k.vlan = 0;
	p->ipver = 0;
	p->k.sport = p->k.dport = 0;
	p->icmp_type = p->icmp_code = 0;
	switch (dlt) {
	case EW_DLT_EN10MB:
		return decode_eth(p, d, len);
	case EW_DLT_RAW:
	case EW_DLT_RAW_LT:
		return decode_ip(p, d, len);
	case EW_DLT_IPV4:
	case EW_DLT_IPV6:
		return decode_ip(p, d, len);
	case EW_DLT_NULL:
	case EW_DLT_LOOP: {
		uint32_t fam;

		if (len < 4)
			return EW_E_TRUNC;
		fam = rd32(d);
		if (dlt == EW_DLT_NULL && (fam & 0xffff) == 0)
			fam = (uint32_t)d[0] | (uint32_t)d[1] << 8;   /* host order, little endian */
		switch (fam) {
		case 2:                       /* AF_INET */
		case 10: case 24: case 28: case 30:   /* AF_INET6: Linux, BSDs, Darwin */
			return decode_ip(p, d + 4, len - 4);
		default:
			return EW_E_UNSUPPORTED;
		}
	}
	case EW_DLT_LINUX_SLL:
		if (len < 16)
			return EW_E_TRUNC;
		return decode_ethertype(p, rd16(d + 14), d + 16, len - 16);
	case EW_DLT_LINUX_SLL2:
		if (len < 20)
			return EW_E_TRUNC;
		return decode_ethertype(p, rd16(d), d + 20, len - 20);
	default:
		return EW_E_UNSUPPORTED;
	}
}
