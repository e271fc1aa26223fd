// SPDX-License-Identifier: Apache-2.0
/*
 * Exec transitions: a fanotify FAN_OPEN_EXEC_PERM watcher on every labeled binary. Without a
 * transition rule the exec is refused (FAN_DENY, the exec fails with EPERM) and audited.
 *
 * A transition into another context goes through that context's exec gate, the frozen cgroup
 * scid-N/exec-gate (already context N: the programs judge the ancestor at the scid-N level). The
 * pid is moved there before FAN_ALLOW, completes the exec in the kernel and freezes on its way back
 * to user space, before the first instruction of the new program. The watcher then inspects the
 * new image (not traced, the fresh state of the labeled binary, no loader/libc injection variable
 * in its environment) and either moves it on into scid-N (it thaws and runs) or kills it. Gated
 * pids are polled from the watcher loop; answering fanotify events never waits for them.
 *
 * Processes outside the node's DSI subtree (parent ScID 0) are never refused: when the policy has
 * a transition (0, binary) that is allowed they are moved into the new context (this is how an
 * operator's shell or an init system starts labeled services), otherwise they run unchanged.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/fanotify.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <bpf/bpf.h>

#include "dsm_internal.h"

#define EXEC_EVENTS_PER_SEC 200
#define GATE_DIR "exec-gate"
#define GATE_MAX 64                         /* gated execs at once; beyond: refused */
#define GATE_TIMEOUT_NS 2000000000ull       /* allowed exec not frozen by then: killed */
#define GATE_TICK_NS 50000                  /* re-check gated pids this often while any exists */
#define ENV_MAX (16u << 20)                 /* larger environments are refused unread */

/* Per-event work of the watcher is kept minimal: the answer is written as soon as the decision
 * (and, for a transition, the move into the gate) is done; counters, the audit event and the
 * binary's path are handled after it. Contexts' cgroup.procs files stay open (struct
 * exec_cache). */
struct exec_pending {
	uint32_t type;           /* DSM_EV_*, 0 = nothing to report */
	uint32_t parent, tgt, rule, reason;
	uint64_t version;
	size_t ctr;              /* offsetof(struct dsm_ustate, ...) or (size_t)-1 */
	char comm[16];
};

#define EXEC_FD_CACHE 16
struct exec_cache {
	uint32_t scid[EXEC_FD_CACHE];
	uint8_t gate[EXEC_FD_CACHE];
	int fd[EXEC_FD_CACHE];
	unsigned next;
};

/* an allowed transition waiting in its gate */
struct gated {
	int pidfd;               /* -1: free slot */
	int32_t pid;
	dev_t dev;               /* the labeled binary */
	ino_t ino;
	uint64_t deadline;       /* CLOCK_MONOTONIC ns */
	struct exec_pending pe;
	char path[128];
};

struct wstate {
	struct exec_cache cache;
	struct gated g[GATE_MAX];
	int ngated;
};

static uint64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ull + t.tv_nsec;
}

static void exec_event(dsm_node *n, const struct exec_pending *pe, int32_t pid, const char *path)
{
	struct dsm_event ev;
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
	if (pe->type == DSM_EV_EXEC_DENIED)
		ev.pad[0] = pe->reason;
	memcpy(ev.comm, pe->comm, sizeof(ev.comm));
	if (path)
		strncpy(ev.path, path, sizeof(ev.path) - 1);
	dsm_queue_event(n, &ev);
}

