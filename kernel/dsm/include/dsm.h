/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libdsm: the user-space half of the DSI Distributed Security Module.
 *
 * libdsm owns the eBPF programs and maps that enforce the DSI policy on one node: cgroup programs
 * on the node's DSI cgroup subtree (local checks and remote checks), tc egress programs on the
 * cluster interfaces (labels on the wire), a fanotify watcher for exec transitions, and a ring
 * buffer of audit events. Programs and maps are pinned under the pin directory, so enforcement
 * outlives the process that attached them; dsm_attach() adopts what is already pinned.
 *
 * This header is the contract with the Java side (dsi-dsm binds it through JNA): every struct
 * here has a fixed layout (no pointers inside, explicit padding) and every function returns 0 or
 * a positive count on success and a negative errno on failure; dsm_last_error() then explains it
 * in words ("bpf_prog_load(dsi_ingress): Operation not permitted", ...).
 */
#ifndef DSM_H
#define DSM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DSM_API_VERSION 1

typedef struct dsm_node dsm_node;

/* Flags for dsm_attach_opts.flags */
#define DSM_F_LABEL_ALL_SEGMENTS 0x1u /* label every packet, not only flow-opening ones (every TCP
                                         segment and every UDP datagram) */
#define DSM_F_NO_EXEC_WATCH      0x2u /* do not start the fanotify exec-transition watcher */
#define DSM_F_LABEL_ALL_DATAGRAMS 0x4u /* label every UDP datagram (TCP: SYN-only unless
                                          DSM_F_LABEL_ALL_SEGMENTS); default: UDP flow labels */
#define DSM_F_EXEC_NONDUMP_ONLY  0x8u /* exec transitions of a non-root uid are released only when
                                         the new image is non-dumpable (e.g. the binary is setgid
                                         to an unused group, README "Exec transitions"): others
                                         are killed */

#define DSM_F_LEGACY_LABELS      0x10u /* v1 labels without MAC (8-byte option, UDP flow labels):
                                          the unauthenticated baseline of benchmarks; a DSM in
                                          this mode refuses v2 labels and the other way round */

struct dsm_attach_opts {
	uint32_t snid;            /* this node's SnID (nonzero) */
	uint32_t flags;           /* DSM_F_* */
	const char *cgroup_root;  /* the node's DSI subtree, e.g. /sys/fs/cgroup/unified/dsi/colby;
	                             created if missing; must lie inside a cgroup v2 mount */
	const char *pin_dir;      /* bpffs directory for this node, e.g. /sys/fs/bpf/dsi/colby */
	const char *bpf_object;   /* path of dsm.bpf.o */
	const char *ifaces;       /* comma-separated interfaces carrying cluster traffic (tc egress
	                             labeling); may be empty */
	const char *netns_path;   /* network namespace whose interfaces are meant ("/run/netns/colby"),
	                             or NULL/empty for the caller's own */
};

/* Kernel facilities probed by dsm_probe(); a cleared bit means unavailable (reason in text). */
#define DSM_CAP_ROOT        0x01u
#define DSM_CAP_CGROUP2     0x02u
#define DSM_CAP_BPFFS       0x04u
#define DSM_CAP_CGROUP_BPF  0x08u
#define DSM_CAP_TC_BPF      0x10u
#define DSM_CAP_RINGBUF     0x20u
#define DSM_CAP_FANOTIFY    0x40u
#define DSM_CAP_XATTR       0x80u

/* Returns the available DSM_CAP_* bits; writes a human readable explanation of every missing
 * facility into why (always NUL-terminated). */
uint32_t dsm_probe(char *why, size_t why_len);

/* Attach (or adopt the pinned state of) one node. *out is valid until dsm_close(). */
int dsm_attach(const struct dsm_attach_opts *opts, dsm_node **out);

/* Release the handle; keeps everything pinned, so enforcement continues. */
void dsm_close(dsm_node *node);

/* Stop enforcing: detach programs and tc filters, remove pins and the (empty) context cgroups. */
int dsm_detach(dsm_node *node);

