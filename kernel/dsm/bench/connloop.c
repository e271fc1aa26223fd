// SPDX-License-Identifier: Apache-2.0
/* Bench helper (only for the bench namespaces' addresses):
 *   connloop server PORT SECONDS         accept and close connections
 *   connloop client ADDR PORT SECONDS    connect/close in a loop, print "connects N rate R/s"
 *   connloop exec N BINARY [ARGS]        fork+exec+wait N times, print "exec avg_us X"
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "server")) {
		int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
		double end = now() + atof(argv[3]);
		struct timeval tv = { 0, 200000 };
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (bind(s, (void *)&a, sizeof(a)) || listen(s, 1024)) {
			perror("server");
			return 1;
		}
		long n = 0;
		while (now() < end) {
			int c = accept(s, NULL, NULL);
			if (c >= 0) {
				close(c);
				n++;
			}
		}
		printf("accepted %ld\n", n);
		return 0;
	}
	if (argc >= 5 && !strcmp(argv[1], "client")) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[3])) };
		double t0 = now(), end = t0 + atof(argv[4]);
		long n = 0, err = 0;
		inet_pton(AF_INET, argv[2], &a.sin_addr);
		while (now() < end) {
			int c = socket(AF_INET, SOCK_STREAM, 0);
			struct linger l = { 1, 0 }; /* RST on close: no TIME_WAIT pile-up */
			if (connect(c, (void *)&a, sizeof(a)) == 0)
				n++;
			else
				err++;
			setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			close(c);
		}
		printf("connects %ld errors %ld rate %.0f\n", n, err, n / (now() - t0));
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "exec")) {
		int n = atoi(argv[2]);
		double t0 = now();
		for (int i = 0; i < n; i++) {
			pid_t p = fork();
			if (p == 0) {
				execv(argv[3], argv + 3);
				_exit(127);
			}
			int st;
			waitpid(p, &st, 0);
			if (!WIFEXITED(st) || WEXITSTATUS(st)) {
				fprintf(stderr, "exec failed\n");
				return 1;
			}
		}
		printf("exec avg_us %.1f\n", (now() - t0) / n * 1e6);
		return 0;
	}
	fprintf(stderr, "usage: connloop server PORT SECS | client ADDR PORT SECS | exec N BIN [ARGS]\n");
	return 2;
}
