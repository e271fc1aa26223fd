// SPDX-License-Identifier: Apache-2.0
/*
 * libdsm: attach/adopt, contexts, binary labels, events, counters, probe, detach.
 * Table loading lives in table.c, the fanotify exec watcher in exec_watch.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>
#include <sys/fanotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dsm_internal.h"

_Static_assert(sizeof(struct dsm_event) == sizeof(struct dsm_bpf_event), "event layout");
_Static_assert(sizeof(struct dsm_event) == 216, "event size");
_Static_assert(DSM_FORGED_SEALED == DSM_FORGED_R_SEALED && DSM_FORGED_FORMAT == DSM_FORGED_R_FORMAT, "forged reasons");

const char *const dsm_map_names[M__COUNT] = {
	"dsm_config", "dsm_active", "dsm_hdr", "dsm_ustate", "dsm_cg", "dsm_ctx", "dsm_nodes",
	"dsm_naddr", "dsm_access", "dsm_socklabel", "dsm_trans", "dsm_netrules", "dsm_lsl", "dsm_skc", "dsm_flows",
	"dsm_rl", "dsm_cnt", "dsm_events", "dsm_watch", "dsm_ifaces", "dsm_uconn",
	"dsm_lkeys", "dsm_lksend", "dsm_routes",
};

/* not in libbpf 1.1's headers; the kernel's value since 6.7 */
#define DSM_BPF_CGROUP_UNIX_CONNECT ((enum bpf_attach_type)49)

/* cgroup programs: ELF program name, attach type */
static const struct { const char *prog; enum bpf_attach_type type; const char *what; } cg_progs[] = {
	{ "dsi_sock_create", BPF_CGROUP_INET_SOCK_CREATE, "cgroup/sock_create" },
	{ "dsi_bind4", BPF_CGROUP_INET4_BIND, "cgroup/bind4" },
	{ "dsi_bind6", BPF_CGROUP_INET6_BIND, "cgroup/bind6" },
	{ "dsi_connect4", BPF_CGROUP_INET4_CONNECT, "cgroup/connect4" },
	{ "dsi_connect6", BPF_CGROUP_INET6_CONNECT, "cgroup/connect6" },
	{ "dsi_sendmsg4", BPF_CGROUP_UDP4_SENDMSG, "cgroup/sendmsg4" },
	{ "dsi_sendmsg6", BPF_CGROUP_UDP6_SENDMSG, "cgroup/sendmsg6" },
	{ "dsi_ingress", BPF_CGROUP_INET_INGRESS, "cgroup_skb/ingress" },
	/* last: optional, skipped on kernels older than 6.7 (see unix_connect_supported) */
	{ "dsi_connect_unix", DSM_BPF_CGROUP_UNIX_CONNECT, "cgroup/connect_unix" },
};
#define N_CG_PROGS (int)(sizeof(cg_progs) / sizeof(cg_progs[0]))
#define TC_HANDLE 0xd51
#define TC_PRIO   0xd51

/* ------------------------------------------------------------------ errors */

static __thread char err_buf[1024];
static __thread char libbpf_last[512];

const char *dsm_last_error(void)
{
	return err_buf;
}

int dsm_set_err(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err_buf, sizeof(err_buf), fmt, ap);
	va_end(ap);
	if (err > 0)
		err = -err;
	return err ? err : -EINVAL;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !getenv("DSM_DEBUG"))
		return 0;
	if (level != LIBBPF_DEBUG) {
		va_list ap2;
		va_copy(ap2, ap);
		vsnprintf(libbpf_last, sizeof(libbpf_last), fmt, ap2);
		va_end(ap2);
		size_t l = strlen(libbpf_last);
		while (l && libbpf_last[l - 1] == '\n')
			libbpf_last[--l] = 0;
	}
	if (getenv("DSM_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static void init_libbpf(void)
{
	static int done;
	if (!done) {
		libbpf_set_print(libbpf_print);
		done = 1;
	}
}

/* ------------------------------------------------------------------ helpers */

uint64_t dsm_now_realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t dsm_mono_to_real(uint64_t mono)
{
	struct timespec r, m;
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	int64_t off = ((int64_t)r.tv_sec - m.tv_sec) * 1000000000ll + (r.tv_nsec - m.tv_nsec);
	return mono + off;
}

/* cgroup/connect_unix exists since Linux 6.7 */
static int unix_connect_supported(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 0;
	return major > 6 || (major == 6 && minor >= 7);
}

/* *parents: how many directories above path it created (a detach removes them again) */
static int mkdir_p(const char *path, mode_t mode, uint32_t *parents)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", path);
	*parents = 0;
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			if (!mkdir(tmp, mode))
				(*parents)++;
			else if (errno != EEXIST)
				return -errno;
			*p = '/';
		}
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static int is_bpffs(const char *path)
{
	struct statfs st;
	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

/* Find the cgroup2 mount point that contains path (longest matching mount point). */
static int find_cgroup2_mount(const char *path, char *mnt, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	size_t best = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char mp[PATH_MAX];
		char *sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		size_t l = strlen(mp);
		if (!strncmp(path, mp, l) && (path[l] == '/' || path[l] == 0 || l == 1) && l > best) {
			best = l;
			snprintf(mnt, len, "%s", mp);
		}
	}
	fclose(f);
	return best ? 0 : -ENOENT;
}

static int count_depth(const char *rel)
{
	int d = 0;
	for (const char *p = rel; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			d++;
	return d;
}

uint64_t dsm_active_gen(dsm_node *n)
{
	uint32_t z = 0;
	uint64_t g = 0;
	bpf_map_lookup_elem(n->fd[M_ACTIVE], &z, &g);
	return g;
}

void dsm_ustate_add(dsm_node *n, size_t off, uint64_t v)
{
	uint32_t z = 0;
	struct dsm_ustate u;
	if (bpf_map_lookup_elem(n->fd[M_USTATE], &z, &u))
		return;
	*(uint64_t *)((char *)&u + off) += v;
	bpf_map_update_elem(n->fd[M_USTATE], &z, &u, BPF_ANY);
}

int dsm_access_lookup(dsm_node *n, uint32_t slot, uint32_t s, uint32_t sn, uint32_t t, uint32_t perm,
		      uint32_t *rule, int *audit, uint64_t *version)
{
	struct dsm_acc_key k = { slot, s, sn, t };
	struct dsm_acc_val v;
	struct dsm_hdr h = { 0 };
	struct dsm_ctx_key ck = { slot, s };
	uint32_t f1 = 0, f2 = 0;
	int allow;

	bpf_map_lookup_elem(n->fd[M_HDR], &slot, &h);
	if (!bpf_map_lookup_elem(n->fd[M_ACCESS], &k, &v) ||
	    (k.src_snid = DSM_ANY, !bpf_map_lookup_elem(n->fd[M_ACCESS], &k, &v))) {
		allow = (v.mask >> perm) & 1;
		*rule = v.rules[perm & 7];
	} else {
		allow = (h.default_mask >> perm) & 1;
		*rule = 0;
	}
	bpf_map_lookup_elem(n->fd[M_CTX], &ck, &f1);
	ck.scid = t;
	bpf_map_lookup_elem(n->fd[M_CTX], &ck, &f2);
	*audit = (f1 | f2) & 1;
	*version = h.version;
	return allow;
}

/* ------------------------------------------------------------------ probe */

static int try_prog(enum bpf_prog_type type, char *why, size_t len, const char *what)
{
	struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 1 }, /* r0 = 1 */
		{ .code = 0x95 },                          /* exit */
	};
	DECLARE_LIBBPF_OPTS(bpf_prog_load_opts, po);
	if (type == BPF_PROG_TYPE_CGROUP_SOCK_ADDR)
		po.expected_attach_type = BPF_CGROUP_INET4_CONNECT;
	int fd = bpf_prog_load(type, "dsm_probe", "GPL", insns, 2, &po);
	if (fd < 0) {
		size_t l = strlen(why);
		snprintf(why + l, len - l, "%s: bpf_prog_load: %s; ", what, strerror(errno));
		return 0;
	}
	close(fd);
	return 1;
}

