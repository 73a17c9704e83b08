/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for collector/decode_pkt: every link type, tunnel and header the decoder
 * follows, and the malformed and truncated cases it must survive. */
#include <check.h>
#include <stdlib.h>

#include "collector/decode_pkt.h"
#include "core/ew_err.h"
#include "check_main.h"
#include "pktbuild.h"

static int addr_is(const struct ew_addr *a, const char *s)
{
	struct ew_addr b;

	return ew_addr_parse(&b, s) == 0 && ew_addr_eq(a, &b);
}

static void build_tcp4(struct pb *p, uint8_t flags)
{
	pb_eth(p, 0x0800);
	pb_ipv4(p, "198.18.1.11", "198.18.3.10", 6, 7, 0);
	pb_tcp(p, 40000, 22, flags);
	pb_payload(p, "SSH-2.0-OpenSSH_9.2\r\n");
	pb_done(p);
}

START_TEST(eth_ipv4_tcp)
{
	struct pb p = { 0 };
	struct ew_pkt k;

	build_tcp4(&p, 0x18);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.kind, EW_PKT_FLOW);
	ck_assert_int_eq(k.ipver, 4);
	ck_assert_int_eq(k.k.proto, 6);
	ck_assert_int_eq(k.k.sport, 40000);
	ck_assert_int_eq(k.k.dport, 22);
	ck_assert_int_eq(k.k.tcp_flags, 0x18);
	ck_assert(addr_is(&k.k.src, "198.18.1.11"));
	ck_assert(addr_is(&k.k.dst, "198.18.3.10"));
	ck_assert_uint_eq(k.k.ip_len, p.n - 14);
	ck_assert_uint_eq(k.k.l4_payload, 21);
	ck_assert_ptr_eq(k.l3, p.b + 14);
}
END_TEST

START_TEST(ethernet_padding_is_not_counted)
{
	struct pb p = { 0 };
	struct ew_pkt k;

	pb_eth(&p, 0x0800);
	pb_ipv4(&p, "198.18.1.1", "198.18.1.2", 6, 1, 0);
	pb_tcp(&p, 1, 2, 0x10);
	pb_done(&p);
	memset(p.b + p.n, 0, 6);   /* 54-byte frame padded to 60 */
	p.n += 6;
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_uint_eq(k.l3_len, 40);
	ck_assert_uint_eq(k.k.l4_payload, 0);
}
END_TEST

START_TEST(vlan_and_qinq)
{
	struct pb p = { 0 };
	struct ew_pkt k;

	pb_eth(&p, 0x88a8);
	pb_vlan(&p, 100, 0x8100);
	pb_vlan(&p, 200, 0x86dd);
	pb_ipv6(&p, "fd18::1:11", "fd18::3:10", 17);
	pb_udp(&p, 5353, 53);
	pb_done(&p);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.k.vlan, 100);
	ck_assert_int_eq(k.ipver, 6);
	ck_assert_int_eq(k.k.dport, 53);
	ck_assert(addr_is(&k.k.dst, "fd18::3:10"));
}
END_TEST

START_TEST(too_many_vlan_tags)
{
	struct pb p = { 0 };
	struct ew_pkt k;

	pb_eth(&p, 0x8100);
	for (int i = 0; i < 20; i++)
		pb_vlan(&p, (uint16_t)i, 0x8100);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_E_MALFORMED);
}
END_TEST

START_TEST(mpls_stack)
{
	struct pb p = { 0 };
	struct ew_pkt k;

	pb_eth(&p, 0x8847);
	pb_u32(&p, 100 << 12);                 /* label 100 */
	pb_u32(&p, (200 << 12) | (1 << 8));    /* label 200, bottom of stack */
	pb_ipv4(&p, "198.18.1.1", "198.18.2.1", 6, 1, 0);
	pb_tcp(&p, 50000, 8443, 2);
	pb_done(&p);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.k.dport, 8443);
}
END_TEST

