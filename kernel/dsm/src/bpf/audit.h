/* SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only */
/* Audit events into the ring buffer, rate-limited per flow; labels refused as forged. */
#ifndef DSM_BPF_AUDIT_H
#define DSM_BPF_AUDIT_H
#include "maps.h"

/* ---------------------------------------------------------------- audit events */

struct ev_args {
	__u32 type, perm, src_scid, src_snid, tgt_scid, tgt_snid, rule;
	__s32 pid;
	__u32 saddr, daddr;
	__u16 sport, dport;
	__u8 proto;
	__u8 with_comm;
	__u8 reason;   /* type 3: DSM_FORGED_* (dsm_event.pad[0]) */
	__u8 pad;
	__u64 version;
};

static __always_inline void emit(struct ev_args *a, struct dsm_config *cfg)
{
	struct dsm_rl_key rk = {
		.type = a->type, .proto = a->proto, .saddr = a->saddr, .daddr = a->daddr,
		.sport = a->sport, .dport = a->dport, .src_scid = a->src_scid,
		.tgt_scid = a->tgt_scid, .pid = (__u32)a->pid,
	};
	__u64 now = bpf_ktime_get_ns();
	__u32 suppressed = 0;
	struct dsm_rl_val *rv = bpf_map_lookup_elem(&dsm_rl, &rk);
	__u32 rate = cfg->rate_per_sec ? cfg->rate_per_sec : 5;

	if (rv) {
		__u32 now_ms = (__u32)(now / 1000000);
		if (now_ms - rv->win_ms >= 1000) {   /* u32 arithmetic: right across the wrap */
			rv->win_ms = now_ms;
			rv->count = 0;
		}
		if (rv->count >= rate) {
			__sync_fetch_and_add(&rv->suppressed, 1);
			count(DSM_C_SUPPRESSED);
			return;
		}
		rv->count++;
		/* one atomic exchange: a suppression counted on another CPU meanwhile is reported
		 * once, here or with the flow's next record (a read-then-reset could report it twice) */
		suppressed = (__u32)__sync_lock_test_and_set(&rv->suppressed, 0);
	} else {
		struct dsm_rl_val nv = { .win_ms = (__u32)(now / 1000000), .count = 1 };
		bpf_map_update_elem(&dsm_rl, &rk, &nv, BPF_ANY);
	}

	struct dsm_bpf_event *e = bpf_ringbuf_reserve(&dsm_events, sizeof(*e), 0);
	if (!e) {
		count(DSM_C_LOST);
		return;
	}
	e->time_ns = now;
	e->policy_version = a->version;
	e->type = a->type;
	e->permission = a->perm;
	e->src_scid = a->src_scid;
	e->src_snid = a->src_snid;
	e->tgt_scid = a->tgt_scid;
	e->tgt_snid = a->tgt_snid;
	e->rule_id = a->rule;
	e->pid = a->pid;
	e->saddr = a->saddr;
	e->daddr = a->daddr;
	e->sport = a->sport;
	e->dport = a->dport;
	e->protocol = a->proto;
	e->pad[0] = a->reason;
	e->pad[1] = e->pad[2] = 0;
	e->suppressed = suppressed;
	__builtin_memset(e->comm, 0, sizeof(e->comm));
	if (a->with_comm)
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	__builtin_memset(e->path, 0, sizeof(e->path));
	bpf_ringbuf_submit(e, 0);
}

/* a label refused as forged: counted, audited with the reason (DSM_FORGED_*), packet dropped */
static __always_inline int refuse_forged(struct dsm_config *cfg, __u32 why, __u32 perm, __u32 scid, __u32 snid,
					 __u32 tgt, __u32 tgt_snid, __u32 saddr, __u32 daddr, __u16 sport, __u16 dport,
					 __u32 proto)
{
	struct ev_args a = {};
	__u32 slot = active_gen() & 1;
	struct dsm_hdr *hh = bpf_map_lookup_elem(&dsm_hdr, &slot);

	if (!cfg)
		return 0;
	count(DSM_C_FORGED);
	a.type = 3;
	a.reason = why;
	a.perm = perm;
	a.src_scid = scid;
	a.src_snid = snid;
	a.tgt_scid = tgt;
	a.tgt_snid = tgt_snid;
	a.saddr = saddr;
	a.daddr = daddr;
	a.sport = sport;
	a.dport = dport;
	a.proto = proto;
	a.version = hh ? hh->version : 0;
	emit(&a, cfg);
	return 0;
}

#endif