static void fd_path(int fd, char *out, size_t len)
{
	char link[64], path[PATH_MAX];
	ssize_t l;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	l = readlink(link, path, sizeof(path) - 1);
	if (l > (ssize_t)len - 1)
		l = len - 1;
	if (l < 0)
		l = 0;
	memcpy(out, path, l);
	out[l] = 0;
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

/* TracerPid of the thread group leader; -1 if unreadable */
static int tracer_pid(int32_t pid, unsigned *euid)
{
	char p[64], buf[2048], *t;

	snprintf(p, sizeof(p), "/proc/%d/status", pid);
	if (read_small(p, buf, sizeof(buf)) <= 0)
		return -1;
	if (euid) {
		unsigned r;
		t = strstr(buf, "\nUid:");
		if (!t || sscanf(t + 5, "%u %u", &r, euid) != 2)
			return -1;
	}
	t = strstr(buf, "\nTracerPid:");
	return t ? atoi(t + 11) : -1;
}

/* the gate of context scid: created on first use, frozen (every process moved in freezes before
 * it returns to user space) */
static int gate_create(dsm_node *n, uint32_t scid)
{
	char p[PATH_MAX];
	int fd, r;

	r = dsm_context_create(n, scid);
	if (r)
		return r;
	snprintf(p, sizeof(p), "%s/scid-%u/" GATE_DIR, n->cgroup_root, scid);
	if (mkdir(p, 0700) && errno != EEXIST)
		return -errno;
	strcat(p, "/cgroup.freeze");
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = write(fd, "1", 1) == 1 ? 0 : -errno;
	close(fd);
	return r;
}

/* writes pid into cgroup.procs of scid-N (gate 0) or of its gate, through a kept-open fd; a write
 * to the file of a removed cgroup fails (ENODEV), then the path is opened again (a missing context
 * or gate is created) */
static int move_pid_cached(dsm_node *n, struct exec_cache *c, int32_t pid, uint32_t scid, int gate)
{
	char b[16], p[PATH_MAX];
	int len = snprintf(b, sizeof(b), "%d\n", pid), fd;
	unsigned i;

	for (i = 0; i < EXEC_FD_CACHE; i++) {
		if (c->fd[i] >= 0 && c->scid[i] == scid && c->gate[i] == gate) {
			if (write(c->fd[i], b, len) == len)
				return 0;
			if (errno == ESRCH)
				return -ESRCH;
			close(c->fd[i]);
			c->fd[i] = -1;
			break;
		}
	}
	snprintf(p, sizeof(p), "%s/scid-%u%s/cgroup.procs", n->cgroup_root, scid, gate ? "/" GATE_DIR : "");
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (gate ? gate_create(n, scid) : dsm_context_create(n, scid))
			return -ENOENT;
		fd = open(p, O_WRONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	if (write(fd, b, len) != len) {
		int e = errno;
		close(fd);
		return -e;
	}
	i = c->next++ % EXEC_FD_CACHE;
	if (c->fd[i] >= 0)
		close(c->fd[i]);
	c->fd[i] = fd;
	c->scid[i] = scid;
	c->gate[i] = gate;
	return 0;
}

/* returns FAN_ALLOW or FAN_DENY; *pe describes what to record after answering; *slot is the gate
 * slot taken by an allowed transition (-1 otherwise) */
static uint32_t judge(dsm_node *n, struct wstate *w, int32_t pid, int fd, struct exec_pending *pe,
		      int *slot_out)
{
	uint8_t b[4];
	uint32_t bin, parent = 0, slot, rule = 0;
	uint64_t gen, version = 0;
	struct dsm_tr_key tk;
	struct dsm_tr_val tv;
	int have_tr = 0, allow = 0, audit = 0;

	*slot_out = -1;
	pe->type = 0;
	pe->reason = DSM_EXEC_R_NO_RULE;
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
			struct gated *g = NULL;
			struct stat st;
			int s;

			pe->type = DSM_EV_EXEC_DENIED;
			pe->ctr = offsetof(struct dsm_ustate, execs_denied);
			/* cheap early refusal; a tracer attached later is seen in the gate */
			if (tracer_pid(pid, NULL) != 0) {
				pe->reason = DSM_EXEC_R_TRACED;
				return FAN_DENY;
			}
			pe->reason = DSM_EXEC_R_GATE; /* fail secure: never run unchecked */
			for (s = 0; s < GATE_MAX && !g; s++)
				if (w->g[s].pidfd < 0)
					g = &w->g[s];
			if (!g || fstat(fd, &st))
				return FAN_DENY;
			g->pidfd = pidfd_open(pid, 0);
			if (g->pidfd < 0)
				return FAN_DENY;
			if (move_pid_cached(n, &w->cache, pid, tv.new_scid, 1)) {
				close(g->pidfd);
				g->pidfd = -1;
				return FAN_DENY;
			}
			g->pid = pid;
			g->dev = st.st_dev;
			g->ino = st.st_ino;
			g->deadline = mono_ns() + GATE_TIMEOUT_NS;
			g->path[0] = 0;
			g->pe = *pe;
			g->pe.type = DSM_EV_TRANSITION;
			g->pe.reason = 0;
			g->pe.ctr = offsetof(struct dsm_ustate, execs_transitioned);
			w->ngated++;
			*slot_out = g - w->g;
			pe->type = 0; /* reported when the gate releases or kills it */
			pe->ctr = (size_t)-1;
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

/* ------------------------------------------------------------------ the gate */

/* glibc's unsecure environment variables (ignored by ld.so/libc in secure-exec mode) and the
 * LD_ and MALLOC_ families: each makes the loader or libc load or parse a file the caller
 * chooses, or change its behaviour, inside the new context. TMPDIR is left out: it is set in
 * many ordinary environments and only names a directory, like any path in argv (which the caller
 * chooses too; see the README). */
static int env_forbidden(const char *name, size_t len)
{
	static const char *const exact[] = {
		"GCONV_PATH", "GETCONF_DIR", "GLIBC_TUNABLES", "HOSTALIASES", "LOCALDOMAIN", "LOCPATH",
		"NIS_PATH", "NLSPATH", "RESOLV_HOST_CONF", "RES_OPTIONS", "TZDIR",
	};
	if ((len >= 3 && !memcmp(name, "LD_", 3)) || (len >= 7 && !memcmp(name, "MALLOC_", 7)))
		return 1;
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strlen(exact[i]) == len && !memcmp(name, exact[i], len))
			return 1;
	return 0;
}

/* 1 when the environment of pid's (new) image holds a forbidden name; also when unreadable */
static int env_injected(int32_t pid)
{
	char p[64], buf[65536], name[32];
	size_t nlen = 0, total = 0;
	int fd, bad = 0, in_value = 0;
	ssize_t r;

	snprintf(p, sizeof(p), "/proc/%d/environ", pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	while (!bad && (r = read(fd, buf, sizeof(buf))) > 0) {
		total += r;
		if (total > ENV_MAX) {
			bad = 1;
			break;
		}
		for (ssize_t i = 0; i < r && !bad; i++) {
			char c = buf[i];
			if (c == 0) {
				if (!in_value && nlen)
					bad = env_forbidden(name, nlen < sizeof(name) ? nlen : sizeof(name));
				nlen = 0;
				in_value = 0;
			} else if (!in_value) {
				if (c == '=') {
					bad = env_forbidden(name, nlen < sizeof(name) ? nlen : sizeof(name));
					in_value = 1;
				} else if (nlen++ < sizeof(name)) {
					name[nlen - 1] = c;
				}
			}
		}
	}
	if (r < 0)
		bad = 1;
	close(fd);
	return bad;
}

/* the initial program counter of the new image: the interpreter's entry, else the program's */
static int expected_pc(int32_t pid, unsigned long *pc)
{
	char p[64];
	unsigned long av[256], base = 0, entry = 0;
	ssize_t r;
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/auxv", pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = read(fd, av, sizeof(av));
	close(fd);
	if (r <= 0)
		return -1;
	for (size_t i = 0; i + 1 < (size_t)r / sizeof(av[0]); i += 2) {
		if (av[i] == AT_BASE)
			base = av[i + 1];
		else if (av[i] == AT_ENTRY)
			entry = av[i + 1];
	}
	if (!base) {
		*pc = entry;
		return entry ? 0 : -1;
	}
	/* the interpreter's ELF header is mapped at its base */
	union { Elf64_Ehdr e64; Elf32_Ehdr e32; } h;
	snprintf(p, sizeof(p), "/proc/%d/mem", pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = pread(fd, &h, sizeof(h), base);
	close(fd);
	if (r != sizeof(h) || memcmp(h.e64.e_ident, ELFMAG, SELFMAG))
		return -1;
	if (h.e64.e_ident[EI_CLASS] == ELFCLASS64)
		*pc = base + h.e64.e_entry;
	else
		*pc = base + h.e32.e_entry;
	return 0;
}

/* Did the allowed exec complete, and is this the untouched initial state of the labeled binary?
 * The task is frozen on its return from execve, so its registers are those execve left: after a
 * successful exec the argument registers are cleared (x86-64; arm64 reports no syscall at all),
 * sp is the new stack's start and pc the entry point; after a failed exec (ENOEXEC, E2BIG, a
 * restart) they are the call's own. A multi-threaded caller whose exec failed keeps its threads. */
static int fresh_image(int32_t pid, const struct gated *g)
{
	char p[64], buf[1024], *s;
	unsigned long v[9], startstack = 0, pc;
	int nv = 0, ntask = 0;
	long nr;
	struct stat st;
	DIR *d;
	struct dirent *e;

	snprintf(p, sizeof(p), "/proc/%d/task", pid);
	d = opendir(p);
	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			ntask++;
	closedir(d);
	if (ntask != 1)
		return 0;

	snprintf(p, sizeof(p), "/proc/%d/syscall", pid);
	if (read_small(p, buf, sizeof(buf)) <= 0)
		return 0;
	nr = strtol(buf, &s, 0);
	if (s == buf)
		return 0; /* "running" */
	while (nv < 9) {
		char *t;
		v[nv] = strtoul(s, &t, 0);
		if (t == s)
			break;
		s = t;
		nv++;
	}
	if (nr == -1) {
		if (nv != 2)
			return 0;
		v[6] = v[0];
		v[7] = v[1];
	} else {
		if (nv != 8)
			return 0;
		for (int i = 0; i < 6; i++)
			if (v[i])
				return 0;
	}

	snprintf(p, sizeof(p), "/proc/%d/stat", pid);
	if (read_small(p, buf, sizeof(buf)) <= 0 || !(s = strrchr(buf, ')')))
		return 0;
	/* field 28 (startstack); s points at the end of field 2 */
	for (int f = 2; f < 28 && s; f++)
		s = strchr(s + 1, ' ');
	if (!s)
		return 0;
	startstack = strtoul(s + 1, NULL, 10);
	if (v[6] != startstack)
		return 0;
	if (expected_pc(pid, &pc) || v[7] != pc)
		return 0;

	snprintf(p, sizeof(p), "/proc/%d/exe", pid);
	if (stat(p, &st) || st.st_dev != g->dev || st.st_ino != g->ino)
		return 0;
	return 1;
}

enum { G_WAIT, G_READY, G_GONE };

/* frozen on its return to user space (or stopped by a tracer, which the inspection refuses) */
static int gate_state(dsm_node *n, const struct gated *g)
{
	struct pollfd pf = { g->pidfd, POLLIN, 0 };
	char p[PATH_MAX], buf[256];

	if (poll(&pf, 1, 0) > 0)
		return G_GONE;
	snprintf(p, sizeof(p), "/proc/%d/wchan", g->pid);
	if (read_small(p, buf, sizeof(buf)) > 0 &&
	    (!strcmp(buf, "do_freezer_trap") || !strcmp(buf, "ptrace_stop")))
		return G_READY;
	/* without kernel symbol names: the gate reports every task in it frozen (or stopped) */
	snprintf(p, sizeof(p), "%s/scid-%u/" GATE_DIR "/cgroup.events", n->cgroup_root, g->pe.tgt);
	if (read_small(p, buf, sizeof(buf)) > 0 && strstr(buf, "frozen 1"))
		return G_READY;
	return G_WAIT;
}

static void gate_finish(dsm_node *n, struct wstate *w, struct gated *g, uint32_t reason)
{
	if (reason) {
		pidfd_send_signal(g->pidfd, SIGKILL, NULL, 0);
		g->pe.type = DSM_EV_EXEC_DENIED;
		g->pe.reason = reason;
		dsm_ustate_add(n, offsetof(struct dsm_ustate, execs_denied), 1);
		dsm_ustate_add(n, offsetof(struct dsm_ustate, execs_killed), 1);
	} else {
		dsm_ustate_add(n, g->pe.ctr, 1);
	}
	exec_event(n, &g->pe, g->pid, g->path);
	close(g->pidfd);
	g->pidfd = -1;
	w->ngated--;
}

/* inspect and release or kill every gated pid that reached the gate */
static void gate_poll(dsm_node *n, struct wstate *w)
{
	uint64_t now = mono_ns();

	for (int i = 0; i < GATE_MAX && w->ngated; i++) {
		struct gated *g = &w->g[i];
		unsigned euid = 0;
		uint32_t reason = 0;
		int st;

		if (g->pidfd < 0)
			continue;
		st = gate_state(n, g);
		if (st == G_GONE) {
			close(g->pidfd); /* died in the gate (killed by its owner): nothing ran */
			g->pidfd = -1;
			w->ngated--;
			continue;
		}
		if (st == G_WAIT) {
			if (now > g->deadline)
				gate_finish(n, w, g, DSM_EXEC_R_TIMEOUT);
			continue;
		}
		if (tracer_pid(g->pid, &euid) != 0)
			reason = DSM_EXEC_R_TRACED;
		else if (!fresh_image(g->pid, g))
			reason = DSM_EXEC_R_NO_EXEC;
		else if (env_injected(g->pid))
			reason = DSM_EXEC_R_ENV;
		else if (euid != 0) {
			/* the files of a non-dumpable process are root's in /proc (not the directory
			 * itself): its uid cannot ptrace it or open its memory */
			char p[64];
			struct stat sb;
			snprintf(p, sizeof(p), "/proc/%d/mem", g->pid);
			if (stat(p, &sb) || sb.st_uid == euid) {
				if (n->flags & DSM_F_EXEC_NONDUMP_ONLY)
					reason = DSM_EXEC_R_DUMPABLE;
				else
					dsm_ustate_add(n, offsetof(struct dsm_ustate, execs_dumpable), 1);
			}
		}
		/* still the process the pidfd refers to (the pid cannot have been reused) */
		if (!reason && pidfd_send_signal(g->pidfd, 0, NULL, 0))
			reason = DSM_EXEC_R_GATE;
		if (!reason && move_pid_cached(n, &w->cache, g->pid, g->pe.tgt, 0))
			reason = DSM_EXEC_R_GATE;
		gate_finish(n, w, g, reason);
	}
}

/* A process found in a gate when the watcher starts was never inspected: kill it. */
static void gate_sweep(dsm_node *n)
{
	DIR *d = opendir(n->cgroup_root);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char p[PATH_MAX], buf[4096], *s, *end;
		unsigned long scid;

		if (strncmp(e->d_name, "scid-", 5))
			continue;
		scid = strtoul(e->d_name + 5, &end, 10);
		if (*end || !scid)
			continue;
		snprintf(p, sizeof(p), "%s/%s/" GATE_DIR "/cgroup.procs", n->cgroup_root, e->d_name);
		if (read_small(p, buf, sizeof(buf)) <= 0)
			continue;
		for (s = buf; *s; s = end) {
			long pid = strtol(s, &end, 10);
			struct exec_pending pe = { .type = DSM_EV_EXEC_DENIED, .reason = DSM_EXEC_R_ORPHAN,
						   .tgt = scid };
			int pfd;
			if (end == s)
				break;
			pfd = pidfd_open(pid, 0);
			if (pfd >= 0) {
				pidfd_send_signal(pfd, SIGKILL, NULL, 0);
				close(pfd);
			}
			dsm_ustate_add(n, offsetof(struct dsm_ustate, execs_denied), 1);
			dsm_ustate_add(n, offsetof(struct dsm_ustate, execs_killed), 1);
			exec_event(n, &pe, pid, NULL);
		}
	}
	closedir(d);
}

/* ------------------------------------------------------------------ watcher */

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
	struct wstate *w = calloc(1, sizeof(*w));
	uint64_t last_remark = mono_ns();

	if (!w)
		return NULL;
	for (int i = 0; i < EXEC_FD_CACHE; i++)
		w->cache.fd[i] = -1;
	for (int i = 0; i < GATE_MAX; i++)
		w->g[i].pidfd = -1;
	/* the gate tick needs µs wake-ups, not the default 50 µs slack */
	prctl(PR_SET_TIMERSLACK, 1000UL);

	for (;;) {
		struct pollfd pf[2] = { { n->fan_fd, POLLIN, 0 }, { n->stop_pipe[0], POLLIN, 0 } };
		struct timespec tick = { 0, GATE_TICK_NS }, idle = { 0, 500000000 };
		ssize_t len;
		int pr = ppoll(pf, 2, w->ngated ? &tick : &idle, NULL);
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (w->ngated)
			gate_poll(n, w);
		if (mono_ns() - last_remark >= 500000000ull) {
			/* pick up binaries recorded in the pinned watch map by other processes */
			remark_all(n);
			last_remark = mono_ns();
		}
		if (pr == 0)
			continue;
		if (pf[1].revents)
			break;
		if (!pf[0].revents)
			continue;
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
				int slot;
				resp.response = judge(n, w, m->pid, m->fd, &pe, &slot);
				if (write(n->fan_fd, &resp, sizeof(resp)) < 0) {
					/* nothing more we can do; the kernel denies on group release */
				}
				if (slot >= 0)
					fd_path(m->fd, w->g[slot].path, sizeof(w->g[slot].path));
				if (pe.ctr != (size_t)-1)
					dsm_ustate_add(n, pe.ctr, 1);
				if (pe.type) {
					char path[sizeof(((struct dsm_event *)0)->path)];
					fd_path(m->fd, path, sizeof(path));
					exec_event(n, &pe, m->pid, path);
				}
			}
			close(m->fd);
		}
	}
	/* never release what was not inspected */
	for (int i = 0; i < GATE_MAX; i++)
		if (w->g[i].pidfd >= 0)
			gate_finish(n, w, &w->g[i], DSM_EXEC_R_ORPHAN);
	for (int i = 0; i < EXEC_FD_CACHE; i++)
		if (w->cache.fd[i] >= 0)
			close(w->cache.fd[i]);
	free(w);
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
	/* processes left in a gate by a watcher that died before inspecting them */
	gate_sweep(n);
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