START_TEST(linux_cooked_v1_v2_raw_loop)
{
	struct pb ip = { 0 };
	uint8_t f[512];
	struct ew_pkt k;

	pb_ipv4(&ip, "198.18.1.1", "198.18.2.1", 17, 1, 0);
	pb_udp(&ip, 1000, 53);
	pb_done(&ip);
	/* SLL: 16 bytes, protocol at 14 */
	memset(f, 0, 16);
	f[14] = 0x08;
	memcpy(f + 16, ip.b, ip.n);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_LINUX_SLL, f, (uint32_t)(16 + ip.n)), EW_OK);
	ck_assert_int_eq(k.k.dport, 53);
	/* SLL2: 20 bytes, protocol at 0 */
	memset(f, 0, 20);
	f[0] = 0x08;
	memcpy(f + 20, ip.b, ip.n);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_LINUX_SLL2, f, (uint32_t)(20 + ip.n)), EW_OK);
	ck_assert_int_eq(k.k.dport, 53);
	/* raw IP */
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_RAW, ip.b, (uint32_t)ip.n), EW_OK);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_IPV4, ip.b, (uint32_t)ip.n), EW_OK);
	/* BSD loopback, family in host order (little endian) and network order */
	memset(f, 0, 4);
	f[0] = 2;
	memcpy(f + 4, ip.b, ip.n);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_NULL, f, (uint32_t)(4 + ip.n)), EW_OK);
	memset(f, 0, 4);
	f[3] = 2;
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_LOOP, f, (uint32_t)(4 + ip.n)), EW_OK);
	ck_assert_int_eq(ew_pkt_decode(&k, 9999, f, (uint32_t)(4 + ip.n)), EW_E_UNSUPPORTED);
}
END_TEST

START_TEST(ipv4_fragments)
{
	struct pb first = { 0 }, later = { 0 };
	struct ew_pkt k;

	pb_eth(&first, 0x0800);
	pb_ipv4(&first, "198.18.1.1", "198.18.2.1", 17, 77, 0x2000);   /* MF */
	pb_udp(&first, 1111, 2222);
	pb_payload(&first, "aaaaaaaa");
	pb_done(&first);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, first.b, (uint32_t)first.n), EW_OK);
	ck_assert_int_eq(k.kind, EW_PKT_FLOW);
	ck_assert_int_eq(k.first_frag, 1);
	ck_assert_uint_eq(k.frag_id, 77);
	pb_eth(&later, 0x0800);
	pb_ipv4(&later, "198.18.1.1", "198.18.2.1", 17, 77, 2);   /* offset 16 bytes */
	pb_payload(&later, "bbbbbbbbbbbb");
	pb_done(&later);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, later.b, (uint32_t)later.n), EW_OK);
	ck_assert_int_eq(k.kind, EW_PKT_FRAG);
	ck_assert_uint_eq(k.frag_id, 77);
}
END_TEST

START_TEST(ipv6_extension_headers_and_fragment)
{
	struct pb p = { 0 };
	struct ew_pkt k;

	pb_eth(&p, 0x86dd);
	pb_ipv6(&p, "fd18::1", "fd18::2", 0);          /* hop-by-hop */
	pb_u8(&p, 60); pb_u8(&p, 0); pb_u32(&p, 0); pb_u16(&p, 0);   /* HBH -> dst opts */
	pb_u8(&p, 44); pb_u8(&p, 0); pb_u32(&p, 0); pb_u16(&p, 0);   /* dst opts -> frag */
	pb_u8(&p, 6); pb_u8(&p, 0); pb_u16(&p, 1); pb_u32(&p, 0xabcdef01);  /* frag: off 0, M */
	pb_tcp(&p, 33000, 443, 2);
	pb_done(&p);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.kind, EW_PKT_FLOW);
	ck_assert_int_eq(k.k.proto, 6);
	ck_assert_int_eq(k.k.dport, 443);
	ck_assert_int_eq(k.first_frag, 1);
	ck_assert_uint_eq(k.frag_id, 0xabcdef01);
	/* the same with a non-zero offset: a later fragment */
	p.b[14 + 40 + 16 + 2] = 0x00;
	p.b[14 + 40 + 16 + 3] = 0x08;
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.kind, EW_PKT_FRAG);
}
END_TEST

START_TEST(ipv6_extension_header_loop_is_bounded)
{
	struct pb p = { 0 };
	struct ew_pkt k;

	pb_eth(&p, 0x86dd);
	pb_ipv6(&p, "fd18::1", "fd18::2", 60);
	for (int i = 0; i < 12; i++) {
		pb_u8(&p, 60); pb_u8(&p, 0); pb_u32(&p, 0); pb_u16(&p, 0);
	}
	pb_done(&p);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_E_MALFORMED);
}
END_TEST

