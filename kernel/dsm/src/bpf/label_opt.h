/* SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only */
/* The label option on the wire (README "Wire format v2"): finding it among the IPv4 options. */
#ifndef DSM_BPF_LABEL_OPT_H
#define DSM_BPF_LABEL_OPT_H
#include "maps.h"

/* ---------------------------------------------------------------- labels on the wire */

/* IPv4 header (RFC 791) */
#define IPV4_HLEN        20   /* without options */
#define IPV4_MAX_HLEN    60
#define IPH_TOT_LEN      2
#define IPH_FRAG_OFF     6
#define IPH_PROTO        9
#define IPH_CSUM         10
#define IPH_SADDR        12
#define IPH_DADDR        16
#define IPOPT_END        0
#define IPOPT_NOOP       1
#define IPOPT_SCAN_MAX   8    /* options looked at before a label is given up on (fail-secure:
                                 a label further on is no label; the DSM always writes it first) */
/* TCP header */
#define TCPH_SEQ         4
#define TCPH_FLAGS       13
/* the label option (dsm_shared.h has type, lengths, version, MAC offset) */
#define LOPT_V1_SNID     2
#define LOPT_V1_SCID     4
#define LOPT_V2_VERSION  2
#define LOPT_V2_EPOCH    3
#define LOPT_V2_SNID     4
#define LOPT_V2_SCID     6
#define LOPT_V2_RESERVED 10

static __always_inline __u32 be16_at(const __u8 *p)
{
	return ((__u32)p[0] << 8) | p[1];
}

static __always_inline __u32 be32_at(const __u8 *p)
{
	return ((__u32)p[0] << 24) | ((__u32)p[1] << 16) | ((__u32)p[2] << 8) | p[3];
}

/*
 * The label of a received IPv4 packet (IP header at offset 0, header length ihl). Returns 1 when
 * an option 0x9E is among the first IPOPT_SCAN_MAX options, with the option in lab (its first
 * DSM_OPT_LEN_V2 bytes), the claimed SnID and ScID, and *fmt_bad set when it is not a well-formed
 * label of the configured version (v1 when legacy, else v2: length 20, version 2, reserved bytes
 * zero) — such a label is refused as forged, never read as "no label". Returns 0 when there is no
 * label (also for malformed option lists: zero or one-byte lengths, an end-of-list option first).
 * The common case, the label as the first option in the linear part, costs no helper call.
 */
static __always_inline int find_label(struct __sk_buff *skb, void *data, void *data_end, __u32 ihl, int legacy,
				      __u8 *lab, __u32 *snid, __u32 *scid, int *fmt_bad)
{
	__u32 off = IPV4_HLEN, want = legacy ? DSM_OPT_LEN : DSM_OPT_LEN_V2;
	int found = 0, direct = 0, got;

	*fmt_bad = 0;
	if (ihl < IPV4_HLEN + 2)
		return 0;
	if (data + IPV4_HLEN + DSM_OPT_LEN_V2 <= data_end) {
		__builtin_memcpy(lab, data + IPV4_HLEN, DSM_OPT_LEN_V2);
		direct = 1;
		found = lab[0] == DSM_OPT_TYPE;
	}
	if (!found) {
#pragma unroll
		for (int i = 0; i < IPOPT_SCAN_MAX; i++) {
			if (off + 2 > ihl || off > IPV4_MAX_HLEN - 2)
				break;
			if (bpf_skb_load_bytes(skb, off, lab, 2))
				break;
			if (lab[0] == IPOPT_END)
				break;
			if (lab[0] == IPOPT_NOOP) {
				off++;
				continue;
			}
			if (lab[1] < 2)
				break;
			if (lab[0] == DSM_OPT_TYPE) {
				found = 1;
				break;
			}
			off += lab[1];
		}
	}
	if (!found)
		return 0;
	*fmt_bad = 1;
	if (lab[1] != want || off + want > ihl)
		got = 0;
	else if (direct && off == IPV4_HLEN)
		got = 1;   /* copied whole above */
	else if (legacy)
		got = !bpf_skb_load_bytes(skb, off, lab, DSM_OPT_LEN);
	else
		got = !bpf_skb_load_bytes(skb, off, lab, DSM_OPT_LEN_V2);
	if (!got)
		return 1;
	{
		/* the bytes as scalars first: a pointer offset chosen by legacy would be merged by
		 * clang into a pointer OR, which the verifier refuses */
		__u32 b2 = lab[2], b3 = lab[3], b4 = lab[4], b5 = lab[5], b6 = lab[6], b7 = lab[7], b8 = lab[8],
		      b9 = lab[9];
		if (legacy) {   /* LOPT_V1_SNID = 2, LOPT_V1_SCID = 4 */
			*snid = (b2 << 8) | b3;
			*scid = (b4 << 24) | (b5 << 16) | (b6 << 8) | b7;
			*fmt_bad = 0;
		} else if (b2 == DSM_OPT_V2 && !lab[LOPT_V2_RESERVED] && !lab[LOPT_V2_RESERVED + 1]) {
			/* LOPT_V2_VERSION = 2, LOPT_V2_SNID = 4, LOPT_V2_SCID = 6 */
			*snid = (b4 << 8) | b5;
			*scid = (b6 << 24) | (b7 << 16) | (b8 << 8) | b9;
			*fmt_bad = 0;
		}
	}
	return 1;
}

