// SPDX-License-Identifier: Apache-2.0
/*
 * Exec transitions: a fanotify FAN_OPEN_EXEC_PERM watcher on every labeled binary. On an exec,
 * the process is moved into the new context's cgroup before FAN_ALLOW is written, so the new
 * program never runs unlabeled. Without a transition rule the exec is refused (FAN_DENY, the
 * exec fails with EPERM) and audited.
 *
 * Processes outside the node's DSI subtree (parent ScID 0) are never refused: when the policy has
 * a transition (0, binary) that is allowed they are moved into the new context (this is how an
 * operator's shell or an init system starts labeled services), otherwise they run unchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/fanotify.h>
#include <sys/xattr.h>
#include <bpf/bpf.h>

#include "dsm_internal.h"

#define EXEC_EVENTS_PER_SEC 200

/* Per-event work of the watcher is kept minimal: the answer is written as soon as the decision
 * (and, for a transition, the move) is done; counters, the audit event and the binary's path
 * are handled after it. Contexts' cgroup.procs files stay open (struct exec_cache). */
struct exec_pending {
	uint32_t type;           /* DSM_EV_*, 0 = nothing to report */
	uint32_t parent, tgt, rule;
	uint64_t version;
	size_t ctr;              /* offsetof(struct dsm_ustate, ...) or (size_t)-1 */
	char comm[16];
};

#define EXEC_FD_CACHE 16
struct exec_cache {
	uint32_t scid[EXEC_FD_CACHE];
	int fd[EXEC_FD_CACHE];
	unsigned next;
};

