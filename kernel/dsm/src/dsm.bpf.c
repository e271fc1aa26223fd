// SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only
/*
 * DSM eBPF programs: local checks (cgroup sock_create/bind/connect/sendmsg), remote checks
 * (cgroup_skb ingress), labels on the wire (tc egress), audit events (ring buffer).
 * See ../README.md for the design, the option layout and the maps.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "dsm_shared.h"
#include "label_mac.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#include "bpf/maps.h"
#include "bpf/policy.h"
#include "bpf/audit.h"
#include "bpf/flows.h"
#include "bpf/label_opt.h"

/* ---------------------------------------------------------------- local checks */

/* a socket of a context is let bind a labeled port: the port guard (dsi_port_guard) lets the
 * port's traffic reach it; any other socket on that port gets nothing */
static __always_inline void mark_bound_port(struct bpf_sock *sk, __u8 proto, __u16 port)
{
	__u32 l;
	struct dsm_skc *c;

	if (!local_label(active_gen() & 1, proto, port, &l))
		return;
	c = bpf_sk_storage_get(&dsm_skc, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (c)
		c->bound_port = port;
}

static __always_inline int local_check(int kind, __u32 perm, __u8 proto, __u32 daddr, __u16 port,
				       int v6_external, struct bpf_sock *sk)
{
	struct dsm_skc *c = 0;
	struct dsm_config *cfg = dsm_cfg();
	struct decision d = {};
	struct ev_args a = {};
	__u32 scid, tgt = 0, tgt_snid = 0;

	if (!cfg)
		return 1;
	/* sendmsg on a socket that sent to this destination before, from the same context cgroup
	 * (a registered cgroup id always maps to the same ScID), under the same table: allowed */
	__u64 cg = bpf_get_current_ancestor_cgroup_id(cfg->ctx_level);
	if (!cg)
		return 1;   /* not deep enough to be in a context: untouched */
	if (kind == 2 && perm == DSM_P_SEND && !v6_external && sk) {
		c = bpf_sk_storage_get(&dsm_skc, sk, 0, 0);
		if (c) {
			__u64 g = active_gen() + 1;
			if (c->out_gen == g && c->out_daddr == daddr && c->out_dport == port &&
			    c->out_cg == cg && c->out_perm == perm && c->out_gen == g) {
				count(DSM_C_SKC_HITS);
				return 1;
			}
		}
	}
	{
		__u32 *p = bpf_map_lookup_elem(&dsm_cg, &cg);
		scid = p ? *p : 0;
	}
	if (!scid)
		return 1;   /* not in a security context: untouched */
	if (kind == 2 && perm == DSM_P_SEND && !v6_external && sk && !c)
		c = bpf_sk_storage_get(&dsm_skc, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);

	struct dsm_vc_key vk = { .kind = (kind << 24) | (perm << 16) | ((__u32)proto << 8) | v6_external,
				 .w = { scid, daddr, port } };
	__u64 *vslot = 0, g0 = active_gen();
	if (vc_hit(&vk, g0, &vslot)) {
		count(DSM_C_SKC_HITS);
		d.allow = 1;
		d.gen = g0;
		goto allowed;
	}

#pragma unroll
	for (int i = 0; i < 2; i++) {
		__u64 gen = active_gen();
		__u32 slot = gen & 1;

		tgt = 0;
		tgt_snid = 0;
		if (kind == 0) {
			tgt = scid;
			tgt_snid = cfg->snid;
			access_decide(slot, scid, cfg->snid, scid, perm, &d);
		} else if (kind == 1) {
			tgt_snid = cfg->snid;
			if (!local_label(slot, proto, port, &tgt))
				tgt = scid;
			access_decide(slot, scid, cfg->snid, tgt, perm, &d);
		} else {
			struct dsm_naddr_key nk = { .slot = slot, .addr = daddr };
			__u32 *dsn = v6_external ? 0 : bpf_map_lookup_elem(&dsm_naddr, &nk);

			if (dsn) {
				tgt_snid = *dsn;
				sock_label(slot, proto, port, tgt_snid, &tgt, 0);
				access_decide(slot, scid, cfg->snid, tgt, perm, &d);
			} else {
				net_decide(slot, scid, v6_external ? 0 : daddr, perm, &d);
			}
		}
		if (!d.allow)
			finish_deny(slot, scid, tgt, &d);
		d.gen = gen;
		if (active_gen() == gen)
			break;
	}

	if (d.allow)
		vc_store(&vk, d.gen, vslot);
allowed:
	if (kind == 1 && sk && (d.allow || d.audit))
		mark_bound_port(sk, proto, port);
	if (d.allow) {
		count(DSM_C_LOCAL_ALLOWED);
		if (c) {
			c->out_gen = 0;
			c->out_daddr = daddr;
			c->out_dport = port;
			c->out_scid = scid;
			c->out_cg = cg;
			c->out_perm = perm;
			c->out_gen = d.gen + 1;
		}
		return 1;
	}
	a.type = d.audit ? 2 : 1;
	a.perm = perm;
	a.src_scid = scid;
	a.src_snid = cfg->snid;
	a.tgt_scid = tgt;
	a.tgt_snid = tgt_snid;
	a.rule = d.rule;
	a.pid = bpf_get_current_pid_tgid() >> 32;
	a.daddr = daddr;
	a.dport = port;
	a.proto = proto;
	a.with_comm = 1;
	a.version = d.version;
	if (d.audit) {
		count(DSM_C_AUDIT);
		emit(&a, cfg);
		return 1;
	}
	count(DSM_C_LOCAL_DENIED);
	emit(&a, cfg);
	return 0;
}

#define SOCK_RAW 3

SEC("cgroup/sock_create")
int dsi_sock_create(struct bpf_sock *sk)
{
	if (sk->family != AF_INET && sk->family != AF_INET6)
		return 1;
	/* a raw socket writes its own IP headers (a label, another source) and no connect/sendmsg
	 * check judges it: it needs "raw" as well as "create" */
	if (sk->type == SOCK_RAW && !local_check(0, DSM_P_RAW, sk->protocol, 0, 0, 0, 0))
		return 0;
	return local_check(0, DSM_P_CREATE, sk->protocol, 0, 0, 0, 0);
}

SEC("cgroup/bind4")
int dsi_bind4(struct bpf_sock_addr *ctx)
{
	return local_check(1, DSM_P_BIND, ctx->protocol, 0, bpf_ntohs(ctx->user_port), 0, ctx->sk);
}

SEC("cgroup/bind6")
int dsi_bind6(struct bpf_sock_addr *ctx)
{
	return local_check(1, DSM_P_BIND, ctx->protocol, 0, bpf_ntohs(ctx->user_port), 0, ctx->sk);
}

SEC("cgroup/connect4")
int dsi_connect4(struct bpf_sock_addr *ctx)
{
	return local_check(2, DSM_P_CONNECT, ctx->protocol, ctx->user_ip4,
			   bpf_ntohs(ctx->user_port), 0, ctx->sk);
}

/* AF_UNIX connect (kernel >= 6.7): record the connecting process's context under the socket's
 * cookie. The ELF section is connect4 because libbpf 1.1 does not know "cgroup/connect_unix";
 * libdsm sets the expected attach type BPF_CGROUP_UNIX_CONNECT before loading. Never refuses. */
SEC("cgroup/connect4")
int dsi_connect_unix(struct bpf_sock_addr *ctx)
{
	struct dsm_config *cfg = dsm_cfg();
	struct dsm_uconn u = {};
	__u64 cookie;
	__u32 *s;

	if (!cfg)
		return 1;
	u.cg = bpf_get_current_ancestor_cgroup_id(cfg->ctx_level);
	if (!u.cg)
		return 1;   /* not in a context: no record, i.e. ScID 0 */
	s = bpf_map_lookup_elem(&dsm_cg, &u.cg);
	u.scid = s ? *s : 0;
	u.tgid = bpf_get_current_pid_tgid() >> 32;
	u.time_ns = bpf_ktime_get_ns();
	cookie = bpf_get_socket_cookie(ctx);
	bpf_map_update_elem(&dsm_uconn, &cookie, &u, BPF_ANY);
	return 1;
}

SEC("cgroup/sendmsg4")
int dsi_sendmsg4(struct bpf_sock_addr *ctx)
{
	return local_check(2, DSM_P_SEND, ctx->protocol, ctx->user_ip4,
			   bpf_ntohs(ctx->user_port), 0, ctx->sk);
}

/* IPv6 sockets: v4-mapped destinations are judged like IPv4; real IPv6 destinations are
 * non-cluster addresses decided by the external mask (IPv6 is never labeled). */
static __always_inline int v6_check(struct bpf_sock_addr *ctx, __u32 perm)
{
	__u32 w0 = ctx->user_ip6[0], w1 = ctx->user_ip6[1], w2 = ctx->user_ip6[2];
	__u32 w3 = ctx->user_ip6[3];

	if (w0 == 0 && w1 == 0 && w2 == bpf_htonl(0xffff))
		return local_check(2, perm, ctx->protocol, w3, bpf_ntohs(ctx->user_port), 0, ctx->sk);
	return local_check(2, perm, ctx->protocol, 0, bpf_ntohs(ctx->user_port), 1, 0);
}

SEC("cgroup/connect6")
int dsi_connect6(struct bpf_sock_addr *ctx)
{
	return v6_check(ctx, DSM_P_CONNECT);
}

SEC("cgroup/sendmsg6")
int dsi_sendmsg6(struct bpf_sock_addr *ctx)
{
	return v6_check(ctx, DSM_P_SEND);
}

/* ---------------------------------------------------------------- remote check */

SEC("cgroup_skb/ingress")
int dsi_ingress(struct __sk_buff *skb)
{
	struct dsm_config *cfg = dsm_cfg();
	struct decision d = {};
	struct ev_args a = {};
	__u8 h[20];
	__u32 cg_scid = 0, scid = 0, snid = 0, tgt = 0, saddr, daddr, ihl, labeled = 0;
	__u16 sport = 0, dport = 0;
	__u8 proto, tcpflags = 0;
	__u64 cg, now = 0;
	__u32 *p;
	int forged = 0;
	struct dsm_skc *skc = 0;
	struct bpf_sock *fsk = 0;
	int tcp_payload = 0, flow_known = 0;
	__u8 lab[DSM_OPT_LEN_V2] = {};   /* the label option as received */
	__u32 seq_be = 0, legacy = 0;
	int fmt_bad = 0;
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;

	if (!cfg)
		return 1;

	if (skb->protocol != bpf_htons(ETH_P_IP)) {
		/* IPv6 (and anything not IPv4) is never labeled: judged as unlabeled (0, 0). */
		cg = bpf_skb_ancestor_cgroup_id(skb, cfg->ctx_level);
		if (cg) {
			p = bpf_map_lookup_elem(&dsm_cg, &cg);
			if (p)
				cg_scid = *p;
		}
		if (!cg_scid)
			return 1;
#pragma unroll
		for (int i = 0; i < 2; i++) {
			__u64 gen = active_gen();
			access_decide(gen & 1, 0, 0, cg_scid, DSM_P_RECEIVE, &d);
			if (!d.allow)
				finish_deny(gen & 1, 0, cg_scid, &d);
			if (active_gen() == gen)
				break;
		}
		tgt = cg_scid;
		proto = 0;
		saddr = daddr = 0;
		goto verdict;
	}

	/* headers: direct packet access when they are in the linear part (always, for packets of
	 * local sockets), else copied with bpf_skb_load_bytes */
	if (data + 20 <= data_end)
		__builtin_memcpy(h, data, 20);
	else if (bpf_skb_load_bytes(skb, 0, h, 20))
		return 0;
	ihl = (h[0] & 0x0f) * 4;
	if (ihl < 20)
		return 0;
	proto = h[IPH_PROTO];
	saddr = *(__u32 *)&h[IPH_SADDR];
	daddr = *(__u32 *)&h[IPH_DADDR];

	legacy = cfg->flags & DSM_CF_LEGACY_LABELS;
	labeled = find_label(skb, data, data_end, ihl, legacy, lab, &snid, &scid, &fmt_bad);

	if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) && ihl <= 60) {
		__u8 l4[14];
		__u32 off = ihl & 0x3c;
		int ok;
		if (data + off + 14 <= data_end) {
			__builtin_memcpy(l4, data + off, 14);
			ok = 1;
		} else {
			ok = !bpf_skb_load_bytes(skb, ihl, l4, proto == IPPROTO_TCP ? 14 : 4);
		}
		if (ok) {
			sport = ((__u16)l4[0] << 8) | l4[1];
			dport = ((__u16)l4[2] << 8) | l4[3];
			if (proto == IPPROTO_TCP) {
				seq_be = *(__u32 *)&l4[TCPH_SEQ];
				tcpflags = l4[TCPH_FLAGS];
				tcp_payload = (int)(((__u32)h[2] << 8) | h[3]) - (int)ihl - (int)((l4[12] >> 4) * 4);
			}
		}
	}

	/* v2 labels: the MAC under the key of (epoch, claimed SnID) over the label, both addresses,
	 * the protocol, both ports and the TCP sequence number; a label that fails is never used */
	if (labeled) {
		__u8 why = 0;
		if (fmt_bad) {
			why = DSM_FORGED_FORMAT;
		} else if (!legacy) {
			struct dsm_lk_key lk = { .epoch = lab[LOPT_V2_EPOCH], .snid = snid };
			struct dsm_lk_val *kv = bpf_map_lookup_elem(&dsm_lkeys, &lk);
			if (!kv || !lab[LOPT_V2_EPOCH])
				why = DSM_FORGED_NO_KEY;
			else if (dsm_label_mac(kv->k0, kv->k1, lab, saddr, daddr, bpf_htons(sport),
					       bpf_htons(dport), seq_be, proto) != dsm_le64(lab + DSM_OPT_V2_MAC))
				why = DSM_FORGED_MAC;
		}
		if (why) {
			if (why != DSM_FORGED_FORMAT)
				count(DSM_C_BAD_MAC);
			return refuse_forged(cfg, why, DSM_P_RECEIVE, scid, snid, 0, cfg->snid, saddr, daddr, sport, dport, proto);
		}
	}

	/* fast path: the receiving socket's verdict cache (dsm_skc, written only for sockets that are
	 * judged) holds this peer and label, allowed under the table in force */
	{
		struct bpf_sock *sk = skb->sk;
		if (sk)
			sk = bpf_sk_fullsock(sk);
		fsk = sk;
		if (sk)
			skc = bpf_sk_storage_get(&dsm_skc, sk, 0, 0);
	}
	if (proto == IPPROTO_UDP)
		now = bpf_ktime_get_coarse_ns();
	if (skc) {
		__u64 g = active_gen() + 1;
		if (skc->in_gen == g && skc->in_saddr == saddr && skc->in_sport == sport) {
			int hit, fl = 0;
			if (labeled)
				hit = skc->in_scid == scid && skc->in_snid == snid;
			else if (proto == IPPROTO_TCP && !(tcpflags & 0x02))
				hit = 1;   /* the flow's label, learned from its SYN / SYN-ACK */
			else if (proto == IPPROTO_UDP && !(cfg->flags & DSM_CF_LABEL_DGRAMS) &&
				 skc->fl_set && skc->fl_saddr == saddr &&
				 skc->fl_sport == sport && now - skc->fl_ns < DSM_UDP_FLOW_TTL_NS) {
				hit = skc->in_scid == skc->fl_scid && skc->in_snid == skc->fl_snid;
				fl = 1;   /* UDP flow label */
			} else
				hit = skc->in_scid == 0 && skc->in_snid == 0;
			if (hit && skc->in_gen == g) {
				if (labeled && proto == IPPROTO_UDP && !(cfg->flags & DSM_CF_LABEL_DGRAMS))
					udp_learn(skc, saddr, daddr, sport, dport, scid, snid, now);
				if (fl)
					count(DSM_C_FLOW_HITS);
				count(DSM_C_SKC_HITS);
				count(DSM_C_ALLOWED);
				return 1;
			}
		}
	}

	/* Unlabeled payload-less TCP control segments (ACK, RST, FIN; never SYN) carry no data: they
	 * pass unjudged (the label in force decides every segment that carries data, and every SYN).
	 * Dropping them would also stall port reuse: a SYN_SENT socket must see the challenge ACK of
	 * an old peer socket to reset it. Bookkeeping only: a RST/FIN reaching a connection's own
	 * socket while the flow's label still waits in the flow cache (no data yet) frees the entry
	 * (fail-secure: a later data segment of that flow is judged as unlabeled). */
	if (proto == IPPROTO_TCP && !labeled && !(tcpflags & 0x02) && tcp_payload <= 0) {
		if ((tcpflags & 0x05) && fsk && fsk->state != BPF_TCP_LISTEN &&
		    !(skc && skc->fl_set && skc->fl_saddr == saddr && skc->fl_sport == sport)) {
			struct dsm_flow_key fk = { .saddr = saddr, .daddr = daddr, .sport = sport,
						   .dport = dport, .proto = proto };
			bpf_map_delete_elem(&dsm_flows, &fk);
		}
		count(DSM_C_ALLOWED);
		return 1;
	}

	cg = bpf_skb_ancestor_cgroup_id(skb, cfg->ctx_level);
	if (cg) {
		p = bpf_map_lookup_elem(&dsm_cg, &cg);
		if (p)
			cg_scid = *p;
	}

	/* target ScID (socket label of the local port, else the socket's context): an unlabeled packet
	 * for a socket that is judged by nobody leaves here (labeled ones still get the forgery check) */
	__u64 *vslot = 0, g0 = active_gen();
	__u32 t0 = 0;
	int t0_known = 0;
	if (!cg_scid) {   /* in a context: computed later */
		local_label(g0 & 1, proto, dport, &t0);
		t0_known = 1;
		if (!t0 && !labeled)
			return 1;
	}

	/* UDP sockets get a cache entry; TCP flows (both ends) keep the label of the SYN / SYN-ACK in
	 * the flow cache keyed by 5-tuple until their first data segment (the server's child socket
	 * does not exist yet when the SYN arrives, and connections that end before any data then
	 * never pay a socket-storage allocation) */
	if (!skc && fsk && (cg_scid || t0) && proto == IPPROTO_UDP)
		skc = bpf_sk_storage_get(&dsm_skc, fsk, 0, BPF_SK_STORAGE_GET_F_CREATE);

	/* UDP (flow labels, DSM_UDP_*): an unlabeled datagram of a flow whose label was seen less
	 * than DSM_UDP_FLOW_TTL_NS ago is judged with that label, under the policy in force */
	if (proto == IPPROTO_UDP && !labeled && !(cfg->flags & DSM_CF_LABEL_DGRAMS)) {
		if (skc && skc->fl_set && skc->fl_saddr == saddr && skc->fl_sport == sport) {
			if (now - skc->fl_ns < DSM_UDP_FLOW_TTL_NS) {
				scid = skc->fl_scid;
				snid = skc->fl_snid;
				flow_known = 1;
			}
		} else {
			struct dsm_flow_key fk = { .saddr = saddr, .daddr = daddr, .sport = sport,
						   .dport = dport, .proto = proto };
			struct dsm_uflow_val *uv = bpf_map_lookup_elem(&dsm_uflows, &fk);
			if (uv && now - uv->ns < DSM_UDP_FLOW_TTL_NS) {
				scid = uv->scid;
				snid = uv->snid;
				flow_known = 1;
				if (skc)
					skc_set_flow(skc, saddr, sport, scid, snid, uv->ns);
			}
		}
		if (flow_known)
			count(DSM_C_FLOW_HITS);
	}

	if (proto == IPPROTO_TCP && !labeled && !(tcpflags & 0x02)) {
		struct dsm_flow_key fk = { .saddr = saddr, .daddr = daddr, .sport = sport,
					   .dport = dport, .proto = proto };
		if (skc && skc->fl_set && skc->fl_saddr == saddr && skc->fl_sport == sport) {
			scid = skc->fl_scid;
			snid = skc->fl_snid;
			flow_known = 1;
			count(DSM_C_FLOW_HITS);
		} else {
			struct dsm_flow_val *fv = bpf_map_lookup_elem(&dsm_flows, &fk);
			if (fv) {
				scid = fv->scid;
				snid = fv->snid;
				flow_known = 1;
				count(DSM_C_FLOW_HITS);
				/* first data segment reaching the connection's own socket (not the
				 * listener): move the label onto the socket, free the flow-cache entry */
				if (fsk && fsk->state != BPF_TCP_LISTEN) {
					struct dsm_skc *c2 = bpf_sk_storage_get(&dsm_skc, fsk, 0,
										BPF_SK_STORAGE_GET_F_CREATE);
					if (c2) {
						skc_set_flow(c2, saddr, sport, scid, snid, c2->fl_ns);
						bpf_map_delete_elem(&dsm_flows, &fk);
					}
				}
			}
		}
	}

	/* verdict cache: under one table the decision depends only on (source address, label,
	 * target ScID) and, for own labels looped back, on arriving over lo; labels are accepted only
	 * on the node's cluster interfaces (and lo) */
	int lo_own = (labeled || flow_known) && snid == cfg->snid && skb->ifindex == 1;
	int off_cluster = labeled && skb->ifindex != 1 && !cluster_ifindex(skb->ifindex);
	if (!t0_known && !local_label(g0 & 1, proto, dport, &t0))
		t0 = cg_scid;
	struct dsm_vc_key vk = { .kind = (3 << 24) | ((__u32)lo_own << 16) | ((__u32)off_cluster << 17),
				 .w = { saddr, scid, snid, t0 } };
	int vhit = t0 && vc_hit(&vk, g0, &vslot);

	if (vhit) {
		count(DSM_C_SKC_HITS);
		d.allow = 1;
		d.gen = g0;
		tgt = DSM_ANY;   /* judged (allowed) under generation g0 */
	}
	if (!vhit) {
#pragma unroll
	for (int i = 0; i < 2; i++) {
		__u64 gen = active_gen();
		__u32 slot = gen & 1;

		forged = 0;
		tgt = 0;
		if (labeled || flow_known) {
			struct dsm_node_key nk = { .slot = slot, .snid = snid };
			__u32 *addr = bpf_map_lookup_elem(&dsm_nodes, &nk);
			if (!addr || *addr != saddr) {
				/* own labels looped back on lo are fine */
				if (!lo_own)
					forged = DSM_FORGED_ADDRESS;
			}
			if (off_cluster)
				forged = DSM_FORGED_INTERFACE;
		}
		if (!local_label(slot, proto, dport, &tgt))
			tgt = cg_scid;
		if (!forged && tgt) {
			access_decide(slot, scid, snid, tgt, DSM_P_RECEIVE, &d);
			if (!d.allow)
				finish_deny(slot, scid, tgt, &d);
		}
		d.gen = gen;
		if (active_gen() == gen)
			break;
	}
	}

	if (forged)
		return refuse_forged(cfg, forged, DSM_P_RECEIVE, scid, snid, tgt, cfg->snid, saddr, daddr, sport, dport, proto);
	if (!tgt)
		return 1;  /* socket outside any context and port not labeled: untouched */
	/* a genuine UDP label is the flow's label from now on, whatever the verdict (a flow whose
	 * new label is denied must not keep an older, allowed one) */
	if (labeled && proto == IPPROTO_UDP && !(cfg->flags & DSM_CF_LABEL_DGRAMS))
		udp_learn(skc, saddr, daddr, sport, dport, scid, snid, now);

	if (labeled && proto == IPPROTO_TCP) {
		if ((tcpflags & 0x12) == 0x12 && skc) {
			/* SYN-ACK on a client socket that has storage already (label-all mode) */
			skc_set_flow(skc, saddr, sport, scid, snid, skc->fl_ns);
		} else if (tcpflags & 0x02) {
			/* SYN (server) or SYN-ACK (client): the flow's label waits in the flow cache for
			 * the first data segment (segments labeled one by one need no flow label) */
			struct dsm_flow_key fk = { .saddr = saddr, .daddr = daddr, .sport = sport,
						   .dport = dport, .proto = proto };
			struct dsm_flow_val fv = { .scid = scid, .snid = snid };
			bpf_map_update_elem(&dsm_flows, &fk, &fv, BPF_ANY);
		}
	}

	if (d.allow && !vhit && tgt == t0 && d.gen == g0)
		vc_store(&vk, d.gen, vslot);