/* Security contexts are cgroups <cgroup_root>/scid-<scid>. */
int dsm_context_create(dsm_node *node, uint32_t scid);
int dsm_context_remove(dsm_node *node, uint32_t scid);         /* -EBUSY while processes remain */
int dsm_move_pid(dsm_node *node, int32_t pid, uint32_t scid);
int dsm_pid_context(dsm_node *node, int32_t pid, uint32_t *scid); /* 0 = outside the subtree */
/* The context and pid of the process that connected the peer of fd (an accepted AF_UNIX stream
 * socket), as recorded by cgroup/connect_unix at its connect(). -ENOENT: no record (connected from
 * outside every context, from another network namespace, or evicted); -EOPNOTSUPP: kernel < 6.7. */
int dsm_unix_peer_context(dsm_node *node, int fd, uint32_t *scid, int32_t *pid);
/* The context of the TCP socket with this 4-tuple (addresses in network order, 4 bytes for AF_INET,
 * 16 for AF_INET6; ports in host order) in the caller's network namespace: the context of the
 * cgroup the socket was created in, i.e. the one its packets are labeled with (0: outside every
 * context). -ENOENT: no such socket. */
int dsm_inet_socket_context(dsm_node *node, int family, const void *laddr, uint16_t lport,
			    const void *raddr, uint16_t rport, uint32_t *scid);

/* Binary labels (SetSID): the trusted.dsi.scid xattr, 4 bytes little-endian. scid 0 removes it.
 * With a node, a labeled binary is also watched for exec transitions. */
int dsm_label_binary(dsm_node *node_or_null, const char *path, uint32_t scid);
int dsm_read_label(const char *path, uint32_t *scid);           /* -ENODATA when unlabeled */
int dsm_watch_binary(dsm_node *node, const char *path);         /* re-watch after a restart */

/* Load a compiled policy table (dsi-api TABLE-FORMAT.md, version 1) atomically: the new tables
 * are written to the inactive half of double-buffered maps, then one index flips. */
int dsm_load_table(dsm_node *node, const void *table, size_t len);

/* Audit event types */
#define DSM_EV_DENY          1 /* denied and dropped */
#define DSM_EV_AUDIT_DENY    2 /* would be denied; context in audit mode, let through */
#define DSM_EV_FORGED_LABEL  3 /* label refused: pad[0] says why (DSM_FORGED_R_*) */
#define DSM_EV_TRANSITION    4 /* exec moved a process into a new context */
#define DSM_EV_EXEC_DENIED   5 /* exec of a labeled binary denied or its process killed before
                                  its first instruction; reason in pad[0] (DSM_EXEC_R_*) */

/* dsm_event.pad[0] of DSM_EV_EXEC_DENIED: why (0 for every other event type) */
#define DSM_EXEC_R_NO_RULE   0 /* no transition rule / not allowed (exec failed with EPERM) */
#define DSM_EXEC_R_TRACED    1 /* the process was traced (refused, or killed in the gate) */
#define DSM_EXEC_R_ENV       2 /* loader/libc injection variable in the new environment (killed) */
#define DSM_EXEC_R_NO_EXEC   3 /* the exec failed after it was allowed, or the new image's state
                                  is not the fresh one of the labeled binary (killed) */
#define DSM_EXEC_R_TIMEOUT   4 /* did not reach the gate in time (killed) */
#define DSM_EXEC_R_ORPHAN    5 /* found in an exec gate when the watcher started (killed) */
#define DSM_EXEC_R_DUMPABLE  6 /* DSM_F_EXEC_NONDUMP_ONLY: the new image is ptrace-able (killed) */
#define DSM_EXEC_R_GATE      7 /* the exec gate could not be used (refused, EPERM) */

