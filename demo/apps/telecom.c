/* SPDX-License-Identifier: Apache-2.0
 * The seed 002 demo applications (PhoneMania / RingBell), as small UDP programs.
 * One source, built five times (Makefile): the role is fixed at compile time, so each
 * executable is a distinct file that SetSID (dsi:set-sid) can label and exec transitions key on.
 *
 *   PhoneManiaBE / RingBellBE  -h HOST -p PORT          back end: answers "quotation for X is N"
 *   PhoneManiaEP / RingBellEP  -h HOST -p PORT -b BEHOST [-r BEPORT] [-w MS]
 *                              entry point: forwards each request to the back end, relays the answer
 *   TelecomClient              -h HOST -p PORT [-c COMPANY] [-t MS]
 *                              exit 0: quote delivered; 1: no answer in time; 2: send refused/error
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ROLE_BE 1
#define ROLE_EP 2
#define ROLE_CLIENT 3
#ifndef ROLE
#error "build with -DROLE=... -DOPERATOR=..."
#endif
#ifndef OPERATOR
#define OPERATOR "CLIENT"
#endif
#ifndef DEFAULT_BE_PORT
#define DEFAULT_BE_PORT 0
#endif

static void usage(const char *me)
{
	fprintf(stderr, "usage: %s -h HOST -p PORT%s\n", me,
		ROLE == ROLE_EP ? " -b BACKEND-HOST [-r BACKEND-PORT] [-w MS]" :
		ROLE == ROLE_CLIENT ? " [-c COMPANY] [-t MS]" : "");
	exit(64);
}

static int addr_of(const char *host, int port, struct sockaddr_in *a)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

static const char *fmt(const struct sockaddr_in *a)
{
	static char buf[2][64];
	static int i;
	char ip[INET_ADDRSTRLEN];
	i ^= 1;
	inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
	snprintf(buf[i], sizeof(buf[i]), "%s:%d", ip, ntohs(a->sin_port));
	return buf[i];
}

/* wait up to ms for a datagram; returns its length, 0 on timeout, -1 on error */
static ssize_t recv_wait(int fd, char *buf, size_t len, struct sockaddr_in *from, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r = poll(&p, 1, ms);
	if (r <= 0)
		return r;
	socklen_t fl = sizeof(*from);
	ssize_t n = recvfrom(fd, buf, len - 1, 0, (struct sockaddr *)from, &fl);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

static int quote_of(const char *company)
{
	unsigned h = 5381;
	for (const char *c = company; *c; c++)
		h = h * 33 + (unsigned char)*c;
	return 10 + h % 90;
}

int main(int argc, char **argv)
{
	const char *host = NULL, *behost = NULL, *company = "Ericsson";
	int port = 0, beport = DEFAULT_BE_PORT, wait_ms = 1500, opt;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "h:p:b:r:w:c:t:")) != -1) {
		switch (opt) {
		case 'h': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'b': behost = optarg; break;
		case 'r': beport = atoi(optarg); break;
		case 'w': case 't': wait_ms = atoi(optarg); break;
		case 'c': company = optarg; break;
		default: usage(argv[0]);
		}
	}
	struct sockaddr_in self, be, peer;
	if (!host || port <= 0 || addr_of(host, port, &self) < 0)
		usage(argv[0]);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		printf("%s: socket refused: %s\n", OPERATOR, strerror(errno));
		return 2;
	}
	char buf[512], out[600];

#if ROLE == ROLE_CLIENT
	printf("Connecting to %s\n", fmt(&self));
	snprintf(out, sizeof(out), "QUOTE %s", company);
	printf("Requesting quotation for %s\n", company);
	if (sendto(fd, out, strlen(out), 0, (struct sockaddr *)&self, sizeof(self)) < 0) {
		printf("Request refused: %s\n", strerror(errno));
		return 2;
	}
	ssize_t n = recv_wait(fd, buf, sizeof(buf), &peer, wait_ms);
	if (n <= 0) {
		printf("No quote for %s (no answer within %d ms)\n", company, wait_ms);
		return 1;
	}
	printf("Quote %s: %s\n", company, buf);
	return 0;
#else
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&self, sizeof(self)) < 0) {
		printf("%s: bind on %s refused: %s\n", OPERATOR, fmt(&self), strerror(errno));
		return 2;
	}
	printf("%s: bind on %s\n", OPERATOR, fmt(&self));
#if ROLE == ROLE_EP
	if (!behost || beport <= 0 || addr_of(behost, beport, &be) < 0)
		usage(argv[0]);
	printf("%s: connect on %s\n", OPERATOR, fmt(&be));
#endif
	for (;;) {
		socklen_t pl = sizeof(peer);
		ssize_t n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&peer, &pl);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			printf("%s: receive failed: %s\n", OPERATOR, strerror(errno));
			return 2;
		}
		buf[n] = 0;
		const char *what = strncmp(buf, "QUOTE ", 6) == 0 ? buf + 6 : buf;
#if ROLE == ROLE_BE
		printf("%s backend : processing quotation request for %s from %s\n", OPERATOR, what, fmt(&peer));
		snprintf(out, sizeof(out), "%s: quotation for %s is %d", OPERATOR, what, quote_of(what));
		printf("%s backend : quotation for %s is %d\n", OPERATOR, what, quote_of(what));
		if (sendto(fd, out, strlen(out), 0, (struct sockaddr *)&peer, pl) < 0)
			printf("%s backend : answer to %s refused: %s\n", OPERATOR, fmt(&peer), strerror(errno));
#else
		struct sockaddr_in client = peer;
		printf("%s: quotation request for %s received from %s\n", OPERATOR, what, fmt(&client));
		/* forward from the bound socket, so the back end answers to this labeled port */
		if (sendto(fd, buf, n, 0, (struct sockaddr *)&be, sizeof(be)) < 0) {
			printf("%s: forward to %s refused: %s\n", OPERATOR, fmt(&be), strerror(errno));
			continue;
		}
		printf("%s: request forwarded to %s\n", OPERATOR, fmt(&be));
		char ans[512];
		ssize_t m;
		for (;;) {
			m = recv_wait(fd, ans, sizeof(ans), &peer, wait_ms);
			if (m <= 0 || (peer.sin_addr.s_addr == be.sin_addr.s_addr && peer.sin_port == be.sin_port))
				break;
			/* another client's request while waiting: dropped (clients retry) */
		}
		if (m <= 0) {
			printf("%s: no answer from %s within %d ms\n", OPERATOR, fmt(&be), wait_ms);
			continue;
		}
		if (sendto(fd, ans, m, 0, (struct sockaddr *)&client, sizeof(client)) < 0)
			printf("%s: answer to %s refused: %s\n", OPERATOR, fmt(&client), strerror(errno));
		else
			printf("%s: answer relayed to %s: %s\n", OPERATOR, fmt(&client), ans);
#endif
	}
#endif
}