uint32_t dsm_probe(char *why, size_t why_len)
{
	uint32_t caps = 0;
	char tmp[2048] = "";
	char mnt[PATH_MAX];
	size_t l;

	init_libbpf();
	if (geteuid() == 0)
		caps |= DSM_CAP_ROOT;
	else
		snprintf(tmp + strlen(tmp), sizeof(tmp) - strlen(tmp),
			 "not root (euid %u): BPF, cgroups, fanotify and trusted xattrs need root; ", geteuid());
	if (find_cgroup2_mount("/sys/fs/cgroup/unified/x", mnt, sizeof(mnt)) == 0 ||
	    find_cgroup2_mount("/sys/fs/cgroup/x", mnt, sizeof(mnt)) == 0)
		caps |= DSM_CAP_CGROUP2;
	else {
		FILE *f = fopen("/proc/self/mountinfo", "r");
		char line[4096];
		int found = 0;
		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, " - cgroup2 "))
				found = 1;
		if (f)
			fclose(f);
		if (found)
			caps |= DSM_CAP_CGROUP2;
		else
			snprintf(tmp + strlen(tmp), sizeof(tmp) - strlen(tmp), "no cgroup2 mount in /proc/self/mountinfo; ");
	}
	if (is_bpffs("/sys/fs/bpf"))
		caps |= DSM_CAP_BPFFS;
	else
		snprintf(tmp + strlen(tmp), sizeof(tmp) - strlen(tmp),
			 "no bpffs mounted at /sys/fs/bpf (mount -t bpf bpf /sys/fs/bpf); ");
	if (try_prog(BPF_PROG_TYPE_CGROUP_SKB, tmp, sizeof(tmp), "cgroup_skb program") &&
	    try_prog(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, tmp, sizeof(tmp), "cgroup sock_addr program"))
		caps |= DSM_CAP_CGROUP_BPF;
	if (try_prog(BPF_PROG_TYPE_SCHED_CLS, tmp, sizeof(tmp), "tc (sched_cls) program"))
		caps |= DSM_CAP_TC_BPF;
	{
		int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "dsm_probe", 0, 0, 4096, NULL);
		if (fd >= 0) {
			caps |= DSM_CAP_RINGBUF;
			close(fd);
		} else
			snprintf(tmp + strlen(tmp), sizeof(tmp) - strlen(tmp),
				 "ring buffer map: bpf_map_create: %s; ", strerror(errno));
	}
	{
		int fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY);
		if (fd >= 0) {
			/* permission events need CONFIG_FANOTIFY_ACCESS_PERMISSIONS */
			if (fanotify_mark(fd, FAN_MARK_ADD, FAN_OPEN_EXEC_PERM, AT_FDCWD, "/proc/self/exe") == 0)
				caps |= DSM_CAP_FANOTIFY;
			else
				snprintf(tmp + strlen(tmp), sizeof(tmp) - strlen(tmp),
					 "fanotify FAN_OPEN_EXEC_PERM mark: %s; ", strerror(errno));
			close(fd);
		} else
			snprintf(tmp + strlen(tmp), sizeof(tmp) - strlen(tmp),
				 "fanotify_init(FAN_CLASS_CONTENT): %s; ", strerror(errno));
	}
	{
		char v[8];
		if (getxattr("/proc/self/exe", DSM_XATTR, v, sizeof(v)) >= 0 || errno == ENODATA)
			caps |= DSM_CAP_XATTR;
		else if (lgetxattr("/", DSM_XATTR, v, sizeof(v)) >= 0 || errno == ENODATA)
			caps |= DSM_CAP_XATTR;
		else
			snprintf(tmp + strlen(tmp), sizeof(tmp) - strlen(tmp), "trusted xattrs: %s; ", strerror(errno));
	}
	l = strlen(tmp);
	if (l >= 2)
		tmp[l - 2] = 0;
	if (why && why_len) {
		snprintf(why, why_len, "%s", caps == 0xff ? "all facilities available" : tmp);
	}
	return caps;
}

/* ------------------------------------------------------------------ events */

void dsm_queue_event(dsm_node *n, const struct dsm_event *ev)
{
	pthread_mutex_lock(&n->qlock);
	if (n->qn < DSM_QCAP) {
		n->q[(n->qhead + n->qn) % DSM_QCAP] = *ev;
		n->qn++;
	} else {
		/* queue full: count as lost in user-space state */
		pthread_mutex_unlock(&n->qlock);
		dsm_ustate_add(n, offsetof(struct dsm_ustate, exec_events_suppressed), 1);
		return;
	}
	pthread_mutex_unlock(&n->qlock);
}

static int rb_cb(void *ctx, void *data, size_t size)
{
	dsm_node *n = ctx;
	struct dsm_event ev;
	if (size < sizeof(ev))
		return 0;
	memcpy(&ev, data, sizeof(ev));
	ev.time_ns = dsm_mono_to_real(ev.time_ns);
	dsm_queue_event(n, &ev);
	return 0;
}

static int drain(dsm_node *n, struct dsm_event *out, int max)
{
	int c = 0;
	pthread_mutex_lock(&n->qlock);
	while (c < max && n->qn > 0) {
		out[c++] = n->q[n->qhead];
		n->qhead = (n->qhead + 1) % DSM_QCAP;
		n->qn--;
	}
	pthread_mutex_unlock(&n->qlock);
	return c;
}

int dsm_poll_events(dsm_node *n, struct dsm_event *out, int max, int timeout_ms)
{
	struct timespec t0, t;
	int c;

	if (!n || !out || max <= 0)
		return dsm_set_err(EINVAL, "dsm_poll_events: bad arguments");
	if (n->rb)
		ring_buffer__consume(n->rb);
	c = drain(n, out, max);
	if (c || timeout_ms <= 0)
		return c;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		long el;
		int slice;
		clock_gettime(CLOCK_MONOTONIC, &t);
		el = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (el >= timeout_ms)
			break;
		slice = timeout_ms - el;
		if (slice > 50)
			slice = 50;
		if (n->rb)
			ring_buffer__poll(n->rb, slice);
		else
			usleep(slice * 1000);
		c = drain(n, out, max);
		if (c)
			return c;
	}
	return drain(n, out, max);
}

/* ------------------------------------------------------------------ counters */