START_TEST(icmp_pairs_and_infrastructure)
{
	struct pb p;
	struct ew_pkt k;

	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x0800);
	pb_ipv4(&p, "198.18.1.2", "198.18.1.1", 1, 1, 0);
	pb_icmp(&p, 0, 0, 4242);                          /* echo reply */
	pb_done(&p);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.kind, EW_PKT_FLOW);
	ck_assert_int_eq(k.k.icmp_reply, 1);
	ck_assert_int_eq(k.k.sport, 8);                   /* paired with echo request */
	ck_assert_int_eq(k.k.key_extra, 4242);

	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x0800);
	pb_ipv4(&p, "198.18.1.2", "198.18.1.1", 1, 1, 0);
	pb_icmp(&p, 3, 3, 0);                             /* port unreachable */
	pb_done(&p);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.kind, EW_PKT_ICMP_ERROR);

	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x86dd);
	pb_ipv6(&p, "fe80::1", "ff02::1:ff00:2", 58);
	pb_icmp(&p, 135, 0, 0);                           /* neighbour solicitation */
	pb_done(&p);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.kind, EW_PKT_INFRA);

	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x86dd);
	pb_ipv6(&p, "fe80::1", "ff02::16", 0);            /* MLDv2 report behind hop-by-hop */
	pb_u8(&p, 58); pb_u8(&p, 0); pb_u32(&p, 0); pb_u16(&p, 0);
	pb_icmp(&p, 143, 0, 0);
	pb_done(&p);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.kind, EW_PKT_INFRA);

	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x0800);
	pb_ipv4(&p, "198.18.1.2", "224.0.0.22", 2, 1, 0); /* IGMP */
	pb_u32(&p, 0x22000000);
	pb_done(&p);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.kind, EW_PKT_INFRA);

	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x0806);                               /* ARP */
	pb_payload(&p, "0123456789012345678901234567");
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.kind, EW_PKT_INFRA);

	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x88cc);                               /* LLDP */
	pb_payload(&p, "lldp-tlv");
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.kind, EW_PKT_NOT_IP);
}
END_TEST

static void inner_frame(struct pb *p)
{
	pb_eth(p, 0x0800);
	pb_ipv4(p, "198.18.1.11", "198.18.3.10", 6, 9, 0);
	pb_tcp(p, 41000, 5432, 2);
}

START_TEST(vxlan_and_geneve)
{
	struct pb p = { 0 };
	struct ew_pkt k;

	pb_eth(&p, 0x0800);
	pb_ipv4(&p, "198.19.0.1", "198.19.0.2", 17, 1, 0);
	pb_udp(&p, 55555, 4789);
	pb_u32(&p, 0x08000000);
	pb_u32(&p, 42 << 8);
	inner_frame(&p);
	pb_done(&p);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.encap, 1);
	ck_assert_int_eq(k.k.dport, 5432);
	ck_assert(addr_is(&k.k.src, "198.18.1.11"));

	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x0800);
	pb_ipv4(&p, "198.19.0.1", "198.19.0.2", 17, 1, 0);
	pb_udp(&p, 55555, 6081);
	pb_u8(&p, 1);              /* version 0, 1 word of options */
	pb_u8(&p, 0);
	pb_u16(&p, 0x6558);
	pb_u32(&p, 42 << 8);
	pb_u32(&p, 0);             /* the option word */
	inner_frame(&p);
	pb_done(&p);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.encap, 1);
	ck_assert_int_eq(k.k.dport, 5432);

	/* UDP to 4789 that is not VXLAN (I flag clear) stays an ordinary flow */
	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x0800);
	pb_ipv4(&p, "198.19.0.1", "198.19.0.2", 17, 1, 0);
	pb_udp(&p, 55555, 4789);
	pb_payload(&p, "\x01\x02\x03\x04\x05\x06\x07\x08\x09");
	pb_done(&p);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.encap, 0);
	ck_assert_int_eq(k.k.dport, 4789);
}
END_TEST

/* Geneve carrying IP straight after its header (protocol type 0x0800, 0x86dd), and an
 * inner protocol the decoder does not know: counted as unsupported, not an outer flow. */