verdict:
	if (d.allow) {
		count(DSM_C_ALLOWED);
		if (skc) {
			skc->in_gen = 0;
			skc->in_saddr = saddr;
			skc->in_sport = sport;
			skc->in_scid = scid;
			skc->in_snid = snid;
			skc->in_gen = d.gen + 1;
		}
		return 1;
	}
	a.type = d.audit ? 2 : 1;
	a.perm = DSM_P_RECEIVE;
	a.src_scid = scid;
	a.src_snid = snid;
	a.tgt_scid = tgt;
	a.tgt_snid = cfg->snid;
	a.rule = d.rule;
	a.saddr = saddr;
	a.daddr = daddr;
	a.sport = sport;
	a.dport = dport;
	a.proto = proto;
	a.version = d.version;
	if (d.audit) {
		count(DSM_C_AUDIT);
		emit(&a, cfg);
		return 1;
	}
	count(DSM_C_DENIED);
	emit(&a, cfg);
	return 0;
}

SEC("tc")
int dsi_egress(struct __sk_buff *skb)
{
	struct dsm_config *cfg = dsm_cfg();
	__u16 w[20] = {};   /* IP header + our option (v1: 28 bytes, v2: 40) */
	__u8 *b = (__u8 *)w;
	__u32 scid = 0, ihl, sum = 0, mtu_len = 0, seq_be = 0, olen, legacy;
	__u16 sport = 0, dport = 0;
	__u64 cg, gen, now = 0;
	__u32 *p;
	__u8 proto;
	struct bpf_sock *sk;
	struct dsm_skc *c = 0;

	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;

	if (!cfg || skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	/* direct packet access when the headers are linear (packets of local sockets), else copies */
	if (data + ETH_HLEN + 20 <= data_end)
		__builtin_memcpy(b, data + ETH_HLEN, 20);
	else if (bpf_skb_load_bytes(skb, ETH_HLEN, b, 20))
		return TC_ACT_OK;
	if ((b[0] >> 4) != 4)
		return TC_ACT_OK;
	ihl = (b[0] & 0x0f) * 4;
	if (ihl < 20)
		return TC_ACT_OK;
	/* Sealed egress: the DSM writes labels here and nowhere else, so a packet that already carries
	 * option 0x9E was labeled by someone else (IP_OPTIONS, IP_HDRINCL, a raw or packet socket, a
	 * forwarded packet): a forgery attempt, in a context or not. Dropped, counted, audited. */
	if (ihl > 20) {
		__u32 fsnid = 0, fscid = 0;
		if (egress_label_present(skb, ETH_HLEN, ihl & 0x3c, &fsnid, &fscid)) {
			count(DSM_C_SEALED);
			refuse_forged(cfg, DSM_FORGED_SEALED, DSM_P_SEND, fscid, fsnid, 0, 0, *(__u32 *)&b[IPH_SADDR],
				      *(__u32 *)&b[IPH_DADDR], 0, 0, b[IPH_PROTO]);
			return TC_ACT_SHOT;
		}
	}
	/* non-first fragments are never labeled; the first one carries the label */
	if (be16_at(b + IPH_FRAG_OFF) & 0x1fff)
		return TC_ACT_OK;
	proto = b[IPH_PROTO];
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		__u8 l4[14];
		__u32 off = ETH_HLEN + (ihl & 0x3c);

		if (data + off + 14 <= data_end)
			__builtin_memcpy(l4, data + off, 14);
		else if (bpf_skb_load_bytes(skb, ETH_HLEN + ihl, l4, proto == IPPROTO_TCP ? 14 : 4))
			return TC_ACT_OK;
		if (proto == IPPROTO_TCP)
			seq_be = *(__u32 *)&l4[TCPH_SEQ];
		if (proto == IPPROTO_TCP && !(l4[TCPH_FLAGS] & 0x02)) {
			/* a RST sent by this node ends the flow: its peer's label, if it still waits in
			 * the flow cache (no data received yet), goes */
			if (l4[TCPH_FLAGS] & 0x04) {
				struct dsm_flow_key fk = { .saddr = *(__u32 *)&b[IPH_DADDR], .daddr = *(__u32 *)&b[IPH_SADDR],
							   .sport = ((__u16)l4[2] << 8) | l4[3],
							   .dport = ((__u16)l4[0] << 8) | l4[1], .proto = proto };
				bpf_map_delete_elem(&dsm_flows, &fk);
			}
			if (!(cfg->flags & DSM_CF_LABEL_ALL))
				return TC_ACT_OK;   /* only SYN / SYN-ACK carry the label */
		}
		sport = ((__u16)l4[0] << 8) | l4[1];
		dport = ((__u16)l4[2] << 8) | l4[3];
	}

	/* the socket's label, cached per socket for the table generation in force */
	gen = active_gen();
	sk = skb->sk;
	if (sk)
		sk = bpf_sk_fullsock(sk);
	/* TCP (SYN-only labels): one label per connection, nothing worth caching: no allocation */
	if (sk)
		c = bpf_sk_storage_get(&dsm_skc, sk, 0,
				       proto == IPPROTO_TCP && !(cfg->flags & DSM_CF_LABEL_ALL) ?
				       0 : BPF_SK_STORAGE_GET_F_CREATE);
	if (c && c->eg_gen == gen + 1 && c->eg_sport == sport) {
		scid = c->eg_scid;
		/* UDP flow labels: the receiver knows this flow's label (sent less than
		 * DSM_UDP_REFRESH_NS ago, same table generation here): leave unlabeled */
		if (scid && proto == IPPROTO_UDP && !(cfg->flags & DSM_CF_LABEL_DGRAMS) &&
		    c->eg_dport == dport && c->eg_daddr == *(__u32 *)&b[IPH_DADDR]) {
			now = bpf_ktime_get_coarse_ns();
			if (now - c->eg_ns < DSM_UDP_REFRESH_NS)
				return TC_ACT_OK;
		}
	} else {
		cg = bpf_skb_ancestor_cgroup_id(skb, cfg->ctx_level);
		if (cg) {
			p = bpf_map_lookup_elem(&dsm_cg, &cg);
			if (p)
				scid = *p;
		}
		if (scid && sport) {
			__u32 sl;
			if (local_label(gen & 1, proto, sport, &sl))
				scid = sl;
		}
		if (c) {
			c->eg_gen = 0;
			c->eg_sport = sport;
			c->eg_scid = scid;
			c->eg_gen = gen + 1;
		}
	}
	if (!scid)
		return TC_ACT_OK;
	/* No unlabeled fallback: a packet of a context socket whose header has no room for the label
	 * (a process filled IP_OPTIONS, e.g. with record-route) is dropped, never sent unlabeled */
	legacy = cfg->flags & DSM_CF_LEGACY_LABELS;
	olen = legacy ? DSM_OPT_LEN : DSM_OPT_LEN_V2;
	if (ihl + olen > 60) {
		count(DSM_C_LABEL_FAIL);
		return TC_ACT_SHOT;
	}

	if (!skb->gso_segs || skb->gso_segs == 1) {
		if (bpf_check_mtu(skb, 0, &mtu_len, olen, 0)) {
			/* no unlabeled fallback here either; libdsm lowers the route MTU of the
			 * cluster routes by the label's length, so the stack does not make such
			 * packets (raw sockets and routes added after the attach aside) */
			count(DSM_C_TOO_BIG);
			return TC_ACT_SHOT;
		}
	}
	if (bpf_skb_adjust_room(skb, olen, BPF_ADJ_ROOM_NET, 0)) {
		count(DSM_C_LABEL_FAIL);
		return TC_ACT_SHOT;
	}
	/* header (already moved in front of the gap) + our option */
	b[0] = 0x40 | ((ihl + olen) / 4);
	{
		put_be16(b + IPH_TOT_LEN, be16_at(b + IPH_TOT_LEN) + olen);
	}
	b[IPH_CSUM] = 0;
	b[IPH_CSUM + 1] = 0;
	write_label(b + IPV4_HLEN, cfg, scid, legacy, gen, skb->ifindex, *(__u32 *)&b[IPH_SADDR],
		    *(__u32 *)&b[IPH_DADDR], sport, dport, seq_be, proto);
	if (ihl > 20) {
		/* existing options follow ours; they are summed from the packet */
		__u8 rest[40] = {};
		__u32 n = (ihl - 20) & 0x3f;
		/* the room is already opened: a packet left half-written is never sent */
		if (n == 0 || n > 40 - olen)
			return TC_ACT_SHOT;
		if (legacy) {
			if (n > 32 || bpf_skb_load_bytes(skb, ETH_HLEN + 20 + DSM_OPT_LEN, rest, n))
				return TC_ACT_SHOT;
		} else {
			if (n > 20 || bpf_skb_load_bytes(skb, ETH_HLEN + 20 + DSM_OPT_LEN_V2, rest, n))
				return TC_ACT_SHOT;
		}
#pragma unroll
		for (int i = 0; i < 20; i++)
			sum += ((__u16 *)rest)[i];
	}
#pragma unroll
	for (int i = 0; i < 20; i++)
		sum += w[i];   /* v1: words 14..19 are zero */
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	w[5] = ~sum & 0xffff;
	if (legacy ? bpf_skb_store_bytes(skb, ETH_HLEN, b, 20 + DSM_OPT_LEN, 0)
		   : bpf_skb_store_bytes(skb, ETH_HLEN, b, 20 + DSM_OPT_LEN_V2, 0))
		return TC_ACT_SHOT;
	if (c && proto == IPPROTO_UDP) {
		c->eg_daddr = *(__u32 *)&b[IPH_DADDR];
		c->eg_dport = dport;
		c->eg_ns = now ? now : bpf_ktime_get_coarse_ns();
	}
	count(DSM_C_LABELED);
	return TC_ACT_OK;
}

