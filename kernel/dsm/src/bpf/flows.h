/* SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only */
/* Receiver-side flow state: UDP flow labels (v1 only), the cluster interfaces. */
#ifndef DSM_BPF_FLOWS_H
#define DSM_BPF_FLOWS_H
#include "maps.h"

/* the peer's flow label in a socket's one-peer slot (fl_set brackets the write: a reader on
 * another CPU sees a whole entry or none) */
static __always_inline void skc_set_flow(struct dsm_skc *skc, __u32 saddr, __u16 sport, __u32 scid, __u32 snid,
					 __u64 ns)
{
	skc->fl_set = 0;
	skc->fl_saddr = saddr;
	skc->fl_sport = sport;
	skc->fl_scid = scid;
	skc->fl_snid = snid;
	skc->fl_ns = ns;
	skc->fl_set = 1;
}

/* UDP: remember the label of the flow (peer saddr:sport -> daddr:dport) in the socket's one-peer
 * slot and in dsm_uflows; a label unchanged and recorded less than 250 ms ago is left alone
 * (labels of flows that are labeled per datagram cost no map write each) */
static __always_inline void udp_learn(struct dsm_skc *skc, __u32 saddr, __u32 daddr, __u16 sport,
				      __u16 dport, __u32 scid, __u32 snid, __u64 now)
{
	if (skc && skc->fl_set && skc->fl_saddr == saddr && skc->fl_sport == sport &&
	    skc->fl_scid == scid && skc->fl_snid == snid && now - skc->fl_ns < 250000000ull)
		return;
	if (skc)
		skc_set_flow(skc, saddr, sport, scid, snid, now);
	struct dsm_flow_key fk = { .saddr = saddr, .daddr = daddr, .sport = sport, .dport = dport,
				   .proto = IPPROTO_UDP };
	struct dsm_uflow_val uv = { .scid = scid, .snid = snid, .ns = now };
	bpf_map_update_elem(&dsm_uflows, &fk, &uv, BPF_ANY);
}

/* whether ifindex is one of the node's cluster interfaces (dsm_ifaces, up to 16) */
static __always_inline int cluster_ifindex(__u32 ifindex)
{
#pragma unroll
	for (__u32 i = 0; i < 16; i++) {
		__u32 k = i;
		struct dsm_iface_rec *r = bpf_map_lookup_elem(&dsm_ifaces, &k);
		if (!r)
			return 0;
		if (r->ifindex && r->ifindex == ifindex)
			return 1;
	}
	return 0;
}

#endif