int dsm_counters(dsm_node *n, struct dsm_counters *out)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum[DSM_C_MAX] = { 0 };
	uint64_t *vals;
	uint32_t z = 0;
	struct dsm_ustate u = { 0 };
	struct dsm_hdr h = { 0 };
	uint32_t slot;

	if (!n || !out)
		return dsm_set_err(EINVAL, "dsm_counters: bad arguments");
	if (ncpu <= 0)
		return dsm_set_err(ncpu, "libbpf_num_possible_cpus failed");
	vals = calloc(ncpu, sizeof(uint64_t));
	if (!vals)
		return dsm_set_err(ENOMEM, "out of memory");
	for (uint32_t i = 0; i < DSM_C_MAX; i++) {
		if (bpf_map_lookup_elem(n->fd[M_CNT], &i, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			sum[i] += vals[c];
	}
	free(vals);
	bpf_map_lookup_elem(n->fd[M_USTATE], &z, &u);
	slot = dsm_active_gen(n) & 1;
	bpf_map_lookup_elem(n->fd[M_HDR], &slot, &h);
	memset(out, 0, sizeof(*out));
	out->policy_version = h.loaded ? h.version : 0;
	out->packets_labeled = sum[DSM_C_LABELED];
	out->packets_allowed = sum[DSM_C_ALLOWED];
	out->packets_denied = sum[DSM_C_DENIED];
	out->packets_audit_only = sum[DSM_C_AUDIT];
	out->forged_labels = sum[DSM_C_FORGED];
	out->local_denied = sum[DSM_C_LOCAL_DENIED];
	out->execs_transitioned = u.execs_transitioned;
	out->execs_denied = u.execs_denied;
	out->events_suppressed = sum[DSM_C_SUPPRESSED] + u.exec_events_suppressed;
	out->events_lost = sum[DSM_C_LOST];
	out->table_swaps = u.table_swaps;
	out->labels_bad_mac = sum[DSM_C_BAD_MAC];
	out->labels_no_key = sum[DSM_C_NO_KEY];
	out->sealed_drops = sum[DSM_C_SEALED];
	out->label_failed = sum[DSM_C_LABEL_FAIL];
	out->label_too_big = sum[DSM_C_TOO_BIG];
	out->execs_killed = u.execs_killed;
	out->execs_dumpable = u.execs_dumpable;
	out->port_guard_drops = sum[DSM_C_PORT_GUARD];
	return 0;
}

/* ------------------------------------------------------------------ label keys */

int dsm_label_keys_replace(dsm_node *n, const struct dsm_label_key *keys, uint32_t count, uint32_t send_epoch)
{
	struct dsm_lk_key k, next;
	struct dsm_lk_key *stale;
	uint32_t z = 0, nstale = 0, send8 = send_epoch & 0xff, have_send = 0;

	if (!n || (count && !keys))
		return dsm_set_err(EINVAL, "dsm_label_keys_replace: bad arguments");
	if (n->fd[M_LKEYS] < 0 || n->fd[M_LKSEND] < 0)
		return dsm_set_err(EOPNOTSUPP, "the pinned DSM predates label keys: detach and attach again");
	if (count > 2 * 4096)
		return dsm_set_err(E2BIG, "dsm_label_keys_replace: %u keys, at most 8192", count);
	for (uint32_t i = 0; i < count; i++) {
		if (!(keys[i].epoch & 0xff))
			return dsm_set_err(EINVAL, "label key %u: epoch %u has low 8 bits 0 (0 means no key)",
					   i, keys[i].epoch);
		if (!keys[i].peer_snid || keys[i].peer_snid > DSM_MAX_SNID)
			return dsm_set_err(EINVAL, "label key %u: peer SnID %u out of range", i, keys[i].peer_snid);
		for (uint32_t j = 0; j < i; j++)
			if ((keys[j].epoch & 0xff) == (keys[i].epoch & 0xff) && keys[j].peer_snid == keys[i].peer_snid &&
			    keys[j].epoch != keys[i].epoch)
				return dsm_set_err(EINVAL, "label keys: epochs %u and %u share their low 8 bits",
						   keys[j].epoch, keys[i].epoch);
		if ((keys[i].epoch & 0xff) == send8)
			have_send = 1;
	}
	if (send8 && !have_send)
		return dsm_set_err(EINVAL, "label keys: no key of the send epoch %u", send_epoch);
	/* new keys first, then the send epoch, then the stale keys go: a packet in flight meets
	 * either the old set or a superset of the new one */
	for (uint32_t i = 0; i < count; i++) {
		struct dsm_lk_key lk = { .epoch = keys[i].epoch & 0xff, .snid = keys[i].peer_snid };
		struct dsm_lk_val v;
		memcpy(&v.k0, keys[i].key, 8);   /* SipHash reads its key as two little-endian words */
		memcpy(&v.k1, keys[i].key + 8, 8);
		if (bpf_map_update_elem(n->fd[M_LKEYS], &lk, &v, BPF_ANY)) {
			int e = errno;
			memset(&v, 0, sizeof(v));
			return dsm_set_err(e, "write label key (epoch %u, peer %u): %s", keys[i].epoch,
					   keys[i].peer_snid, strerror(e));
		}
		memset(&v, 0, sizeof(v));
	}
	if (bpf_map_update_elem(n->fd[M_LKSEND], &z, &send8, BPF_ANY))
		return dsm_set_err(errno, "write label send epoch: %s", strerror(errno));
	stale = calloc(2 * 4096, sizeof(*stale));
	if (!stale)
		return dsm_set_err(ENOMEM, "out of memory");
	for (int more = !bpf_map_get_next_key(n->fd[M_LKEYS], NULL, &k); more;
	     more = !bpf_map_get_next_key(n->fd[M_LKEYS], &k, &next) && (k = next, 1)) {
		int keep = 0;
		for (uint32_t i = 0; i < count && !keep; i++)
			keep = (keys[i].epoch & 0xff) == k.epoch && keys[i].peer_snid == k.snid;
		if (!keep && nstale < 2 * 4096)
			stale[nstale++] = k;
	}
	for (uint32_t i = 0; i < nstale; i++)
		bpf_map_delete_elem(n->fd[M_LKEYS], &stale[i]);
	free(stale);
	return (int)count;
}

int dsm_label_keys_list(dsm_node *n, struct dsm_label_key *out, uint32_t max, uint32_t *send_epoch)
{
	struct dsm_lk_key k, next;
	uint32_t z = 0, send8 = 0, c = 0;

	if (!n || (max && !out))
		return dsm_set_err(EINVAL, "dsm_label_keys_list: bad arguments");
	if (n->fd[M_LKEYS] < 0 || n->fd[M_LKSEND] < 0)
		return dsm_set_err(EOPNOTSUPP, "the pinned DSM predates label keys: detach and attach again");
	bpf_map_lookup_elem(n->fd[M_LKSEND], &z, &send8);
	if (send_epoch)
		*send_epoch = send8;
	for (int more = !bpf_map_get_next_key(n->fd[M_LKEYS], NULL, &k); more;
	     more = !bpf_map_get_next_key(n->fd[M_LKEYS], &k, &next) && (k = next, 1)) {
		if (c < max) {
			memset(&out[c], 0, sizeof(out[c]));   /* key bytes never leave the kernel */
			out[c].epoch = k.epoch;
			out[c].peer_snid = k.snid;
		}
		c++;
	}
	return (int)c;
}

/* internal counters not in struct dsm_counters (dsmctl prints them) */
int dsm_internal_counter(dsm_node *n, int idx, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[1024];
	uint32_t i = idx;
	*out = 0;
	if (ncpu > 1024 || bpf_map_lookup_elem(n->fd[M_CNT], &i, vals))
		return -1;
	for (int c = 0; c < ncpu; c++)
		*out += vals[c];
	return 0;
}

/* ------------------------------------------------------------------ contexts */

static int ctx_path(dsm_node *n, uint32_t scid, char *buf, size_t len)
{
	return snprintf(buf, len, "%s/scid-%u", n->cgroup_root, scid) >= (int)len ? -ENAMETOOLONG : 0;
}

int dsm_context_create(dsm_node *n, uint32_t scid)
{
	char p[PATH_MAX];
	struct stat st;
	uint64_t id;

	if (!n || scid == 0 || scid == DSM_ANY)
		return dsm_set_err(EINVAL, "context_create: invalid ScID %u", scid);
	ctx_path(n, scid, p, sizeof(p));
	if (mkdir(p, 0755) && errno != EEXIST)
		return dsm_set_err(errno, "mkdir %s: %s", p, strerror(errno));
	if (stat(p, &st))
		return dsm_set_err(errno, "stat %s: %s", p, strerror(errno));
	id = st.st_ino; /* cgroup2: inode number == cgroup id */
	if (bpf_map_update_elem(n->fd[M_CG], &id, &scid, BPF_ANY))
		return dsm_set_err(errno, "update dsm_cg: %s", strerror(errno));
	return 0;
}

/* the exec gate (exec_watch.c) of a context directory; it is busy while an exec is inspected */
static void rmdir_gate(const char *ctx_dir)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof(p), "%s/exec-gate", ctx_dir) < (int)sizeof(p))
		rmdir(p);
}

