/* SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only */
/*
 * Map keys/values shared by the BPF programs (dsm.bpf.c) and libdsm. Every policy map key starts
 * with the slot (0 or 1) of the double-buffered table it belongs to; the active slot is
 * (gen & 1) where gen is the single value of map dsm_active.
 */
#ifndef DSM_SHARED_H
#define DSM_SHARED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define DSM_ANY        0xFFFFFFFFu
#define DSM_OPT_TYPE   0x9E        /* copied=1, class=0, number=30 (RFC 4727 experimental) */
#define DSM_OPT_LEN    8           /* v1 label: type, length, SnID (2), ScID (4), unauthenticated */
#define DSM_OPT_LEN_V2 20          /* v2 label (README "Wire format v2"): type, length, version,
                                      epoch, SnID (2), ScID (4), reserved (2, zero), MAC (8) */
#define DSM_OPT_V2     2           /* version byte of a v2 label */
#define DSM_OPT_V2_MAC 12          /* offset of the MAC inside the option */
#define DSM_MAX_SNID   0xFFFEu     /* SnID travels in 16 bits */

#define DSM_CF_LABEL_ALL 0x1u      /* every TCP segment labeled (DSM_F_LABEL_ALL_SEGMENTS) */
#define DSM_CF_LABEL_DGRAMS 0x2u   /* every UDP datagram labeled (DSM_F_LABEL_ALL_SEGMENTS or
                                      DSM_F_LABEL_ALL_DATAGRAMS) */
#define DSM_CF_LEGACY_LABELS 0x4u  /* v1 labels without MAC (DSM_F_LEGACY_LABELS, benchmarks only) */

/* UDP flow labels: the sender labels the first datagram of a flow (socket + destination) and
 * again when its last label on that flow is older than DSM_UDP_REFRESH_NS; the receiver judges an
 * unlabeled datagram with the flow's label for DSM_UDP_FLOW_TTL_NS after the label was last seen */
#define DSM_UDP_REFRESH_NS  1000000000ull
#define DSM_UDP_FLOW_TTL_NS 2000000000ull

/* permission bits */
#define DSM_P_CREATE     0
#define DSM_P_BIND       1
#define DSM_P_CONNECT    2
#define DSM_P_SEND       3
#define DSM_P_RECEIVE    4
#define DSM_P_TRANSITION 5
#define DSM_P_RAW        6 /* open a raw IP socket (SOCK_RAW); subject = target, like create */

/* per-CPU counters (map dsm_cnt) */
enum {
	DSM_C_LABELED = 0,
	DSM_C_ALLOWED,
	DSM_C_DENIED,
	DSM_C_AUDIT,
	DSM_C_FORGED,
	DSM_C_LOCAL_DENIED,
	DSM_C_SUPPRESSED,
	DSM_C_LOST,
	DSM_C_TOO_BIG,        /* packet of a context socket dropped: packet + label would exceed the MTU */
	DSM_C_LABEL_FAIL,     /* packet of a context socket dropped: no room for the label / adjust_room failed */
	DSM_C_LOCAL_ALLOWED,
	DSM_C_FLOW_HITS,      /* unlabeled TCP segment judged with the label cached from its SYN */
	DSM_C_SKC_HITS,       /* decisions answered by the per-socket verdict cache */
	DSM_C_BAD_MAC,        /* received v2 label whose MAC does not verify (or no key for its epoch) */
	DSM_C_NO_KEY,         /* sent label without a key for the destination: MAC left zero */
	DSM_C_SEALED,         /* packet dropped at egress: it carried an option 0x9E the DSM did not write */
	DSM_C_PORT_GUARD,     /* packet dropped at tc ingress: labeled port, socket outside every context */
	DSM_C_MAX = 24
};

/* user-space maintained state (map dsm_ustate, one entry) */
struct dsm_ustate {
	__u64 table_swaps;
	__u64 execs_transitioned;
	__u64 execs_denied;
	__u64 exec_events_suppressed;
	__u64 execs_killed;          /* transitions killed in the exec gate (also in execs_denied) */
	__u64 execs_dumpable;        /* transitions released with an image its uid can ptrace */
};

struct dsm_config {
	__u32 snid;
	__u32 flags;          /* DSM_CF_* */
	__u32 ctx_level;      /* cgroup level of <root>/scid-N */
	__u32 rate_per_sec;   /* audit events per flow per second */
	__u32 attached;       /* 1 once a dsm_attach completed */
	__u32 created_dirs;   /* parent directories the attach created: cgroup << 16 | bpffs */
	char cgroup_root[256];
	char netns_path[128];
	char ifaces[128];
};

struct dsm_hdr {              /* one per slot */
	__u64 version;
	__u32 default_mask;
	__u32 external_mask;
	__u32 loaded;
	__u32 local_labels;   /* entries of dsm_lsl in this slot: 0 = no labeled port on this node */
};

struct dsm_ctx_key  { __u32 slot; __u32 scid; };            /* -> __u32 flags */
struct dsm_node_key { __u32 slot; __u32 snid; };            /* -> __u32 addr (network order) */
struct dsm_naddr_key { __u32 slot; __u32 addr; };           /* -> __u32 snid */
struct dsm_acc_key  { __u32 slot; __u32 src_scid; __u32 src_snid; __u32 tgt_scid; };
struct dsm_acc_val  { __u32 mask; __u32 rules[8]; };
struct dsm_sl_key   { __u32 slot; __u8 proto; __u8 pad; __u16 port; __u32 snid; };
struct dsm_sl_val   { __u32 scid; __u32 rule; };
struct dsm_lsl_key  { __u32 slot; __u8 proto; __u8 pad; __u16 port; }; /* this node's effective
                                                                       socket labels -> dsm_sl_val */
