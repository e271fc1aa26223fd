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

static void exec_event(dsm_node *n, uint32_t type, int32_t pid, uint32_t parent, uint32_t tgt,
		       uint32_t rule, uint64_t version, const char *path)
{
	struct dsm_event ev;
	char p[64];
	FILE *f;
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
	ev.policy_version = version;
	ev.type = type;
	ev.permission = DSM_P_TRANSITION;
	ev.src_scid = parent;
	ev.src_snid = n->snid;
	ev.tgt_scid = tgt;
	ev.tgt_snid = n->snid;
	ev.rule_id = rule;
	ev.pid = pid;
	snprintf(p, sizeof(p), "/proc/%d/comm", pid);
	f = fopen(p, "r");
	if (f) {
		if (fgets(ev.comm, sizeof(ev.comm), f))
			ev.comm[strcspn(ev.comm, "\n")] = 0;
		fclose(f);
	}
	snprintf(ev.path, sizeof(ev.path), "%s", path);
	dsm_queue_event(n, &ev);
}

/* returns FAN_ALLOW or FAN_DENY */
static uint32_t judge(dsm_node *n, int32_t pid, int fd)
{
	uint8_t b[4];
	char link[64], path[PATH_MAX] = "";
	uint32_t bin, parent = 0, slot, rule = 0;
	uint64_t gen, version = 0;
	struct dsm_tr_key tk;
	struct dsm_tr_val tv;
	int have_tr = 0, allow = 0, audit = 0;
	ssize_t l;

	if (fgetxattr(fd, DSM_XATTR, b, sizeof(b)) != 4)
		return FAN_ALLOW; /* label removed since the mark was placed */
	bin = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	l = readlink(link, path, sizeof(path) - 1);
	path[l > 0 ? l : 0] = 0;
	if (dsm_pid_context(n, pid, &parent))
		parent = 0;

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

	if (have_tr && allow) {
		if (tv.new_scid != parent) {
			if (dsm_move_pid(n, pid, tv.new_scid)) {
				dsm_ustate_add(n, offsetof(struct dsm_ustate, execs_denied), 1);
				exec_event(n, DSM_EV_EXEC_DENIED, pid, parent, tv.new_scid, rule, version, path);
				return FAN_DENY; /* fail secure: never run unlabeled */
			}
			dsm_ustate_add(n, offsetof(struct dsm_ustate, execs_transitioned), 1);
			exec_event(n, DSM_EV_TRANSITION, pid, parent, tv.new_scid, rule, version, path);
		}
		return FAN_ALLOW;
	}
	if (audit) {
		exec_event(n, DSM_EV_AUDIT_DENY, pid, parent, have_tr ? tv.new_scid : bin, rule, version, path);
		return FAN_ALLOW;
	}
	dsm_ustate_add(n, offsetof(struct dsm_ustate, execs_denied), 1);
	exec_event(n, DSM_EV_EXEC_DENIED, pid, parent, have_tr ? tv.new_scid : bin, rule, version, path);
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
				resp.response = judge(n, m->pid, m->fd);
				if (write(n->fan_fd, &resp, sizeof(resp)) < 0) {
					/* nothing more we can do; the kernel denies on group release */
				}
			}
			close(m->fd);
		}
	}
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