int dsm_context_remove(dsm_node *n, uint32_t scid)
{
	char p[PATH_MAX];
	struct stat st;
	uint64_t id;

	if (!n || scid == 0)
		return dsm_set_err(EINVAL, "context_remove: invalid ScID");
	ctx_path(n, scid, p, sizeof(p));
	if (stat(p, &st))
		return errno == ENOENT ? 0 : dsm_set_err(errno, "stat %s: %s", p, strerror(errno));
	id = st.st_ino;
	rmdir_gate(p);
	if (rmdir(p))
		return dsm_set_err(errno, "rmdir %s: %s", p, strerror(errno));
	bpf_map_delete_elem(n->fd[M_CG], &id);
	return 0;
}

int dsm_move_pid(dsm_node *n, int32_t pid, uint32_t scid)
{
	char p[PATH_MAX], b[32];
	int fd, r, len;

	if (!n || pid <= 0 || scid == 0 || scid == DSM_ANY)
		return dsm_set_err(EINVAL, "move_pid: bad arguments");
	ctx_path(n, scid, p, sizeof(p));
	strcat(p, "/cgroup.procs");
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* context cgroup missing: create (and register) it, then retry */
		r = dsm_context_create(n, scid);
		if (r)
			return r;
		fd = open(p, O_WRONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return dsm_set_err(errno, "open %s: %s", p, strerror(errno));
	len = snprintf(b, sizeof(b), "%d\n", pid);
	r = write(fd, b, len);
	if (r != len) {
		int e = errno;
		close(fd);
		return dsm_set_err(e, "move pid %d to %s: %s", pid, p, strerror(e));
	}
	close(fd);
	return 0;
}

int dsm_pid_context(dsm_node *n, int32_t pid, uint32_t *scid)
{
	char p[64], line[4096], full[PATH_MAX + 512];
	FILE *f;
	size_t rl;

	if (!n || !scid)
		return dsm_set_err(EINVAL, "pid_context: bad arguments");
	*scid = 0;
	snprintf(p, sizeof(p), "/proc/%d/cgroup", pid);
	f = fopen(p, "r");
	if (!f)
		return dsm_set_err(errno, "open %s: %s", p, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(full, sizeof(full), "%s%s", strcmp(n->cg_mount, "/") ? n->cg_mount : "", line + 3);
		rl = strlen(n->cgroup_root);
		if (!strncmp(full, n->cgroup_root, rl) && !strncmp(full + rl, "/scid-", 6)) {
			char *end;
			unsigned long v = strtoul(full + rl + 6, &end, 10);
			if (end != full + rl + 6 && (*end == 0 || *end == '/'))
				*scid = v;
		}
	}
	fclose(f);
	return 0;
}

/* One sock_diag request for the AF_UNIX socket with inode ino; fills its cookie and, when
 * peer is not NULL, its peer's inode. */
static int unix_diag(int nl, uint32_t ino, uint64_t *cookie, uint32_t *peer)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req r;
	} req = {
		.nlh = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY, .nlmsg_flags = NLM_F_REQUEST },
		.r = { .sdiag_family = AF_UNIX, .udiag_states = ~0u, .udiag_ino = ino,
		       .udiag_show = peer ? UDIAG_SHOW_PEER : 0,
		       .udiag_cookie = { ~0u, ~0u } }, /* no cookie check */
	};
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct unix_diag_msg *m;
	ssize_t len;

	if (send(nl, &req, sizeof(req), 0) != (ssize_t)sizeof(req))
		return -errno;
	len = recv(nl, buf, sizeof(buf), 0);
	if (len < 0)
		return -errno;
	if (!NLMSG_OK(h, (size_t)len))
		return -EPROTO;
	if (h->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(h);
		return e->error ? e->error : -ENOENT;
	}
	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return -EPROTO;
	m = NLMSG_DATA(h);
	if (m->udiag_ino != ino)
		return -ENOENT;
	*cookie = m->udiag_cookie[0] | (uint64_t)m->udiag_cookie[1] << 32;
	if (peer) {
		struct rtattr *a = (struct rtattr *)(m + 1);
		int alen = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
		*peer = 0;
		for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen))
			if (a->rta_type == UNIX_DIAG_PEER && RTA_PAYLOAD(a) >= sizeof(uint32_t))
				*peer = *(uint32_t *)RTA_DATA(a);
		if (!*peer)
			return -ENOTCONN;
	}
	return 0;
}

int dsm_unix_peer_context(dsm_node *n, int fd, uint32_t *scid, int32_t *pid)
{
	struct stat st;
	struct dsm_uconn u;
	uint64_t own, cookie;
	uint32_t peer;
	int nl, r;

	if (!n || !scid || !pid)
		return dsm_set_err(EINVAL, "unix_peer_context: bad arguments");
	if (n->fd[M_UCONN] < 0 || !unix_connect_supported())
		return dsm_set_err(EOPNOTSUPP, "the kernel records no AF_UNIX connect contexts"
				   " (cgroup/connect_unix needs Linux 6.7)");
	if (fstat(fd, &st) || !S_ISSOCK(st.st_mode))
		return dsm_set_err(ENOTSOCK, "unix_peer_context: fd %d is not a socket", fd);
	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return dsm_set_err(errno, "netlink sock_diag: %s", strerror(errno));
	r = unix_diag(nl, (uint32_t)st.st_ino, &own, &peer);
	if (!r)
		r = unix_diag(nl, peer, &cookie, NULL);
	close(nl);
	if (r)
		return dsm_set_err(-r, "sock_diag of the peer of socket inode %lu: %s", (unsigned long)st.st_ino,
				   strerror(-r));
	if (bpf_map_lookup_elem(n->fd[M_UCONN], &cookie, &u)) {
		*scid = 0;
		*pid = 0;
		return -ENOENT; /* connected from outside every context (or the record was evicted) */
	}
	*scid = u.scid;
	*pid = (int32_t)u.tgid;
	return 0;
}