static void exec_event(dsm_node *n, const struct exec_pending *pe, int32_t pid, int fd)
{
	struct dsm_event ev;
	char link[64];
	ssize_t l;
	uint64_t now = dsm_now_realtime_ns();

	/* global token bucket: the exec path must not be able to flood the queue */
	if (now - n->exec_tokens_ts >= 1000000000ull) {
		n->exec_tokens_ts = now;
		n->exec_tokens = 0;
	}
	if (++n->exec_tokens > EXEC_EVENTS_PER_SEC) {
		dsm_ustate_add(n, offsetof(struct dsm_ustate, exec_events_suppressed), 1);
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.time_ns = now;
	ev.policy_version = pe->version;
	ev.type = pe->type;
	ev.permission = DSM_P_TRANSITION;
	ev.src_scid = pe->parent;
	ev.src_snid = n->snid;
	ev.tgt_scid = pe->tgt;
	ev.tgt_snid = n->snid;
	ev.rule_id = pe->rule;
	ev.pid = pid;
	memcpy(ev.comm, pe->comm, sizeof(ev.comm));
	{
		char path[PATH_MAX];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		l = readlink(link, path, sizeof(path) - 1);
		if (l > (ssize_t)sizeof(ev.path) - 1)
			l = sizeof(ev.path) - 1;
		if (l > 0)
			memcpy(ev.path, path, l);
	}
	dsm_queue_event(n, &ev);
}

/* small read of a /proc file with open/read (no stdio); returns length, -1 on error */
static ssize_t read_small(const char *p, char *buf, size_t len)
{
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = read(fd, buf, len - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = 0;
	return r;
}

/* same result as dsm_pid_context() (the cgroup v2 line "0::<path>") */
static uint32_t pid_context(dsm_node *n, int32_t pid)
{
	char p[64], buf[4096], full[PATH_MAX + 512];
	char *line, *nl;
	size_t rl = strlen(n->cgroup_root);
	uint32_t scid = 0;

	snprintf(p, sizeof(p), "/proc/%d/cgroup", pid);
	if (read_small(p, buf, sizeof(buf)) <= 0) {
		uint32_t s = 0;
		return dsm_pid_context(n, pid, &s) ? 0 : s;
	}
	for (line = buf; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = 0;
		if (strncmp(line, "0::", 3))
			continue;
		snprintf(full, sizeof(full), "%s%s", strcmp(n->cg_mount, "/") ? n->cg_mount : "", line + 3);
		if (!strncmp(full, n->cgroup_root, rl) && !strncmp(full + rl, "/scid-", 6)) {
			char *end;
			unsigned long v = strtoul(full + rl + 6, &end, 10);
			if (end != full + rl + 6 && (*end == 0 || *end == '/'))
				scid = v;
		}
	}
	return scid;
}

/* dsm_move_pid() through a kept-open cgroup.procs fd; a write to the file of a removed context
 * fails (ENODEV), then the path is opened again (dsm_move_pid creates a missing context) */
static int move_pid_cached(dsm_node *n, struct exec_cache *c, int32_t pid, uint32_t scid)
{
	char b[16], p[PATH_MAX];
	int len = snprintf(b, sizeof(b), "%d\n", pid), fd;
	unsigned i;

	for (i = 0; i < EXEC_FD_CACHE; i++) {
		if (c->fd[i] >= 0 && c->scid[i] == scid) {
			if (write(c->fd[i], b, len) == len)
				return 0;
			close(c->fd[i]);
			c->fd[i] = -1;
			break;
		}
	}
	if (dsm_move_pid(n, pid, scid))
		return -1;
	if (snprintf(p, sizeof(p), "%s/scid-%u/cgroup.procs", n->cgroup_root, scid) >= (int)sizeof(p))
		return 0;
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		i = c->next++ % EXEC_FD_CACHE;
		if (c->fd[i] >= 0)
			close(c->fd[i]);
		c->fd[i] = fd;
		c->scid[i] = scid;
	}
	return 0;
}

/* returns FAN_ALLOW or FAN_DENY; *pe describes what to record after answering */
static uint32_t judge(dsm_node *n, struct exec_cache *c, int32_t pid, int fd,
		      struct exec_pending *pe)
{
	uint8_t b[4];
	uint32_t bin, parent = 0, slot, rule = 0;
	uint64_t gen, version = 0;
	struct dsm_tr_key tk;
	struct dsm_tr_val tv;
	int have_tr = 0, allow = 0, audit = 0;

	pe->type = 0;
	pe->ctr = (size_t)-1;
	if (fgetxattr(fd, DSM_XATTR, b, sizeof(b)) != 4)
		return FAN_ALLOW; /* label removed since the mark was placed */
	bin = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
	parent = pid_context(n, pid);

	for (int i = 0; i < 3; i++) {
		gen = dsm_active_gen(n);
		slot = gen & 1;
		tk.slot = slot;
		tk.parent = parent;
		tk.bin = bin;
		have_tr = !bpf_map_lookup_elem(n->fd[M_TRANS], &tk, &tv);
		if (have_tr)
			allow = dsm_access_lookup(n, slot, parent, n->snid, tv.new_scid, DSM_P_TRANSITION,
						  &rule, &audit, &version);
		else {
			struct dsm_hdr h = { 0 };
			struct dsm_ctx_key ck = { slot, parent };
			uint32_t f = 0;
			bpf_map_lookup_elem(n->fd[M_HDR], &slot, &h);
			bpf_map_lookup_elem(n->fd[M_CTX], &ck, &f);
			version = h.version;
			audit = f & 1;
			allow = 0;
			rule = 0;
		}
		if (dsm_active_gen(n) == gen)
			break;
	}

	if (parent == 0 && !(have_tr && allow))
		return FAN_ALLOW; /* outside DSI: untouched */

	pe->parent = parent;
	pe->rule = rule;
	pe->version = version;
	pe->tgt = have_tr ? tv.new_scid : bin;
	{
		char p[64];
		ssize_t l;
		snprintf(p, sizeof(p), "/proc/%d/comm", pid);
		memset(pe->comm, 0, sizeof(pe->comm));
		l = read_small(p, pe->comm, sizeof(pe->comm));
		if (l > 0)
			pe->comm[strcspn(pe->comm, "\n")] = 0;
	}
	if (have_tr && allow) {
		if (tv.new_scid != parent) {
			if (move_pid_cached(n, c, pid, tv.new_scid)) {
				pe->type = DSM_EV_EXEC_DENIED;
				pe->ctr = offsetof(struct dsm_ustate, execs_denied);
				return FAN_DENY; /* fail secure: never run unlabeled */
			}
			pe->type = DSM_EV_TRANSITION;
			pe->ctr = offsetof(struct dsm_ustate, execs_transitioned);
		}
		return FAN_ALLOW;
	}
	if (audit) {
		pe->type = DSM_EV_AUDIT_DENY;
		return FAN_ALLOW;
	}
	pe->type = DSM_EV_EXEC_DENIED;
	pe->ctr = offsetof(struct dsm_ustate, execs_denied);
	return FAN_DENY;
}

static void remark_all(dsm_node *n)
{
	char key[256], next[256];
	int first = 1;
	while (!bpf_map_get_next_key(n->fd[M_WATCH], first ? NULL : key, next)) {
		first = 0;
		memcpy(key, next, sizeof(key));
		fanotify_mark(n->fan_fd, FAN_MARK_ADD, FAN_OPEN_EXEC_PERM, AT_FDCWD, next);
	}
}

static void *watcher(void *arg)
{
	dsm_node *n = arg;
	char buf[8192] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	struct exec_cache cache = { .next = 0 };

	for (int i = 0; i < EXEC_FD_CACHE; i++)
		cache.fd[i] = -1;

	for (;;) {
		struct pollfd pf[2] = { { n->fan_fd, POLLIN, 0 }, { n->stop_pipe[0], POLLIN, 0 } };
		ssize_t len;
		int pr = poll(pf, 2, 500);
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pr == 0) {
			/* pick up binaries recorded in the pinned watch map by other processes */
			remark_all(n);
			continue;
		}
		if (pf[1].revents)
			break;
		len = read(n->fan_fd, buf, sizeof(buf));
		if (len <= 0) {
			if (len < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			break;
		}
		for (struct fanotify_event_metadata *m = (void *)buf; FAN_EVENT_OK(m, len);
		     m = FAN_EVENT_NEXT(m, len)) {
			if (m->vers != FANOTIFY_METADATA_VERSION)
				break;
			if (m->fd < 0)
				continue;
			if (m->mask & FAN_OPEN_EXEC_PERM) {
				struct fanotify_response resp = { .fd = m->fd };
				struct exec_pending pe;
				resp.response = judge(n, &cache, m->pid, m->fd, &pe);
				if (write(n->fan_fd, &resp, sizeof(resp)) < 0) {
					/* nothing more we can do; the kernel denies on group release */
				}
				if (pe.ctr != (size_t)-1)
					dsm_ustate_add(n, pe.ctr, 1);
				if (pe.type)
					exec_event(n, &pe, m->pid, m->fd);
			}
			close(m->fd);
		}
	}
	for (int i = 0; i < EXEC_FD_CACHE; i++)
		if (cache.fd[i] >= 0)
			close(cache.fd[i]);
	return NULL;
}

int dsm_watch_mark(dsm_node *n, const char *path, int add)
{
	char key[256];
	char real[PATH_MAX];
	uint32_t one = 1;

	if (!realpath(path, real))
		return dsm_set_err(errno, "realpath %s: %s", path, strerror(errno));
	if (strlen(real) >= sizeof(key))
		return dsm_set_err(ENAMETOOLONG, "%s: path too long to watch", real);
	memset(key, 0, sizeof(key));
	strcpy(key, real);
	if (add) {
		if (bpf_map_update_elem(n->fd[M_WATCH], key, &one, BPF_ANY))
			return dsm_set_err(errno, "record watched binary: %s", strerror(errno));
	} else
		bpf_map_delete_elem(n->fd[M_WATCH], key);
	if (n->fan_fd >= 0) {
		if (fanotify_mark(n->fan_fd, add ? FAN_MARK_ADD : FAN_MARK_REMOVE, FAN_OPEN_EXEC_PERM,
				  AT_FDCWD, real) && add)
			return dsm_set_err(errno, "fanotify_mark %s: %s", real, strerror(errno));
	}
	return 0;
}

int dsm_watch_start(dsm_node *n)
{
	n->fan_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (n->fan_fd < 0)
		return dsm_set_err(errno, "fanotify_init(FAN_CLASS_CONTENT): %s", strerror(errno));
	if (pipe2(n->stop_pipe, O_CLOEXEC)) {
		int e = errno;
		close(n->fan_fd);
		n->fan_fd = -1;
		return dsm_set_err(e, "pipe: %s", strerror(e));
	}
	/* re-mark the binaries recorded in the pinned watch map (survives restarts) */
	remark_all(n);
	if (pthread_create(&n->watcher, NULL, watcher, n)) {
		close(n->fan_fd);
		n->fan_fd = -1;
		return dsm_set_err(EAGAIN, "cannot start exec watcher thread");
	}
	n->watcher_running = 1;
	return 0;
}

void dsm_watch_stop(dsm_node *n)
{
	if (n->watcher_running) {
		if (write(n->stop_pipe[1], "x", 1) < 0) {
		}
		pthread_join(n->watcher, NULL);
		n->watcher_running = 0;
	}
	if (n->fan_fd >= 0)
		close(n->fan_fd);
	n->fan_fd = -1;
	for (int i = 0; i < 2; i++)
		if (n->stop_pipe[i] >= 0)
			close(n->stop_pipe[i]);
	n->stop_pipe[0] = n->stop_pipe[1] = -1;
}
