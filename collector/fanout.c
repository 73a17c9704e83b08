/* SPDX-License-Identifier: Apache-2.0 */
/* fanout - see fanout.h. */
#include "collector/fanout.h"
#include "core/ew_log.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef PACKET_FANOUT_FLAG_UNIQUEID
#define PACKET_FANOUT_FLAG_UNIQUEID 0x2000
#endif
#ifndef PACKET_FANOUT_DATA
#define PACKET_FANOUT_DATA 22
#endif

#define NET(k) ((__u32)(SKF_NET_OFF + (k)))
#define LD_NET(k) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(k))
/* A ^= the word at network header + k (M[0] holds the running XOR) */
#define XOR_NET(k) LD_NET(k), BPF_STMT(BPF_LDX | BPF_MEM, 0), \
	BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0), BPF_STMT(BPF_ST, 0)

/* The member for a packet: the XOR of its addresses' words, times a constant, high half.
 * Loads past the packet's end end the program with 0 (the first member). */
static struct sock_filter prog[] = {
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, (__u32)(SKF_AD_OFF + SKF_AD_PROTOCOL)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0, 5),
	/* IPv4: source at 12, destination at 16 */
	LD_NET(12), BPF_STMT(BPF_ST, 0),
	XOR_NET(16) /* 4 */,
	/* 2 + 2 + 4 = 8 instructions so far; jump to the mix */
	BPF_JUMP(BPF_JMP | BPF_JA, 37, 0, 0),   /* placeholder, fixed in ew_fanout_join */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 0, 0 /* fixed */),
	/* IPv6: source at 8..23, destination at 24..39 */
	LD_NET(8), BPF_STMT(BPF_ST, 0),
	XOR_NET(12), XOR_NET(16), XOR_NET(20), XOR_NET(24), XOR_NET(28), XOR_NET(32),
	XOR_NET(36),
	/* mix: */
	BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1u),
	BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),
	BPF_STMT(BPF_RET | BPF_A, 0),
	/* not IP: */
	BPF_STMT(BPF_RET | BPF_K, 0),
};

/* The jumps' offsets, from the layout above. */
static void fix_jumps(struct sock_filter *p, unsigned n)
{
	unsigned mix = n - 4, not_ip = n - 1, ja = 0, jv6 = 0;

	for (unsigned i = 0; i < n; i++) {
		if (p[i].code == (BPF_JMP | BPF_JA))
			ja = i;
		if (p[i].code == (BPF_JMP | BPF_JEQ | BPF_K) && p[i].k == 0x86dd)
			jv6 = i;
	}
	p[1].jf = (__u8)(jv6 - 2);            /* not IPv4: to the IPv6 test */
	p[ja].k = mix - ja - 1;
	p[jv6].jf = (__u8)(not_ip - jv6 - 1);
}

static int join(int fd, int id, int type)
{
	int v = (id & 0xffff) | (type << 16);

	return setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &v, sizeof(v));
}

int ew_fanout_join(int fd, int *group, struct ew_err *err)
{
	static struct sock_filter p[sizeof(prog) / sizeof(prog[0])];
	struct sock_fprog fp = { sizeof(p) / sizeof(p[0]), p };
	socklen_t len = sizeof(int);
	int v = 0;

	if (*group >= 0) {
		if (join(fd, *group, PACKET_FANOUT_CBPF) == 0 ||
		    join(fd, *group, PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) == 0)
			return EW_OK;
		return ew_err_set(err, "cannot join fanout group %d: %s", *group, strerror(errno));
	}
	memcpy(p, prog, sizeof(p));
	fix_jumps(p, fp.len);
	/* a group id the kernel picks (Linux 4.12), else one from the process id */
	if (join(fd, 0, PACKET_FANOUT_CBPF | PACKET_FANOUT_FLAG_UNIQUEID) == 0 &&
	    getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &v, &len) == 0) {
		*group = v & 0xffff;
	} else {
		*group = (int)((unsigned)getpid() * 2654435761u >> 16) & 0xffff;
		if (join(fd, *group, PACKET_FANOUT_CBPF) != 0) {
			if (join(fd, *group, PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) != 0) {
				ew_err_set(err, "packet fanout refused: %s", strerror(errno));
				*group = -1;
				return EW_E_IO;
			}
			ew_warn("packet fanout by BPF refused: the kernel's flow hash splits the "
				"capture (symmetric for software hashes only)");
			return EW_OK;
		}
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, &fp, sizeof(fp)) != 0) {
		ew_err_set(err, "packet fanout program refused: %s", strerror(errno));
		return EW_E_IO;
	}
	return EW_OK;
}