/* ---------------------------------------------------------------- reserved ports */

/* tc ingress on the cluster interfaces: a packet for a labeled port (this node's socket labels)
 * reaches only a socket whose bind to that port was judged and allowed in a context (marked by
 * the bind hook, mark_bound_port); it is dropped for any other socket. Sockets outside the node's
 * DSI subtree meet no cgroup hook (no bind check, no ingress program), so a process there that
 * binds a labeled port while its service is down, or is handed it as an ephemeral port, would
 * otherwise receive the traffic meant for that context. */
SEC("tc")
int dsi_port_guard(struct __sk_buff *skb)
{
	struct dsm_config *cfg = dsm_cfg();
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	struct dsm_skc *c;
	__u32 tlen, lbl = 0, l4off;
	__u8 h[40], proto;
	__u16 ports[2];
	int ok;

	if (!cfg)
		return TC_ACT_OK;
	{   /* no labeled port on this node (an array lookup, inlined): nothing to guard */
		__u32 slot = active_gen() & 1;
		struct dsm_hdr *hh = bpf_map_lookup_elem(&dsm_hdr, &slot);
		if (!hh || !hh->local_labels)
			return TC_ACT_OK;
	}
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
		if (data + ETH_HLEN + IPV4_HLEN <= data_end)   /* headers linear: no helper call */
			__builtin_memcpy(h, data + ETH_HLEN, IPV4_HLEN);
		else if (bpf_skb_load_bytes(skb, ETH_HLEN, h, IPV4_HLEN))
			return TC_ACT_OK;
		if ((h[0] >> 4) != 4)
			return TC_ACT_OK;
		if (be16_at(h + IPH_FRAG_OFF) & 0x1fff)
			return TC_ACT_OK;   /* no ports in a non-first fragment; the first one decides */
		proto = h[IPH_PROTO];
		l4off = ETH_HLEN + (h[0] & 0x0f) * 4;
		__builtin_memcpy(&t.ipv4.saddr, &h[IPH_SADDR], 4);
		__builtin_memcpy(&t.ipv4.daddr, &h[IPH_DADDR], 4);
		tlen = sizeof(t.ipv4);
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN, h, 40))
			return TC_ACT_OK;
		proto = h[6];      /* extension headers: not looked through */
		l4off = ETH_HLEN + 40;
		__builtin_memcpy(t.ipv6.saddr, &h[8], 16);
		__builtin_memcpy(t.ipv6.daddr, &h[24], 16);
		tlen = sizeof(t.ipv6);
	} else {
		return TC_ACT_OK;
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, l4off, ports, 4))
		return TC_ACT_OK;
	if (proto == IPPROTO_TCP) {
		/* a TCP socket gets the port's traffic only through a handshake: SYN (a listener) or
		 * SYN-ACK (a client bound to the port) are the packets judged; an accepted child socket
		 * then carries on without a lookup per segment */
		__u8 fl;
		if (bpf_skb_load_bytes(skb, l4off + 13, &fl, 1) || !(fl & 0x02))
			return TC_ACT_OK;
	}
	if (!local_label(active_gen() & 1, proto, bpf_ntohs(ports[1]), &lbl))
		return TC_ACT_OK;   /* not a labeled port: the common case, one lookup */
	if (tlen == sizeof(t.ipv4)) {
		t.ipv4.sport = ports[0];
		t.ipv4.dport = ports[1];
	} else {
		t.ipv6.sport = ports[0];
		t.ipv6.dport = ports[1];
	}
	sk = proto == IPPROTO_TCP ? bpf_sk_lookup_tcp(skb, &t, tlen, BPF_F_CURRENT_NETNS, 0)
				  : bpf_sk_lookup_udp(skb, &t, tlen, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return TC_ACT_OK;   /* nobody listens: the stack answers as usual */
	c = bpf_sk_storage_get(&dsm_skc, sk, 0, 0);
	ok = c && c->bound_port == bpf_ntohs(ports[1]);
	bpf_sk_release(sk);
	if (ok)
		return TC_ACT_OK;
	{
		struct ev_args a = {};
		__u32 slot = active_gen() & 1;
		struct dsm_hdr *hh = bpf_map_lookup_elem(&dsm_hdr, &slot);
		count(DSM_C_PORT_GUARD);
		a.type = 1;
		a.reason = DSM_DENY_PORT_RESERVED;
		a.perm = DSM_P_RECEIVE;
		a.tgt_scid = lbl;
		a.tgt_snid = cfg->snid;
		if (tlen == sizeof(t.ipv4)) {
			a.saddr = t.ipv4.saddr;
			a.daddr = t.ipv4.daddr;
		}
		a.sport = bpf_ntohs(ports[0]);
		a.dport = bpf_ntohs(ports[1]);
		a.proto = proto;
		a.version = hh ? hh->version : 0;
		emit(&a, cfg);
	}
	return TC_ACT_SHOT;
}
