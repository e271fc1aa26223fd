/* SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only */
/* Policy lookups (TABLE-FORMAT.md): access decisions, socket labels, net rules. */
#ifndef DSM_BPF_POLICY_H
#define DSM_BPF_POLICY_H
#include "maps.h"

struct decision {
	__u32 allow;
	__u32 rule;
	__u32 audit;   /* subject or target context in audit mode */
	__u32 pad;
	__u64 version;
	__u64 gen;     /* table generation the decision was made with */
};

static __always_inline __u32 ctx_flags(__u32 slot, __u32 scid)
{
	struct dsm_ctx_key k = { .slot = slot, .scid = scid };
	__u32 *f = bpf_map_lookup_elem(&dsm_ctx, &k);
	return f ? *f : 0;
}

/* The access lookup of TABLE-FORMAT.md: (s, n, t), else (s, ANY, t), else the default mask.
 * Audit flags and the table version are only looked up on the (rare) deny path: finish_deny(). */
static __always_inline void access_decide(__u32 slot, __u32 s, __u32 n, __u32 t, __u32 perm,
					  struct decision *d)
{
	struct dsm_acc_key k = { .slot = slot, .src_scid = s, .src_snid = n, .tgt_scid = t };
	struct dsm_acc_val *v = bpf_map_lookup_elem(&dsm_access, &k);

	if (!v) {
		k.src_snid = DSM_ANY;
		v = bpf_map_lookup_elem(&dsm_access, &k);
	}
	if (v) {
		d->allow = (v->mask >> perm) & 1;
		d->rule = v->rules[perm & 7];
	} else {
		struct dsm_hdr *h = bpf_map_lookup_elem(&dsm_hdr, &slot);
		d->allow = h ? (h->default_mask >> perm) & 1 : 0;
		d->rule = 0;
	}
}

static __always_inline void finish_deny(__u32 slot, __u32 s, __u32 t, struct decision *d)
{
	struct dsm_hdr *h = bpf_map_lookup_elem(&dsm_hdr, &slot);

	d->version = h ? h->version : 0;
	d->audit = ((ctx_flags(slot, s) | ctx_flags(slot, t)) & 1);
}

/* this node's socket label of a local port (node-specific before ANY, merged by libdsm) */
static __always_inline int local_label(__u32 slot, __u8 proto, __u16 port, __u32 *scid)
{
	struct dsm_lsl_key k = { .slot = slot, .proto = proto, .port = port };
	struct dsm_sl_val *v;

	if (!port)
		return 0;
	v = bpf_map_lookup_elem(&dsm_lsl, &k);
	if (!v)
		return 0;
	*scid = v->scid;
	return 1;
}

static __always_inline int sock_label(__u32 slot, __u8 proto, __u16 port, __u32 snid, __u32 *scid,
				      __u32 *rule)
{
	struct dsm_sl_key k = { .slot = slot, .proto = proto, .port = port, .snid = snid };
	struct dsm_sl_val *v;

	if (!port)
		return 0;
	v = bpf_map_lookup_elem(&dsm_socklabel, &k);
	if (!v) {
		k.snid = DSM_ANY;
		v = bpf_map_lookup_elem(&dsm_socklabel, &k);
	}
	if (!v)
		return 0;
	*scid = v->scid;
	if (rule)
		*rule = v->rule;
	return 1;
}

/* Net rules for a non-cluster destination: longest prefix among the ScID's rules, else among the
 * ANY rules, decides when its mask covers perm; else the external mask. */
static __always_inline void net_decide(__u32 slot, __u32 scid, __u32 daddr, __u32 perm,
				       struct decision *d)
{
	struct dsm_nr_key k = { .prefixlen = 96, .slot = slot, .scid = scid, .addr = daddr };
	struct dsm_nr_val *v = bpf_map_lookup_elem(&dsm_netrules, &k);
	struct dsm_hdr *h;

	if (v && ((v->mask >> perm) & 1)) {
		d->allow = v->action == 1;
		d->rule = v->rule;
		return;
	}
	k.scid = DSM_ANY;
	v = bpf_map_lookup_elem(&dsm_netrules, &k);
	if (v && ((v->mask >> perm) & 1)) {
		d->allow = v->action == 1;
		d->rule = v->rule;
		return;
	}
	h = bpf_map_lookup_elem(&dsm_hdr, &slot);
	d->allow = h ? (h->external_mask >> perm) & 1 : 0;
	d->rule = 0;
}

/* kind: 0 create, 1 bind, 2 connect/send. Returns 1 allow, 0 deny. */

#endif
