// SPDX-License-Identifier: Apache-2.0
/*
 * Test helper for exec transitions (tests/run.sh), one binary, several roles:
 *   mark FILE [sleep]          write "pid <cgroup>" to FILE (the labeled program); sleep: then stay
 *   traceme BIN ARGS...        fork; the child PTRACE_TRACEMEs and execs BIN; prints the outcome
 *   thread-traced BIN ARGS...  fork; a second thread of the child, seized by the parent, execs BIN
 *   thread-exec BIN ARGS...    a second thread execs BIN (untraced)
 *   exec-try BIN FILE SIZE     exec BIN with one SIZE-byte argument (SIZE 0: none); if the exec
 *                              fails, write "old program continued in <cgroup>" to FILE
 *   attack PID                 PTRACE_ATTACH, process_vm_writev, open /proc/PID/mem for writing;
 *                              prints "attach=... vm_writev=... mem=..." (ok or the errno name)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

static const char *ename(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case ESRCH: return "ESRCH";
	case EIO: return "EIO";
	}
	return strerror(e);
}

/* the cgroup v2 line ("0::/path") of /proc/self/cgroup */
static void cgroup_line(char *out, size_t len)
{
	char buf[4096], *l;
	int fd = open("/proc/self/cgroup", O_RDONLY);
	ssize_t r = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	buf[r > 0 ? r : 0] = 0;
	if (fd >= 0)
		close(fd);
	l = strstr(buf, "0::");
	l = l && (l == buf || l[-1] == '\n') ? l : "";
	snprintf(out, len, "%.*s", (int)strcspn(l, "\n"), l);
}

/* waits for child c (tracing whatever stops), prints how it ended */
static int reap(pid_t c)
{
	int st;
	pid_t p;

	alarm(20);
	while ((p = waitpid(-1, &st, __WALL)) > 0) {
		if (WIFSTOPPED(st)) {
			int sig = WSTOPSIG(st);
			ptrace(PTRACE_CONT, p, 0, (sig == SIGTRAP || sig == SIGSTOP) ? 0 : sig);
			continue;
		}
		if (p != c)
			continue;
		if (WIFEXITED(st))
			printf("exit %d\n", WEXITSTATUS(st));
		else
			printf("signal %d\n", WTERMSIG(st));
		return 0;
	}
	printf("wait failed: %s\n", strerror(errno));
	return 1;
}

static char **exec_argv;
static int go_pipe[2], tid_pipe[2];

static void *exec_thread(void *arg)
{
	pid_t tid = syscall(SYS_gettid);
	char c;

	if (write(tid_pipe[1], &tid, sizeof(tid)) != sizeof(tid) || read(go_pipe[0], &c, 1) != 1)
		_exit(4);
	execv(exec_argv[0], exec_argv);
	printf("exec-failed %s\n", strerror(errno));
	fflush(stdout);
	_exit(3);
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "mark")) {
		char cg[512], tmp[1024];
		int fd;
		cgroup_line(cg, sizeof(cg));
		snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			return 2;
		dprintf(fd, "%d %s\n", getpid(), cg);
		close(fd);
		rename(tmp, argv[2]);
		if (argc >= 4 && !strcmp(argv[3], "sleep"))
			for (;;)
				pause();
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "traceme")) {
		pid_t c = fork();
		if (c == 0) {
			ptrace(PTRACE_TRACEME, 0, 0, 0);
			execv(argv[2], argv + 2);
			printf("exec-failed %s\n", strerror(errno));
			fflush(stdout);
			_exit(3);
		}
		return reap(c);
	}
	if (argc >= 3 && (!strcmp(argv[1], "thread-traced") || !strcmp(argv[1], "thread-exec"))) {
		int traced = !strcmp(argv[1], "thread-traced");
		pid_t c, tid;
		if (pipe(go_pipe) || pipe(tid_pipe))
			return 2;
		exec_argv = argv + 2;
		c = fork();
		if (c == 0) {
			pthread_t t;
			pthread_create(&t, NULL, exec_thread, NULL);
			for (;;)
				pause();
		}
		if (read(tid_pipe[0], &tid, sizeof(tid)) != sizeof(tid))
			return 2;
		if (traced && ptrace(PTRACE_SEIZE, tid, 0, 0)) {
			printf("seize failed: %s\n", strerror(errno));
			kill(c, SIGKILL);
			return 2;
		}
		if (write(go_pipe[1], "g", 1) != 1)
			return 2;
		return reap(c);
	}
	if (argc >= 5 && !strcmp(argv[1], "exec-try")) {
		size_t n = strtoul(argv[4], NULL, 10);
		char *args[3] = { argv[2], NULL, NULL }, cg[512];
		FILE *f;
		if (n) {
			args[1] = malloc(n + 1);
			memset(args[1], 'x', n);
			args[1][n] = 0;
		}
		execv(argv[2], args);
		cgroup_line(cg, sizeof(cg));
		f = fopen(argv[3], "w");
		if (f) {
			fprintf(f, "old program continued in %s after %s\n", cg, strerror(errno));
			fclose(f);
		}
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "attack")) {
		pid_t p = atoi(argv[2]);
		char b = 0, path[64];
		struct iovec l = { &b, 1 }, r = { (void *)1, 1 };
		const char *a, *v, *m;
		int fd;
		if (ptrace(PTRACE_ATTACH, p, 0, 0) == 0) {
			a = "ok";
			waitpid(p, NULL, __WALL);
			ptrace(PTRACE_DETACH, p, 0, 0);
		} else
			a = ename(errno);
		/* the permission check comes first: EFAULT (bad address) means it passed */
		v = process_vm_writev(p, &l, 1, &r, 1, 0) < 0 ? ename(errno) : "ok";
		snprintf(path, sizeof(path), "/proc/%d/mem", p);
		fd = open(path, O_RDWR);
		m = fd < 0 ? ename(errno) : "ok";
		if (fd >= 0)
			close(fd);
		printf("attach=%s vm_writev=%s mem=%s\n", a, v, m);
		return 0;
	}
	fprintf(stderr, "usage: see the comment in tests/exec_tool.c\n");
	return 2;
}