/* ------------------------------------------------------------------ labels */

int dsm_read_label(const char *path, uint32_t *scid)
{
	uint8_t b[4];
	ssize_t r = getxattr(path, DSM_XATTR, b, sizeof(b));
	if (r < 0)
		return errno == ENODATA ? dsm_set_err(ENODATA, "%s: no %s label", path, DSM_XATTR)
				      : dsm_set_err(errno, "getxattr %s: %s", path, strerror(errno));
	if (r != 4)
		return dsm_set_err(EINVAL, "%s: label has %zd bytes, expected 4", path, r);
	*scid = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
	return 0;
}

int dsm_label_binary(dsm_node *n, const char *path, uint32_t scid)
{
	uint8_t b[4] = { scid & 0xff, (scid >> 8) & 0xff, (scid >> 16) & 0xff, scid >> 24 };

	if (!path)
		return dsm_set_err(EINVAL, "label_binary: no path");
	if (scid == 0) {
		if (removexattr(path, DSM_XATTR) && errno != ENODATA)
			return dsm_set_err(errno, "removexattr %s: %s", path, strerror(errno));
		if (n)
			dsm_watch_mark(n, path, 0);
		return 0;
	}
	if (scid == DSM_ANY)
		return dsm_set_err(EINVAL, "label_binary: ANY is not a ScID");
	if (setxattr(path, DSM_XATTR, b, 4, 0))
		return dsm_set_err(errno, "setxattr %s %s: %s", path, DSM_XATTR, strerror(errno));
	if (n)
		return dsm_watch_binary(n, path);
	return 0;
}

int dsm_watch_binary(dsm_node *n, const char *path)
{
	if (!n || !path)
		return dsm_set_err(EINVAL, "watch_binary: bad arguments");
	return dsm_watch_mark(n, path, 1);
}

/* ------------------------------------------------------------------ netns + tc */

struct tc_job {
	dsm_node *n;
	int detach;          /* 0 attach ifaces, 1 detach everything recorded */
	int prog_fd;         /* dsi_egress */
	int guard_fd;        /* dsi_port_guard (tc ingress) */
	int err;
	char msg[512];
};

static void tc_job_run(struct tc_job *j)
{
	dsm_node *n = j->n;
	struct dsm_iface_rec recs[16];
	char list[128];
	char *save = NULL, *tok;

	memset(recs, 0, sizeof(recs));
	for (uint32_t i = 0; i < 16; i++)
		bpf_map_lookup_elem(n->fd[M_IFACES], &i, &recs[i]);

	if (n->netns_path[0]) {
		int nfd = open(n->netns_path, O_RDONLY | O_CLOEXEC);
		if (nfd < 0 || setns(nfd, CLONE_NEWNET)) {
			j->err = -errno;
			snprintf(j->msg, sizeof(j->msg), "enter netns %s: %s", n->netns_path, strerror(errno));
			if (nfd >= 0)
				close(nfd);
			return;
		}
		close(nfd);
	}

	/* detach what is recorded but no longer wanted (or everything on detach) */
	for (int i = 0; i < 16; i++) {
		int keep = 0;
		if (!recs[i].ifindex)
			continue;
		if (!j->detach) {
			snprintf(list, sizeof(list), "%s", n->ifaces);
			for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
				if (!strcmp(tok, recs[i].name))
					keep = 1;
		}
		if (keep)
			continue;
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = recs[i].ifindex, .attach_point = BPF_TC_EGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, o, .handle = TC_HANDLE, .priority = TC_PRIO);
		bpf_tc_detach(&hook, &o);
		hook.attach_point = BPF_TC_INGRESS;
		bpf_tc_detach(&hook, &o);
		hook.attach_point = BPF_TC_EGRESS;
		{   /* best effort: a route that changed since is left as it is */
			char rmsg[256];
			dsm_routes_room(n, recs[i].name, recs[i].ifindex, 0, 1, rmsg, sizeof(rmsg));
		}
		if (recs[i].created_qdisc) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
		memset(&recs[i], 0, sizeof(recs[i]));
		uint32_t k = i;
		bpf_map_update_elem(n->fd[M_IFACES], &k, &recs[i], BPF_ANY);
	}
	if (j->detach)
		return;

	snprintf(list, sizeof(list), "%s", n->ifaces);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int ifindex = if_nametoindex(tok), slot = -1, r;
		uint32_t k;
		if (!ifindex) {
			j->err = -ENODEV;
			snprintf(j->msg, sizeof(j->msg), "interface %s not found%s%s", tok,
				 n->netns_path[0] ? " in " : "", n->netns_path);
			return;
		}
		for (int i = 0; i < 16; i++)
			if (recs[i].ifindex && !strcmp(recs[i].name, tok))
				slot = i;
		if (slot < 0)
			for (int i = 0; i < 16 && slot < 0; i++)
				if (!recs[i].ifindex)
					slot = i;
		if (slot < 0) {
			j->err = -E2BIG;
			snprintf(j->msg, sizeof(j->msg), "more than 16 interfaces");
			return;
		}
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
		r = bpf_tc_hook_create(&hook);
		if (r && r != -EEXIST) {
			j->err = r;
			snprintf(j->msg, sizeof(j->msg), "create clsact qdisc on %s: %s", tok, strerror(-r));
			return;
		}
		if (!recs[slot].ifindex || recs[slot].ifindex != (uint32_t)ifindex)
			recs[slot].created_qdisc = (r == 0);
		else if (r == 0)
			recs[slot].created_qdisc = 1;
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, o, .handle = TC_HANDLE, .priority = TC_PRIO,
				    .prog_fd = j->prog_fd, .flags = BPF_TC_F_REPLACE);
		r = bpf_tc_attach(&hook, &o);
		if (r) {
			j->err = r;
			snprintf(j->msg, sizeof(j->msg), "attach tc egress on %s: %s", tok, strerror(-r));
			return;
		}
		hook.attach_point = BPF_TC_INGRESS;
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, gi, .handle = TC_HANDLE, .priority = TC_PRIO,
				    .prog_fd = j->guard_fd, .flags = BPF_TC_F_REPLACE);
		r = bpf_tc_attach(&hook, &gi);
		if (r) {
			j->err = r;
			snprintf(j->msg, sizeof(j->msg), "attach tc ingress (port guard) on %s: %s", tok, strerror(-r));
			return;
		}
		r = dsm_routes_room(n, tok, ifindex, (n->flags & DSM_F_LEGACY_LABELS) ? DSM_OPT_LEN : DSM_OPT_LEN_V2, 0,
				    j->msg, sizeof(j->msg));
		if (r) {
			j->err = r;
			return;
		}
		recs[slot].ifindex = ifindex;
		snprintf(recs[slot].name, sizeof(recs[slot].name), "%s", tok);
		k = slot;
		bpf_map_update_elem(n->fd[M_IFACES], &k, &recs[slot], BPF_ANY);
	}
}

