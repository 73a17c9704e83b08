/* SPDX-License-Identifier: Apache-2.0 */
/* fanout - one live interface split over workers by the kernel (PACKET_FANOUT).
 *
 * Every handle of the interface joins one fanout group whose members get packets by a
 * classic BPF program that hashes the packet's two IP addresses symmetrically (the
 * XOR of source and destination, mixed): both directions of a flow reach one worker,
 * and so does every fragment of a datagram (later fragments carry no ports), without
 * asking the kernel to reassemble them and whatever hash the NIC put on the packet
 * (receive-side scaling hashes are often not symmetric). Frames that are not IP go to
 * the first worker. Where the kernel refuses a BPF fanout (before Linux 4.3), the group
 * falls back to the kernel's flow hash with defragmentation (PACKET_FANOUT_HASH |
 * PACKET_FANOUT_FLAG_DEFRAG), which is symmetric for software hashes only. */
#ifndef EW_FANOUT_H
#define EW_FANOUT_H

#include "core/ew_err.h"

/* Socket fd (an AF_PACKET socket: pcap_fileno of a live handle) joins group *group, or
 * creates one when *group is -1 (and sets it). EW_OK, or EW_E_IO with err. */
int ew_fanout_join(int fd, int *group, struct ew_err *err);

#endif