START_TEST(geneve_with_ip_inside)
{
	static const struct { uint16_t type; int want; uint16_t dport; } t[] = {
		{ 0x0800, EW_OK, 5432 }, { 0x86dd, EW_OK, 5432 }, { 0x8847, EW_E_UNSUPPORTED, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct pb p = { 0 };
		struct ew_pkt k;

		pb_eth(&p, 0x0800);
		pb_ipv4(&p, "198.19.0.1", "198.19.0.2", 17, 1, 0);
		pb_udp(&p, 55555, 6081);
		pb_u8(&p, 0);              /* version 0, no options */
		pb_u8(&p, 0);
		pb_u16(&p, t[i].type);
		pb_u32(&p, 42 << 8);
		if (t[i].type == 0x86dd)
			pb_ipv6(&p, "fd18::1:11", "fd18::3:10", 6);
		else
			pb_ipv4(&p, "198.18.1.11", "198.18.3.10", 6, 1, 0);
		pb_tcp(&p, 40000, 5432, 0x02);
		pb_done(&p);
		ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), t[i].want);
		if (t[i].want == EW_OK) {
			ck_assert_int_eq(k.encap, 1);
			ck_assert_int_eq(k.k.dport, t[i].dport);
			ck_assert_int_eq(k.ipver, t[i].type == 0x86dd ? 6 : 4);
		}
	}
}
END_TEST

/* An IPv4 total length of 0 (TSO/GSO frames captured on the sending host) takes the
 * captured length, and says so; a length shorter than the header is still malformed. */
START_TEST(ipv4_total_length_zero)
{
	struct pb p = { 0 };
	struct ew_pkt k;

	build_tcp4(&p, 0x18);
	p.b[14 + 2] = p.b[14 + 3] = 0;
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.len_from_capture, 1);
	ck_assert_uint_eq(k.k.ip_len, p.n - 14);
	ck_assert_uint_eq(k.k.l4_payload, 21);
	ck_assert_int_eq(k.k.dport, 22);
	p.b[14 + 3] = 12;
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_E_MALFORMED);
	build_tcp4(&p, 0x18);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.len_from_capture, 0);
}
END_TEST

START_TEST(gre_and_erspan)
{
	struct pb p;
	struct ew_pkt k;

	/* GRE transparent Ethernet bridging with a key */
	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x0800);
	pb_ipv4(&p, "198.19.0.1", "198.19.0.2", 47, 1, 0);
	pb_u16(&p, 0x2000);
	pb_u16(&p, 0x6558);
	pb_u32(&p, 7);
	inner_frame(&p);
	pb_done(&p);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.encap, 1);
	ck_assert_int_eq(k.k.dport, 5432);

	/* ERSPAN type II: GRE with sequence number, 8-byte ERSPAN header */
	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x0800);
	pb_ipv4(&p, "198.19.0.1", "198.19.0.2", 47, 1, 0);
	pb_u16(&p, 0x1000);
	pb_u16(&p, 0x88be);
	pb_u32(&p, 1);
	pb_u32(&p, 0x10000000 | 5);   /* version 1, session 5 */
	pb_u32(&p, 0);
	inner_frame(&p);
	pb_done(&p);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.k.dport, 5432);
	ck_assert(addr_is(&k.k.dst, "198.18.3.10"));

	/* ERSPAN type III with the optional 8-byte platform sub-header */
	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x0800);
	pb_ipv4(&p, "198.19.0.1", "198.19.0.2", 47, 1, 0);
	pb_u16(&p, 0x1000);
	pb_u16(&p, 0x22eb);
	pb_u32(&p, 1);
	pb_u32(&p, 0x20000000 | 5);   /* version 2 */
	pb_u32(&p, 12345);            /* timestamp */
	pb_u32(&p, 1);                /* ... O bit set */
	pb_u32(&p, 0);
	pb_u32(&p, 0);
	inner_frame(&p);
	pb_done(&p);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.k.dport, 5432);

	/* ERSPAN II with a wrong version is refused, not misread */
	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x0800);
	pb_ipv4(&p, "198.19.0.1", "198.19.0.2", 47, 1, 0);
	pb_u16(&p, 0x1000);
	pb_u16(&p, 0x88be);
	pb_u32(&p, 1);
	pb_u32(&p, 0x70000000);
	pb_u32(&p, 0);
	inner_frame(&p);
	pb_done(&p);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_E_UNSUPPORTED);
}
END_TEST