static void *tc_thread(void *arg)
{
	tc_job_run(arg);
	return NULL;
}

static int run_tc_job(struct tc_job *j)
{
	pthread_t t;
	/* a dedicated thread, so that setns() never changes the caller's namespace */
	if (pthread_create(&t, NULL, tc_thread, j))
		return dsm_set_err(EAGAIN, "pthread_create failed");
	pthread_join(t, NULL);
	if (j->err)
		return dsm_set_err(j->err, "%s", j->msg);
	return 0;
}

/* ------------------------------------------------------------------ attach */

static dsm_node *node_new(void)
{
	dsm_node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->q = calloc(DSM_QCAP, sizeof(struct dsm_event));
	if (!n->q) {
		free(n);
		return NULL;
	}
	for (int i = 0; i < M__COUNT; i++)
		n->fd[i] = -1;
	n->fan_fd = -1;
	n->stop_pipe[0] = n->stop_pipe[1] = -1;
	pthread_mutex_init(&n->qlock, NULL);
	return n;
}

static int setup_rb(dsm_node *n)
{
	n->rb = ring_buffer__new(n->fd[M_EVENTS], rb_cb, n, NULL);
	if (!n->rb)
		return dsm_set_err(errno, "ring_buffer__new: %s", strerror(errno));
	return 0;
}

/* rebuild dsm_cg from the scid-N directories (cgroup ids change when a cgroup is recreated) */
static void rescan_contexts(dsm_node *n)
{
	DIR *d = opendir(n->cgroup_root);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end;
		unsigned long v;
		if (strncmp(e->d_name, "scid-", 5))
			continue;
		v = strtoul(e->d_name + 5, &end, 10);
		if (*end || !v || v >= DSM_ANY)
			continue;
		dsm_context_create(n, v);
	}
	closedir(d);
}