struct dsm_tr_key   { __u32 slot; __u32 parent; __u32 bin; };
struct dsm_tr_val   { __u32 new_scid; __u32 rule; };
struct dsm_nr_key   { __u32 prefixlen; __u32 slot; __u32 scid; __u32 addr; }; /* prefixlen = 64 + plen */
struct dsm_nr_val   { __u8 action; __u8 pad; __u16 mask; __u32 rule; };

/* context of the process that connected an AF_UNIX socket, by that socket's cookie (map dsm_uconn):
 * a local service learns who connected at connect() time, not by resolving a pid later */
struct dsm_uconn {
	__u64 cg;             /* context cgroup id (ancestor at ctx_level) */
	__u64 time_ns;        /* CLOCK_MONOTONIC */
	__u32 scid;           /* 0: the cgroup is not a registered context */
	__u32 tgid;
};

/* per-socket verdict cache (BPF_MAP_TYPE_SK_STORAGE): an allow verdict is reused while the table
 * generation and the peer/label are unchanged; *_gen holds generation + 1 (0 = empty) */
struct dsm_skc {
	__u64 in_gen;
	__u32 in_saddr;
	__u32 in_scid;
	__u32 in_snid;
	__u16 in_sport;
	__u16 bound_port;     /* a labeled port this socket's bind in a context was allowed for (host
	                         order): the tc ingress port guard lets its traffic through */
	__u64 out_gen;
	__u32 out_daddr;
	__u32 out_scid;
	__u16 out_dport;
	__u16 out_perm;
	__u16 eg_sport;       /* egress: label of this socket for source port eg_sport */
	__u64 eg_gen;
	__u32 eg_scid;        /* 0 = socket not in a context: sent unlabeled */
	__u32 fl_set;         /* TCP client sockets: the label of the peer, learned from its SYN-ACK */
	__u32 fl_saddr;
	__u32 fl_scid;
	__u32 fl_snid;
	__u16 fl_sport;
	__u16 pad4;
	__u64 fl_ns;          /* UDP sockets: when the peer's label fl_* was last seen (coarse ns) */
	__u64 eg_ns;          /* UDP sockets: when the last label went to eg_daddr:eg_dport */
	__u32 eg_daddr;
	__u16 eg_dport;
	__u16 pad5;
	__u64 out_cg;         /* the sender's context cgroup id out_scid was found for */
};

/* label keys (map dsm_lkeys): (low 8 bits of the epoch, peer SnID) -> 128-bit SipHash key;
 * map dsm_lksend holds the epoch labels are written with (0: none installed) */
struct dsm_lk_key { __u32 epoch; __u32 snid; };
struct dsm_lk_val { __u64 k0; __u64 k1; };

/* why a packet was refused as forged (dsm_event.pad[0] of type 3 events) */
enum {
	DSM_FORGED_ADDRESS = 1,   /* the label's SnID is not the node sending from this address */
	DSM_FORGED_INTERFACE,     /* label on an interface that does not carry cluster traffic */
	DSM_FORGED_MAC,           /* v2 label whose MAC does not verify */
	DSM_FORGED_NO_KEY,        /* v2 label of an epoch / peer this node holds no key for */
	DSM_FORGED_FORMAT,        /* a label of the other version (v1 where v2 is required), bad length */
	DSM_FORGED_SEALED,        /* egress: option 0x9E written by someone else than the DSM */
};

/* why a packet was denied (dsm_event.pad[0] of type 1 events; 0: the policy) */
#define DSM_DENY_PORT_RESERVED 1   /* labeled port, receiving socket outside every context */

/* routes whose MTU the DSM lowered to make room for the label (map dsm_routes, libdsm only) */
struct dsm_route_key { __u32 dst; __u32 plen; __u32 table; __u32 prio; __u32 oif; };
struct dsm_route_val { __u32 orig_mtu; __u32 set_mtu; };   /* orig_mtu 0: the route had none */

struct dsm_flow_key { __u32 saddr; __u32 daddr; __u16 sport; __u16 dport; __u32 proto; };
struct dsm_flow_val { __u32 scid; __u32 snid; };
struct dsm_uflow_val { __u32 scid; __u32 snid; __u64 ns; };   /* UDP flow label, last seen at ns */

struct dsm_rl_key {
	__u32 type; __u32 proto; __u32 saddr; __u32 daddr;
	__u16 sport; __u16 dport; __u32 src_scid; __u32 tgt_scid; __u32 pid;
};
/* suppressed is 64-bit so that it can be taken and reset in one atomic exchange (BPF has 32-bit
 * exchange only with alu32 code); the window start is in ms, compared in u32 arithmetic */
struct dsm_rl_val { __u64 suppressed; __u32 win_ms; __u32 count; };

/* Same layout as struct dsm_event in include/dsm.h (checked by a static assertion in libdsm);
 * time_ns is CLOCK_MONOTONIC here, libdsm converts it to CLOCK_REALTIME. */
struct dsm_bpf_event {
	__u64 time_ns;
	__u64 policy_version;
	__u32 type;
	__u32 permission;
	__u32 src_scid;
	__u32 src_snid;
	__u32 tgt_scid;
	__u32 tgt_snid;
	__u32 rule_id;
	__s32 pid;
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8  protocol;
	__u8  pad[3];
	__u32 suppressed;
	char  comm[16];
	char  path[128];
};

#endif