START_TEST(tunnel_nesting_is_bounded)
{
	struct pb p = { 0 };
	struct ew_pkt k;

	pb_eth(&p, 0x0800);
	for (int i = 0; i < 6; i++)
		pb_ipv4(&p, "198.19.0.1", "198.19.0.2", 4, 1, 0);   /* IP in IP in IP ... */
	pb_ipv4(&p, "198.18.0.1", "198.18.0.2", 6, 1, 0);
	pb_tcp(&p, 1, 2, 2);
	pb_done(&p);
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_le(k.encap, EW_PKT_MAX_ENCAP);
	ck_assert_int_eq(k.k.proto, 4);    /* stopped at the bound: the tunnel itself */
}
END_TEST

START_TEST(malformed_headers)
{
	struct pb p;
	struct ew_pkt k;

	memset(&p, 0, sizeof(p));
	build_tcp4(&p, 2);
	p.b[14] = 0x44;      /* IHL 4: below the minimum */
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_E_MALFORMED);
	memset(&p, 0, sizeof(p));
	build_tcp4(&p, 2);
	p.b[16] = 0;
	p.b[17] = 10;        /* total length shorter than the header */
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_E_MALFORMED);
	memset(&p, 0, sizeof(p));
	build_tcp4(&p, 2);
	p.b[14] = 0x55;      /* version 5 */
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_E_MALFORMED);
	memset(&p, 0, sizeof(p));
	build_tcp4(&p, 2);
	p.b[14 + 20 + 12] = 0x20;   /* TCP data offset 2 */
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_E_MALFORMED);
}
END_TEST

START_TEST(truncation_at_every_byte)
{
	/* Cut a tunnelled IPv6 frame at every length: never a crash, never a read past
	 * the cut (ASan watches), and only the full frame decodes to the inner flow. */
	struct pb p = { 0 };
	struct ew_pkt k;

	pb_eth(&p, 0x8100);
	pb_vlan(&p, 10, 0x0800);
	pb_ipv4(&p, "198.19.0.1", "198.19.0.2", 17, 1, 0);
	pb_udp(&p, 55555, 4789);
	pb_u32(&p, 0x08000000);
	pb_u32(&p, 42 << 8);
	pb_eth(&p, 0x86dd);
	pb_ipv6(&p, "fd18::1", "fd18::2", 0);
	pb_u8(&p, 6); pb_u8(&p, 0); pb_u32(&p, 0); pb_u16(&p, 0);
	pb_tcp(&p, 44444, 22, 2);
	pb_done(&p);
	for (size_t n = 0; n < p.n; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		int rc;

		memcpy(copy, p.b, n);
		rc = ew_pkt_decode(&k, EW_DLT_EN10MB, copy, (uint32_t)n);
		ck_assert(rc == EW_E_TRUNC || rc == EW_OK || rc == EW_E_MALFORMED);
		if (rc == EW_OK && k.kind == EW_PKT_FLOW)
			ck_assert(k.k.dport != 22 || n == p.n);
		free(copy);
	}
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	ck_assert_int_eq(k.k.dport, 22);
}
END_TEST

Suite *decode_pkt_suite(void)
{
	Suite *s = suite_create("decode_pkt");
	TCase *t = tcase_create("decode");

	tcase_add_test(t, eth_ipv4_tcp);
	tcase_add_test(t, ethernet_padding_is_not_counted);
	tcase_add_test(t, vlan_and_qinq);
	tcase_add_test(t, too_many_vlan_tags);
	tcase_add_test(t, mpls_stack);
	tcase_add_test(t, linux_cooked_v1_v2_raw_loop);
	tcase_add_test(t, ipv4_fragments);
	tcase_add_test(t, ipv6_extension_headers_and_fragment);
	tcase_add_test(t, ipv6_extension_header_loop_is_bounded);
	tcase_add_test(t, icmp_pairs_and_infrastructure);
	tcase_add_test(t, vxlan_and_geneve);
	tcase_add_test(t, geneve_with_ip_inside);
	tcase_add_test(t, ipv4_total_length_zero);
	tcase_add_test(t, gre_and_erspan);
	tcase_add_test(t, tunnel_nesting_is_bounded);
	tcase_add_test(t, malformed_headers);
	tcase_add_test(t, truncation_at_every_byte);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(decode_pkt_suite)
