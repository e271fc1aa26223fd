/* SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only */
/*
 * The MAC of a v2 label (kernel/dsm/README.md "Wire format v2"): SipHash-2-4 (Aumasson and
 * Bernstein) of a fixed 32-byte message, four little-endian 64-bit words:
 *
 *   m0 = option bytes 2..9 (version, epoch, SnID, ScID, as on the wire)
 *   m1 = source address, destination address (network order, as on the wire)
 *   m2 = source port, destination port (network order), TCP sequence number (network order; 0 for UDP)
 *   m3 = protocol number, then seven zero bytes
 *
 * Shared by the BPF programs and user space (tests compute reference MACs with tests/labelmac.py,
 * which implements the same words). No loops with a variable count: the verifier sees straight code.
 */
#ifndef DSM_LABEL_MAC_H
#define DSM_LABEL_MAC_H

#define DSM_ROTL64(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

#define DSM_SIPROUND(v0, v1, v2, v3)                                                              \
	do {                                                                                       \
		v0 += v1; v1 = DSM_ROTL64(v1, 13); v1 ^= v0; v0 = DSM_ROTL64(v0, 32);               \
		v2 += v3; v3 = DSM_ROTL64(v3, 16); v3 ^= v2;                                        \
		v0 += v3; v3 = DSM_ROTL64(v3, 21); v3 ^= v0;                                        \
		v2 += v1; v1 = DSM_ROTL64(v1, 17); v1 ^= v2; v2 = DSM_ROTL64(v2, 32);               \
	} while (0)

#define DSM_SIP_BLOCK(v0, v1, v2, v3, m)                                                           \
	do {                                                                                       \
		v3 ^= (m);                                                                         \
		DSM_SIPROUND(v0, v1, v2, v3);                                                      \
		DSM_SIPROUND(v0, v1, v2, v3);                                                      \
		v0 ^= (m);                                                                         \
	} while (0)

/* SipHash-2-4 of the 32-byte message m[0..3] under key (k0, k1) */
static __always_inline __u64 dsm_siphash32(__u64 k0, __u64 k1, __u64 m0, __u64 m1, __u64 m2, __u64 m3)
{
	__u64 v0 = k0 ^ 0x736f6d6570736575ull;
	__u64 v1 = k1 ^ 0x646f72616e646f6dull;
	__u64 v2 = k0 ^ 0x6c7967656e657261ull;
	__u64 v3 = k1 ^ 0x7465646279746573ull;
	__u64 b = 32ull << 56;   /* last block: message length, no tail bytes */

	DSM_SIP_BLOCK(v0, v1, v2, v3, m0);
	DSM_SIP_BLOCK(v0, v1, v2, v3, m1);
	DSM_SIP_BLOCK(v0, v1, v2, v3, m2);
	DSM_SIP_BLOCK(v0, v1, v2, v3, m3);
	DSM_SIP_BLOCK(v0, v1, v2, v3, b);
	v2 ^= 0xff;
	DSM_SIPROUND(v0, v1, v2, v3);
	DSM_SIPROUND(v0, v1, v2, v3);
	DSM_SIPROUND(v0, v1, v2, v3);
	DSM_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* little-endian load of 8 bytes (x86 and arm64 BPF are little-endian; byte loads keep it portable) */
static __always_inline __u64 dsm_le64(const __u8 *p)
{
	return (__u64)p[0] | ((__u64)p[1] << 8) | ((__u64)p[2] << 16) | ((__u64)p[3] << 24) |
	       ((__u64)p[4] << 32) | ((__u64)p[5] << 40) | ((__u64)p[6] << 48) | ((__u64)p[7] << 56);
}

/* The label MAC: opt points at the option (type byte first); addresses and ports as on the wire. */
static __always_inline __u64 dsm_label_mac(__u64 k0, __u64 k1, const __u8 *opt, __u32 saddr, __u32 daddr,
					   __u16 sport_be, __u16 dport_be, __u32 seq_be, __u8 proto)
{
	__u64 m0 = dsm_le64(opt + 2);
	__u64 m1 = (__u64)saddr | ((__u64)daddr << 32);
	__u64 m2 = (__u64)sport_be | ((__u64)dport_be << 16) | ((__u64)seq_be << 32);
	__u64 m3 = proto;

	return dsm_siphash32(k0, k1, m0, m1, m2, m3);
}

#endif