/* dsm_event.pad[0] of DSM_EV_DENY: 0 = the policy denied it, or */
#define DSM_DENY_R_PORT_RESERVED 1 /* a packet for a labeled port whose socket is outside every
                                      context (dropped at tc ingress; tgt_scid = the port's label) */

/* dsm_event.pad[0] of DSM_EV_FORGED_LABEL */
#define DSM_FORGED_R_ADDRESS   1 /* the label's SnID is not the node sending from that address */
#define DSM_FORGED_R_INTERFACE 2 /* label on an interface that does not carry cluster traffic */
#define DSM_FORGED_R_MAC       3 /* v2 label whose MAC does not verify */
#define DSM_FORGED_R_NO_KEY    4 /* v2 label of an epoch or peer this node holds no key for */
#define DSM_FORGED_R_FORMAT    5 /* label of the wrong version or length */
#define DSM_FORGED_R_SEALED    6 /* egress: option 0x9E the DSM did not write (dropped at the source) */

struct dsm_event {
	uint64_t time_ns;      /* CLOCK_REALTIME, nanoseconds */
	uint64_t policy_version;
	uint32_t type;         /* DSM_EV_* */
	uint32_t permission;   /* permission bit (TABLE-FORMAT.md) */
	uint32_t src_scid;
	uint32_t src_snid;
	uint32_t tgt_scid;
	uint32_t tgt_snid;
	uint32_t rule_id;      /* deciding rule, 0 = default */
	int32_t  pid;          /* process concerned (0 when unknown, e.g. ingress) */
	uint32_t saddr;        /* IPv4, network order */
	uint32_t daddr;
	uint16_t sport;        /* host order */
	uint16_t dport;
	uint8_t  protocol;     /* 6, 17, 0 for exec events */
	uint8_t  pad[3];       /* pad[0]: DSM_EXEC_R_* for DSM_EV_EXEC_DENIED, DSM_FORGED_R_* for
	                          DSM_EV_FORGED_LABEL, DSM_DENY_R_* for DSM_EV_DENY */
	uint32_t suppressed;   /* events of this flow dropped by the rate limiter before this one */
	char     comm[16];     /* command name */
	char     path[128];    /* binary path for exec events, else empty */
};

/* Copy up to max pending events into out; waits up to timeout_ms (0 = do not wait).
 * Returns the number copied. */
int dsm_poll_events(dsm_node *node, struct dsm_event *out, int max, int timeout_ms);

struct dsm_counters {
	uint64_t policy_version;   /* version of the table in force, 0 = none */
	uint64_t packets_labeled;
	uint64_t packets_allowed;
	uint64_t packets_denied;
	uint64_t packets_audit_only;
	uint64_t forged_labels;
	uint64_t local_denied;     /* socket create/bind/connect/send refused at the source */
	uint64_t execs_transitioned;
	uint64_t execs_denied;
	uint64_t events_suppressed;
	uint64_t events_lost;      /* ring buffer full */
	uint64_t table_swaps;
	uint64_t labels_bad_mac;   /* received v2 labels refused: MAC wrong or no key for (epoch, peer) */
	uint64_t labels_no_key;    /* labels sent with no key for the destination (MAC zero) */
	uint64_t sealed_drops;     /* packets dropped at egress: option 0x9E not written by the DSM */
	uint64_t label_failed;     /* packets of context sockets dropped: no room for the label */
	uint64_t label_too_big;    /* packets dropped: packet + label would exceed the MTU */
	uint64_t execs_killed;     /* exec transitions killed in the gate */
	uint64_t execs_dumpable;   /* exec transitions released with a ptrace-able image */
	uint64_t port_guard_drops; /* packets for labeled ports dropped: socket outside every context */
};

int dsm_counters(dsm_node *node, struct dsm_counters *out);

/* Label keys (README "Label keys"): one 128-bit SipHash key per (epoch, peer SnID); only the low
 * 8 bits of an epoch travel, so two epochs held together must differ there. */
struct dsm_label_key {
	uint32_t epoch;
	uint32_t peer_snid;
	uint8_t  key[16];
};

/* Replace the whole key set: keys absent from keys are removed (after the new ones are in and the
 * send epoch is set); labels are written with send_epoch's keys (0: none, MACs left zero). */
int dsm_label_keys_replace(dsm_node *node, const struct dsm_label_key *keys, uint32_t count,
			   uint32_t send_epoch);

/* The (epoch & 0xff, peer) pairs held, key bytes zeroed; returns how many there are (may exceed
 * max: only max are written). *send_epoch: the low 8 bits of the send epoch. */
int dsm_label_keys_list(dsm_node *node, struct dsm_label_key *out, uint32_t max, uint32_t *send_epoch);

/* Describe attached programs and pins as text lines ("cgroup/connect4 id 42 pinned ..."). */
int dsm_describe(dsm_node *node, char *buf, size_t len);

/* Text of the last error of this thread (never NULL). */
const char *dsm_last_error(void);

#ifdef __cplusplus
}
#endif
#endif /* DSM_H */
