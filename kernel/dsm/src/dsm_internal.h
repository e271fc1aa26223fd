/* SPDX-License-Identifier: Apache-2.0 */
/* libdsm internals shared by libdsm.c, table.c, exec_watch.c and dsmctl. Not part of the API. */
#ifndef DSM_INTERNAL_H
#define DSM_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include "dsm.h"
#include "dsm_shared.h"

#define DSM_XATTR "trusted.dsi.scid"
#define DSM_QCAP 8192

enum dsm_map_id {
	M_CONFIG, M_ACTIVE, M_HDR, M_USTATE, M_CG, M_CTX, M_NODES, M_NADDR, M_ACCESS, M_SOCKLABEL,
	M_TRANS, M_NETRULES, M_LSL, M_SKC, M_FLOWS, M_RL, M_CNT, M_EVENTS, M_WATCH, M_IFACES, M_UCONN, M_LKEYS, M_LKSEND, M_ROUTES, M__COUNT
};
extern const char *const dsm_map_names[M__COUNT];

struct dsm_iface_rec { __u32 ifindex; __u32 created_qdisc; char name[16]; };

struct ring_buffer;
struct bpf_object;

struct dsm_node {
	struct bpf_object *obj;          /* NULL when opened from pins only */
	char cgroup_root[256];
	char pin_dir[256];
	char netns_path[128];
	char ifaces[128];
	char cg_mount[256];              /* cgroup2 mount point containing cgroup_root */
	uint32_t snid, flags, ctx_level;
	int fd[M__COUNT];
	int link_fd[16];
	int nlinks;
	struct ring_buffer *rb;
	pthread_mutex_t qlock;
	struct dsm_event *q;             /* DSM_QCAP events, ring */
	int qhead, qn;
	/* exec watcher */
	int fan_fd;
	int stop_pipe[2];
	int watcher_running;
	pthread_t watcher;
	uint64_t exec_tokens_ts;
	uint32_t exec_tokens;
};

int dsm_set_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dsm_queue_event(dsm_node *n, const struct dsm_event *ev);
uint64_t dsm_active_gen(dsm_node *n);
/* user-space access lookup (same semantics as the BPF side); returns allow bit */
int dsm_access_lookup(dsm_node *n, uint32_t slot, uint32_t s, uint32_t sn, uint32_t t, uint32_t perm,
		      uint32_t *rule, int *audit, uint64_t *version);
void dsm_ustate_add(dsm_node *n, size_t field_off, uint64_t v);

int dsm_watch_start(dsm_node *n);
void dsm_watch_stop(dsm_node *n);
int dsm_watch_mark(dsm_node *n, const char *path, int add);

/* open a node from its pins only (no program load); used by dsmctl for quick commands */
int dsm_open_pinned(const char *pin_dir, dsm_node **out);
uint64_t dsm_now_realtime_ns(void);
/* routes.c: lower (restore == 0) or put back (1) the MTU of the IPv4 routes through an interface
 * by room bytes; runs in the node's network namespace */
int dsm_routes_room(dsm_node *n, const char *ifname, int ifindex, uint32_t room, int restore, char *msg,
		    size_t msglen);
uint64_t dsm_mono_to_real(uint64_t mono);

#endif