int dsm_attach(const struct dsm_attach_opts *o, dsm_node **out)
{
	dsm_node *n;
	char rel[PATH_MAX], path[PATH_MAX];
	struct dsm_config cfg, old;
	uint32_t z = 0, cg_parents = 0, pin_parents = 0;
	int r, cgfd = -1;

	init_libbpf();
	if (!o || !out)
		return dsm_set_err(EINVAL, "dsm_attach: no options");
	*out = NULL;
	if (o->snid == 0 || o->snid > DSM_MAX_SNID)
		return dsm_set_err(EINVAL, "dsm_attach: SnID %u out of range 1..%u (labels carry 16 bits)",
				   o->snid, DSM_MAX_SNID);
	if (!o->cgroup_root || o->cgroup_root[0] != '/' || strlen(o->cgroup_root) >= 255)
		return dsm_set_err(EINVAL, "dsm_attach: cgroup_root must be an absolute path < 255 chars");
	if (!o->pin_dir || o->pin_dir[0] != '/' || strlen(o->pin_dir) >= 200)
		return dsm_set_err(EINVAL, "dsm_attach: pin_dir must be an absolute path < 200 chars");
	if (!o->bpf_object || access(o->bpf_object, R_OK))
		return dsm_set_err(ENOENT, "dsm_attach: BPF object %s not readable",
				   o->bpf_object ? o->bpf_object : "(null)");
	if (o->ifaces && strlen(o->ifaces) >= 128)
		return dsm_set_err(EINVAL, "dsm_attach: ifaces too long");
	if (o->netns_path && strlen(o->netns_path) >= 128)
		return dsm_set_err(EINVAL, "dsm_attach: netns_path too long");
	if (geteuid() != 0)
		return dsm_set_err(EPERM, "dsm_attach: not root (euid %u)", geteuid());

	n = node_new();
	if (!n)
		return dsm_set_err(ENOMEM, "out of memory");
	snprintf(n->cgroup_root, sizeof(n->cgroup_root), "%s", o->cgroup_root);
	{ size_t l = strlen(n->cgroup_root); while (l > 1 && n->cgroup_root[l - 1] == '/') n->cgroup_root[--l] = 0; }
	snprintf(n->pin_dir, sizeof(n->pin_dir), "%s", o->pin_dir);
	snprintf(n->netns_path, sizeof(n->netns_path), "%s", o->netns_path ? o->netns_path : "");
	snprintf(n->ifaces, sizeof(n->ifaces), "%s", o->ifaces ? o->ifaces : "");
	n->snid = o->snid;
	n->flags = o->flags;

	/* cgroup subtree */
	r = find_cgroup2_mount(n->cgroup_root, n->cg_mount, sizeof(n->cg_mount));
	if (r) {
		r = dsm_set_err(ENOENT, "dsm_attach: %s is not inside a cgroup2 mount", n->cgroup_root);
		goto fail;
	}
	r = mkdir_p(n->cgroup_root, 0755, &cg_parents);
	if (r) {
		r = dsm_set_err(r, "mkdir %s: %s", n->cgroup_root, strerror(-r));
		goto fail;
	}
	snprintf(rel, sizeof(rel), "%s", n->cgroup_root + (strcmp(n->cg_mount, "/") ? strlen(n->cg_mount) : 0));
	n->ctx_level = count_depth(rel) + 1;

	/* bpffs */
	{
		char parent[PATH_MAX];
		snprintf(parent, sizeof(parent), "%s", n->pin_dir);
		while (access(parent, F_OK) && strrchr(parent, '/') && strrchr(parent, '/') != parent)
			*strrchr(parent, '/') = 0;
		if (!is_bpffs(parent)) {
			r = dsm_set_err(ENOTSUP, "dsm_attach: %s is not on a bpffs (mount -t bpf bpf /sys/fs/bpf)", n->pin_dir);
			goto fail;
		}
	}
	r = mkdir_p(n->pin_dir, 0700, &pin_parents);
	if (r) {
		r = dsm_set_err(r, "mkdir %s: %s", n->pin_dir, strerror(-r));
		goto fail;
	}

	/* load: maps pinned by name under pin_dir are reused (LIBBPF_PIN_BY_NAME) */
	{
		DECLARE_LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = n->pin_dir);
		libbpf_last[0] = 0;
		n->obj = bpf_object__open_file(o->bpf_object, &oo);
		if (!n->obj) {
			r = dsm_set_err(errno, "bpf_object__open_file(%s): %s", o->bpf_object, strerror(errno));
			n->obj = NULL;
			goto fail;
		}
		{
			struct bpf_program *u = bpf_object__find_program_by_name(n->obj, "dsi_connect_unix");
			if (u && unix_connect_supported())
				bpf_program__set_expected_attach_type(u, DSM_BPF_CGROUP_UNIX_CONNECT);
			else if (u)
				bpf_program__set_autoload(u, false);
		}
		r = bpf_object__load(n->obj);
		if (r) {
			r = dsm_set_err(r, "bpf_object__load(%s): %s%s%s", o->bpf_object, strerror(-r),
					libbpf_last[0] ? " -- " : "", libbpf_last);
			goto fail;
		}
	}
	for (int i = 0; i < M__COUNT; i++) {
		n->fd[i] = bpf_object__find_map_fd_by_name(n->obj, dsm_map_names[i]);
		if (n->fd[i] < 0) {
			r = dsm_set_err(ENOENT, "map %s missing in %s", dsm_map_names[i], o->bpf_object);
			goto fail;
		}
	}

	/* config: refuse to adopt pins of another subtree */
	memset(&old, 0, sizeof(old));
	bpf_map_lookup_elem(n->fd[M_CONFIG], &z, &old);
	if (old.attached && strcmp(old.cgroup_root, n->cgroup_root)) {
		r = dsm_set_err(EEXIST, "pins in %s belong to cgroup root %s, not %s", n->pin_dir,
				old.cgroup_root, n->cgroup_root);
		goto fail;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.snid = n->snid;
	cfg.flags = (n->flags & DSM_F_LABEL_ALL_SEGMENTS) ? DSM_CF_LABEL_ALL | DSM_CF_LABEL_DGRAMS : 0;
	if (n->flags & DSM_F_LABEL_ALL_DATAGRAMS)
		cfg.flags |= DSM_CF_LABEL_DGRAMS;
	/* v2 labels carry a MAC bound to the flow: every UDP datagram is labeled and an unlabeled
	 * one is never judged under an earlier label (README "UDP without flow labels") */
	if (n->flags & DSM_F_LEGACY_LABELS)
		cfg.flags |= DSM_CF_LEGACY_LABELS;
	else
		cfg.flags |= DSM_CF_LABEL_DGRAMS;
	cfg.ctx_level = n->ctx_level;
	cfg.rate_per_sec = getenv("DSM_EVENT_RATE") ? atoi(getenv("DSM_EVENT_RATE")) : 5;
	cfg.attached = 1;
	/* parent directories this node's attach created, kept across re-attaches (old.attached) */
	cfg.created_dirs = ((old.attached ? old.created_dirs >> 16 : 0) + cg_parents) << 16 |
			   (((old.attached ? old.created_dirs : 0) + pin_parents) & 0xffff);
	snprintf(cfg.cgroup_root, sizeof(cfg.cgroup_root), "%s", n->cgroup_root);
	snprintf(cfg.netns_path, sizeof(cfg.netns_path), "%s", n->netns_path);
	snprintf(cfg.ifaces, sizeof(cfg.ifaces), "%s", n->ifaces);
	if (bpf_map_update_elem(n->fd[M_CONFIG], &z, &cfg, BPF_ANY)) {
		r = dsm_set_err(errno, "write dsm_config: %s", strerror(errno));
		goto fail;
	}
	rescan_contexts(n);

	/* cgroup programs: adopt pinned links (replace their program), else attach and pin */
	cgfd = open(n->cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		r = dsm_set_err(errno, "open %s: %s", n->cgroup_root, strerror(errno));
		goto fail;
	}
	for (int i = 0; i < N_CG_PROGS; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(n->obj, cg_progs[i].prog);
		int pfd, lfd;
		if (!p) {
			r = dsm_set_err(ENOENT, "program %s missing", cg_progs[i].prog);
			goto fail;
		}
		if (cg_progs[i].type == DSM_BPF_CGROUP_UNIX_CONNECT && !unix_connect_supported())
			continue;
		pfd = bpf_program__fd(p);
		snprintf(path, sizeof(path), "%s/link_%s", n->pin_dir, cg_progs[i].prog);
		lfd = bpf_obj_get(path);
		if (lfd >= 0) {
			if (bpf_link_update(lfd, pfd, NULL)) {
				r = dsm_set_err(errno, "bpf_link_update(%s): %s", path, strerror(errno));
				close(lfd);
				goto fail;
			}
		} else {
			DECLARE_LIBBPF_OPTS(bpf_link_create_opts, lo);
			lfd = bpf_link_create(pfd, cgfd, cg_progs[i].type, &lo);
			if (lfd < 0) {
				r = dsm_set_err(errno, "attach %s to %s: %s", cg_progs[i].what, n->cgroup_root,
						strerror(errno));
				goto fail;
			}
			if (bpf_obj_pin(lfd, path)) {
				r = dsm_set_err(errno, "pin %s: %s", path, strerror(errno));
				bpf_link_detach(lfd);
				close(lfd);
				goto fail;
			}
		}
		n->link_fd[n->nlinks++] = lfd;
		snprintf(path, sizeof(path), "%s/prog_%s", n->pin_dir, cg_progs[i].prog);
		unlink(path);
		bpf_obj_pin(pfd, path);
	}
	close(cgfd);
	cgfd = -1;

	/* tc egress labeling, tc ingress port guard */
	{
		struct bpf_program *p = bpf_object__find_program_by_name(n->obj, "dsi_egress");
		struct bpf_program *g = bpf_object__find_program_by_name(n->obj, "dsi_port_guard");
		struct tc_job j = { .n = n, .prog_fd = p ? bpf_program__fd(p) : -1,
				    .guard_fd = g ? bpf_program__fd(g) : -1 };
		if (!p || !g) {
			r = dsm_set_err(ENOENT, "program %s missing", p ? "dsi_port_guard" : "dsi_egress");
			goto fail;
		}
		r = run_tc_job(&j);
		if (r)
			goto fail;
		snprintf(path, sizeof(path), "%s/prog_dsi_egress", n->pin_dir);
		unlink(path);
		bpf_obj_pin(j.prog_fd, path);
		snprintf(path, sizeof(path), "%s/prog_dsi_port_guard", n->pin_dir);
		unlink(path);
		bpf_obj_pin(j.guard_fd, path);
	}

	r = setup_rb(n);
	if (r)
		goto fail;
	if (!(n->flags & DSM_F_NO_EXEC_WATCH)) {
		r = dsm_watch_start(n);
		if (r)
			goto fail;
	}
	*out = n;
	return 0;
fail:
	if (cgfd >= 0)
		close(cgfd);
	{
		char keep[sizeof(err_buf)];
		snprintf(keep, sizeof(keep), "%s", err_buf);
		dsm_close(n);
		snprintf(err_buf, sizeof(err_buf), "%s", keep);
	}
	return r;
}

int dsm_open_pinned(const char *pin_dir, dsm_node **out)
{
	dsm_node *n;
	char path[PATH_MAX];
	struct dsm_config cfg;
	uint32_t z = 0;

	init_libbpf();
	*out = NULL;
	n = node_new();
	if (!n)
		return dsm_set_err(ENOMEM, "out of memory");
	snprintf(n->pin_dir, sizeof(n->pin_dir), "%s", pin_dir);
	for (int i = 0; i < M__COUNT; i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, dsm_map_names[i]);
		n->fd[i] = bpf_obj_get(path);
		if (n->fd[i] < 0 && (i == M_UCONN || i == M_LKEYS || i == M_LKSEND || i == M_ROUTES))
			continue; /* pinned by a libdsm without it */
		if (n->fd[i] < 0) {
			int e = errno;
			dsm_close(n);
			return dsm_set_err(e, "open pinned map %s: %s", path, strerror(e));
		}
	}
	memset(&cfg, 0, sizeof(cfg));
	bpf_map_lookup_elem(n->fd[M_CONFIG], &z, &cfg);
	n->snid = cfg.snid;
	n->ctx_level = cfg.ctx_level;
	n->flags = (cfg.flags & DSM_CF_LABEL_ALL) ? DSM_F_LABEL_ALL_SEGMENTS : 0;
	if ((cfg.flags & DSM_CF_LABEL_DGRAMS) && !(cfg.flags & DSM_CF_LABEL_ALL))
		n->flags |= DSM_F_LABEL_ALL_DATAGRAMS;
	if (cfg.flags & DSM_CF_LEGACY_LABELS)
		n->flags |= DSM_F_LEGACY_LABELS;
	n->flags |= DSM_F_NO_EXEC_WATCH;
	snprintf(n->cgroup_root, sizeof(n->cgroup_root), "%s", cfg.cgroup_root);
	snprintf(n->netns_path, sizeof(n->netns_path), "%s", cfg.netns_path);
	snprintf(n->ifaces, sizeof(n->ifaces), "%s", cfg.ifaces);
	find_cgroup2_mount(n->cgroup_root, n->cg_mount, sizeof(n->cg_mount));
	for (int i = 0; i < N_CG_PROGS; i++) {
		snprintf(path, sizeof(path), "%s/link_%s", n->pin_dir, cg_progs[i].prog);
		int lfd = bpf_obj_get(path);
		if (lfd >= 0)
			n->link_fd[n->nlinks++] = lfd;
	}
	if (setup_rb(n)) {
		dsm_close(n);
		return -errno;
	}
	*out = n;
	return 0;
}