/* Finds a DSI label option among the IPv4 options of a packet whose IP header starts at base
 * (ETH_HLEN in tc). Returns 1 with the claimed (snid, scid) when there is one. */
static __always_inline int egress_label_present(struct __sk_buff *skb, __u32 base, __u32 ihl, __u32 *snid,
						__u32 *scid)
{
	__u32 off = 20;
#pragma unroll
	for (int i = 0; i < 8; i++) {
		__u8 o[8];
		if (off + 2 > ihl || off > 58)
			return 0;
		if (bpf_skb_load_bytes(skb, base + off, o, 2))
			return 0;
		if (o[0] == 0)
			return 0;
		if (o[0] == 1) {
			off++;
			continue;
		}
		if (o[1] < 2)
			return 0;
		if (o[0] == DSM_OPT_TYPE) {
			/* the claimed label, for the audit record (v1 and v2 layouts) */
			if (o[1] == DSM_OPT_LEN && off + 8 <= ihl && off <= 52 &&
			    !bpf_skb_load_bytes(skb, base + off, o, 8)) {
				*snid = ((__u32)o[2] << 8) | o[3];
				*scid = ((__u32)o[4] << 24) | ((__u32)o[5] << 16) | ((__u32)o[6] << 8) | o[7];
			} else if (o[1] == DSM_OPT_LEN_V2 && off + 10 <= ihl && off <= 50 &&
				   !bpf_skb_load_bytes(skb, base + off, o, 8)) {
				__u8 t[2] = {};
				bpf_skb_load_bytes(skb, base + off + 8, t, 2);
				*snid = ((__u32)o[4] << 8) | o[5];
				*scid = ((__u32)o[6] << 24) | ((__u32)o[7] << 16) | ((__u32)t[0] << 8) | t[1];
			}
			return 1;
		}
		off += o[1];
	}
	return 0;
}

static __always_inline void put_be16(__u8 *p, __u32 v)
{
	p[0] = (v >> 8) & 0xff;
	p[1] = v & 0xff;
}

static __always_inline void put_be32(__u8 *p, __u32 v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

/*
 * Writes this node's label for scid into opt (room for DSM_OPT_LEN_V2 bytes; v1: DSM_OPT_LEN).
 * v2: the MAC under the key this node shares with the destination node (its own key over lo,
 * ifindex 1); no key (not a cluster node, keys not installed yet): the MAC is left zero, which no
 * DSM accepts. Addresses, ports and sequence number as in the packet (network order for
 * addresses and sequence, host order for ports).
 */
static __always_inline void write_label(__u8 *opt, struct dsm_config *cfg, __u32 scid, int legacy, __u64 gen,
					__u32 ifindex, __u32 saddr, __u32 daddr, __u16 sport, __u16 dport,
					__u32 seq_be, __u8 proto)
{
	__u32 z = 0, peer = 0, *ep;
	__u64 mac = 0;

	opt[0] = DSM_OPT_TYPE;
	if (legacy) {
		opt[1] = DSM_OPT_LEN;
		put_be16(opt + LOPT_V1_SNID, cfg->snid);
		put_be32(opt + LOPT_V1_SCID, scid);
		return;
	}
	ep = bpf_map_lookup_elem(&dsm_lksend, &z);
	opt[1] = DSM_OPT_LEN_V2;
	opt[LOPT_V2_VERSION] = DSM_OPT_V2;
	opt[LOPT_V2_EPOCH] = ep ? (*ep & 0xff) : 0;
	put_be16(opt + LOPT_V2_SNID, cfg->snid);
	put_be32(opt + LOPT_V2_SCID, scid);
	opt[LOPT_V2_RESERVED] = 0;
	opt[LOPT_V2_RESERVED + 1] = 0;
	if (ifindex == 1) {
		peer = cfg->snid;
	} else {
		struct dsm_naddr_key nk = { .slot = gen & 1, .addr = daddr };
		__u32 *ps = bpf_map_lookup_elem(&dsm_naddr, &nk);
		if (ps)
			peer = *ps;
	}
	if (opt[LOPT_V2_EPOCH] && peer) {
		struct dsm_lk_key lk = { .epoch = opt[LOPT_V2_EPOCH], .snid = peer };
		struct dsm_lk_val *kv = bpf_map_lookup_elem(&dsm_lkeys, &lk);
		if (kv)
			mac = dsm_label_mac(kv->k0, kv->k1, opt, saddr, daddr, bpf_htons(sport), bpf_htons(dport),
					    seq_be, proto);
	}
	if (!mac)
		count(DSM_C_NO_KEY);
#pragma unroll
	for (int i = 0; i < 8; i++)
		opt[DSM_OPT_V2_MAC + i] = (mac >> (8 * i)) & 0xff;
}

#endif
