/* SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only */
/* Constants, the DSM's maps (all pinned by name) and the helpers every program uses: counters, the configuration, the table generation in force, the verdict cache. */
#ifndef DSM_BPF_MAPS_H
#define DSM_BPF_MAPS_H

#define AF_INET 2
#define AF_INET6 10
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_HLEN 14
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

#define PIN __uint(pinning, LIBBPF_PIN_BY_NAME)

struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32);
	 __type(value, struct dsm_config); PIN; } dsm_config SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32);
	 __type(value, __u64); PIN; } dsm_active SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 2); __type(key, __u32);
	 __type(value, struct dsm_hdr); PIN; } dsm_hdr SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32);
	 __type(value, struct dsm_ustate); PIN; } dsm_ustate SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4096); __type(key, __u64);
	 __type(value, __u32); PIN; } dsm_cg SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 2 * 4096);
	 __type(key, struct dsm_ctx_key); __type(value, __u32); PIN; } dsm_ctx SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 2 * 4096);
	 __type(key, struct dsm_node_key); __type(value, __u32); PIN; } dsm_nodes SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 2 * 4096);
	 __type(key, struct dsm_naddr_key); __type(value, __u32); PIN; } dsm_naddr SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 2 * 65536);
	 __type(key, struct dsm_acc_key); __type(value, struct dsm_acc_val); PIN; } dsm_access SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 2 * 16384);
	 __type(key, struct dsm_sl_key); __type(value, struct dsm_sl_val); PIN; } dsm_socklabel SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 2 * 16384);
	 __type(key, struct dsm_lsl_key); __type(value, struct dsm_sl_val); PIN; } dsm_lsl SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 2 * 4096);
	 __type(key, struct dsm_tr_key); __type(value, struct dsm_tr_val); PIN; } dsm_trans SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LPM_TRIE); __uint(max_entries, 2 * 4096);
	 __uint(map_flags, BPF_F_NO_PREALLOC);
	 __type(key, struct dsm_nr_key); __type(value, struct dsm_nr_val); PIN; } dsm_netrules SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 65536);
	 __uint(map_flags, BPF_F_NO_COMMON_LRU);
	 __type(key, struct dsm_flow_key); __type(value, struct dsm_flow_val); PIN; } dsm_flows SEC(".maps");
/* UDP flow labels at the receiver (5-tuple -> last label seen and when), for sockets whose
 * one-peer slot in dsm_skc holds another peer */
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 32768);
	 __uint(map_flags, BPF_F_NO_COMMON_LRU);
	 __type(key, struct dsm_flow_key); __type(value, struct dsm_uflow_val); PIN; } dsm_uflows SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 16384);
	 __uint(map_flags, BPF_F_NO_COMMON_LRU);
	 __type(key, struct dsm_rl_key); __type(value, struct dsm_rl_val); PIN; } dsm_rl SEC(".maps");
/* verdict cache: exact decision inputs -> generation + 1 of the table that ALLOWED them (denials
 * are never cached); a verdict counts only while that generation is still the active one */
struct dsm_vc_key { __u32 kind; __u32 w[5]; };
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 16384);
	 __uint(map_flags, BPF_F_NO_COMMON_LRU);
	 __type(key, struct dsm_vc_key); __type(value, __u64); PIN; } dsm_vc SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_SK_STORAGE); __uint(map_flags, BPF_F_NO_PREALLOC);
	 __type(key, int); __type(value, struct dsm_skc); PIN; } dsm_skc SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 16384); __type(key, __u64);
	 __type(value, struct dsm_uconn); PIN; } dsm_uconn SEC(".maps");
/* label keys (README "Label keys"): written only by libdsm (dsm_label_keys_replace) */
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 2 * 4096);
	 __type(key, struct dsm_lk_key); __type(value, struct dsm_lk_val); PIN; } dsm_lkeys SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32);
	 __type(value, __u32); PIN; } dsm_lksend SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, DSM_C_MAX);
	 __type(key, __u32); __type(value, __u64); PIN; } dsm_cnt SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 1 << 20); PIN; } dsm_events SEC(".maps");
/* bookkeeping for libdsm only (never read by programs): watched binaries, tc attachments */
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1024); __type(key, char[256]);
	 __type(value, __u32); PIN; } dsm_watch SEC(".maps");
struct dsm_iface_rec { __u32 ifindex; __u32 created_qdisc; char name[16]; };
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 16); __type(key, __u32);
	 __type(value, struct dsm_iface_rec); PIN; } dsm_ifaces SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1024); __type(key, struct dsm_route_key);
	 __type(value, struct dsm_route_val); PIN; } dsm_routes SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&dsm_cnt, &idx);
	if (v)
		*v += 1;
}

static __always_inline struct dsm_config *dsm_cfg(void)
{
	__u32 z = 0;
	return bpf_map_lookup_elem(&dsm_config, &z);
}

static __always_inline __u64 active_gen(void)
{
	__u32 z = 0;
	__u64 *g = bpf_map_lookup_elem(&dsm_active, &z);
	return g ? *(volatile __u64 *)g : 0;
}

/* 1 when k was allowed under generation gen (the one in force); *slot gets the entry if any */
static __always_inline int vc_hit(struct dsm_vc_key *k, __u64 gen, __u64 **slot)
{
	__u64 *v = bpf_map_lookup_elem(&dsm_vc, k);

	*slot = v;
	return v && *(volatile __u64 *)v == gen + 1;
}

static __always_inline void vc_store(struct dsm_vc_key *k, __u64 gen, __u64 *slot)
{
	__u64 g1 = gen + 1;

	if (slot)
		*(volatile __u64 *)slot = g1;   /* same key, stale generation: one 8-byte store */
	else
		bpf_map_update_elem(&dsm_vc, k, &g1, BPF_ANY);
}

#endif
