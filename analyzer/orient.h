/* SPDX-License-Identifier: Apache-2.0 */
/* orient - which side of a flow asks, from what its first payload says.
 *
 * Ports cannot tell the client from the server when both ends use the same port (NTP
 * 123 to 123, mDNS 5353), both are dynamic (DCE-RPC endpoints, RPC over high ports), or
 * a TCP session is picked up mid-stream and its first packet seen is the server's. The
 * protocols themselves say it:
 *
 *   NTP (udp/123)            mode 3 client, 4 server; 1 symmetric active asks, 2
 *                            passive answers; 5 broadcast sends; mode 6 control: the
 *                            response bit
 *   DNS, mDNS, LLMNR         the QR bit (udp/53, 5353, 5355; tcp/53 after the length)
 *   SNMP (udp/161, 162)      the PDU: get, get-next, set, get-bulk, trap and inform are
 *                            sent by the side that asks; response by the one that answers
 *   DCE-RPC, any port        connection-oriented (version 5): request, bind,
 *                            alter-context, auth3 vs response, fault, bind-ack/nak,
 *                            alter-context-response; connectionless (version 4):
 *                            request, ping, ack vs response, fault, working, nocall,
 *                            reject
 *   TCP picked up mid-stream an HTTP request line vs a status line; a TLS ClientHello vs
 *                            ServerHello; SMB1/SMB2 headers' reply flag; a MySQL
 *                            server greeting
 *
 * A pure function over bytes; the packet path asks it for flows whose initiator no SYN
 * has settled. */
#ifndef EW_ORIENT_H
#define EW_ORIENT_H

#include <stddef.h>
#include <stdint.h>

#define EW_ORIENT_ASKS 1       /* the sender of this payload is the client (initiator) */
#define EW_ORIENT_ANSWERS 2    /* the sender is the server (responder) */

/* What payload p (n bytes of L4 payload, proto 6 or 17, ports as on the packet) says of
 * its sender: EW_ORIENT_ASKS, EW_ORIENT_ANSWERS, or 0 when it does not tell. */
int ew_orient_payload(uint8_t proto, uint16_t sport, uint16_t dport, const uint8_t *p,
		      size_t n);

#endif