void dsm_close(dsm_node *n)
{
	if (!n)
		return;
	dsm_watch_stop(n);
	if (n->rb)
		ring_buffer__free(n->rb);
	for (int i = 0; i < n->nlinks; i++)
		close(n->link_fd[i]);
	if (n->obj)
		bpf_object__close(n->obj); /* maps and links stay pinned */
	else
		for (int i = 0; i < M__COUNT; i++)
			if (n->fd[i] >= 0)
				close(n->fd[i]);
	pthread_mutex_destroy(&n->qlock);
	free(n->q);
	free(n);
}

static void rmdir_parents(const char *path, uint32_t levels)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (uint32_t i = 0; i < levels && i < 16; i++) {
		char *slash = strrchr(tmp, '/');
		if (!slash || slash == tmp)
			return;
		*slash = 0;
		if (rmdir(tmp))
			return;
	}
}

int dsm_detach(dsm_node *n)
{
	char path[PATH_MAX], busy[512] = "";
	struct tc_job j = { .n = n, .detach = 1 };
	struct dsm_config cfg = { 0 };
	uint32_t z = 0;
	DIR *d;
	struct dirent *e;
	int r;

	if (!n)
		return dsm_set_err(EINVAL, "dsm_detach: no node");
	bpf_map_lookup_elem(n->fd[M_CONFIG], &z, &cfg);
	dsm_watch_stop(n);
	r = run_tc_job(&j);
	if (r)
		return r;
	for (int i = 0; i < N_CG_PROGS; i++) {
		snprintf(path, sizeof(path), "%s/link_%s", n->pin_dir, cg_progs[i].prog);
		int lfd = bpf_obj_get(path);
		if (lfd >= 0) {
			bpf_link_detach(lfd);
			close(lfd);
		}
	}
	for (int i = 0; i < n->nlinks; i++)
		bpf_link_detach(n->link_fd[i]);
	/* unpin everything in pin_dir */
	d = opendir(n->pin_dir);
	if (d) {
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", n->pin_dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(n->pin_dir);
	/* empty context cgroups, then the subtree root if empty */
	d = opendir(n->cgroup_root);
	if (d) {
		while ((e = readdir(d))) {
			if (strncmp(e->d_name, "scid-", 5))
				continue;
			snprintf(path, sizeof(path), "%s/%s", n->cgroup_root, e->d_name);
			rmdir_gate(path);
			if (rmdir(path) && strlen(busy) + strlen(e->d_name) + 2 < sizeof(busy)) {
				strcat(busy, " ");
				strcat(busy, e->d_name);
			}
		}
		closedir(d);
	}
	rmdir(n->cgroup_root);
	/* the parent directories the attach created, deepest first; rmdir leaves any that are not
	 * empty (another node's pins or cgroups) */
	rmdir_parents(n->pin_dir, cfg.created_dirs & 0xffff);
	if (!busy[0])
		rmdir_parents(n->cgroup_root, cfg.created_dirs >> 16);
	if (busy[0])
		dsm_set_err(0, "detached; context cgroups still in use:%s", busy);
	else
		dsm_set_err(0, "detached");
	return 0;
}

/* ------------------------------------------------------------------ describe */

int dsm_describe(dsm_node *n, char *buf, size_t len)
{
	size_t off = 0;
	char path[PATH_MAX];
#define OUT(...) do { if (off < len) off += snprintf(buf + off, len - off, __VA_ARGS__); } while (0)

	if (!n || !buf || !len)
		return dsm_set_err(EINVAL, "dsm_describe: bad arguments");
	buf[0] = 0;
	OUT("node snid %u cgroup_root %s (context level %u) pin_dir %s netns %s ifaces %s flags 0x%x\n",
	    n->snid, n->cgroup_root, n->ctx_level, n->pin_dir, n->netns_path[0] ? n->netns_path : "-",
	    n->ifaces[0] ? n->ifaces : "-", n->flags);
	for (int i = 0; i < N_CG_PROGS; i++) {
		struct bpf_link_info li;
		__u32 l = sizeof(li);
		snprintf(path, sizeof(path), "%s/link_%s", n->pin_dir, cg_progs[i].prog);
		int fd = bpf_obj_get(path);
		memset(&li, 0, sizeof(li));
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &li, &l))
			OUT("%s link %u prog %u cgroup %llu pinned %s\n", cg_progs[i].what, li.id, li.prog_id,
			    (unsigned long long)li.cgroup.cgroup_id, path);
		else
			OUT("%s not attached\n", cg_progs[i].what);
		if (fd >= 0)
			close(fd);
	}
	for (uint32_t i = 0; i < 16; i++) {
		struct dsm_iface_rec r;
		if (!bpf_map_lookup_elem(n->fd[M_IFACES], &i, &r) && r.ifindex)
			OUT("tc/egress %s ifindex %u handle 0x%x prio %u%s\n", r.name, r.ifindex, TC_HANDLE,
			    TC_PRIO, r.created_qdisc ? " (clsact created by dsm)" : "");
	}
	for (int i = 0; i < M__COUNT; i++) {
		struct bpf_map_info mi;
		__u32 l = sizeof(mi);
		memset(&mi, 0, sizeof(mi));
		if (!bpf_obj_get_info_by_fd(n->fd[i], &mi, &l))
			OUT("map %s id %u max_entries %u pinned %s/%s\n", dsm_map_names[i], mi.id,
			    mi.max_entries, n->pin_dir, dsm_map_names[i]);
	}
	{
		uint64_t g = dsm_active_gen(n);
		uint32_t s = g & 1;
		struct dsm_hdr h = { 0 };
		bpf_map_lookup_elem(n->fd[M_HDR], &s, &h);
		OUT("table generation %llu slot %u policy version %llu%s\n", (unsigned long long)g, s,
		    (unsigned long long)h.version, h.loaded ? "" : " (no table: everything denied in contexts)");
	}
	OUT("exec watcher %s\n", n->watcher_running ? "running" : "not running");
	return (int)(off < len ? off : len - 1);
#undef OUT
}
