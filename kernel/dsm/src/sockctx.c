// SPDX-License-Identifier: Apache-2.0
/*
 * The context of a TCP socket as the kernel sees it: the cgroup the socket was created in
 * (INET_DIAG_CGROUP_ID through sock_diag), mapped to the context cgroup scid-N above it. This is
 * the context whose label the socket's packets carry, whatever its owner has exec'd into since.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>

#include "dsm_internal.h"

static int socket_cgroup_id(int family, const void *laddr, uint16_t lport, const void *raddr, uint16_t rport,
			    uint64_t *cg)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY, .nlmsg_flags = NLM_F_REQUEST },
		.r = { .sdiag_family = (uint8_t)family, .sdiag_protocol = IPPROTO_TCP, .idiag_states = ~0u,
		       .id = { .idiag_sport = htons(lport), .idiag_dport = htons(rport),
			       .idiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE } } },
	};
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	size_t alen = family == AF_INET ? 4 : 16;
	ssize_t len;
	int nl, r = -ENOENT;

	memcpy(req.r.id.idiag_src, laddr, alen);
	memcpy(req.r.id.idiag_dst, raddr, alen);
	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return -errno;
	if (send(nl, &req, sizeof(req), 0) != (ssize_t)sizeof(req)) {
		r = -errno;
		goto out;
	}
	len = recv(nl, buf, sizeof(buf), 0);
	if (len < 0) {
		r = -errno;
		goto out;
	}
	if (!NLMSG_OK(h, (size_t)len)) {
		r = -EPROTO;
		goto out;
	}
	if (h->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(h);
		r = e->error ? e->error : -ENOENT;
		goto out;
	}
	if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
		struct inet_diag_msg *m = NLMSG_DATA(h);
		struct rtattr *a = (struct rtattr *)(m + 1);
		int rest = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
		r = -EOPNOTSUPP; /* a kernel without INET_DIAG_CGROUP_ID (before 5.10) */
		for (; RTA_OK(a, rest); a = RTA_NEXT(a, rest))
			if (a->rta_type == INET_DIAG_CGROUP_ID && RTA_PAYLOAD(a) >= sizeof(uint64_t)) {
				memcpy(cg, RTA_DATA(a), sizeof(*cg));
				r = 0;
			}
	}
out:
	close(nl);
	return r;
}

/* the cgroup2 id of a directory (its kernfs file handle) */
static int dir_cgroup_id(const char *path, uint64_t *id)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[sizeof(uint64_t)];
	} h = { .fh = { .handle_bytes = sizeof(uint64_t) } };
	int mount_id;

	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0))
		return -errno;
	memcpy(id, h.fh.f_handle, sizeof(*id));
	return 0;
}

/* depth-first search of dir for the cgroup cg; 1 found, 0 not */
static int find_cgroup(const char *dir, uint64_t cg, int depth)
{
	DIR *d;
	struct dirent *e;
	char p[PATH_MAX];
	uint64_t id = 0;
	int found = 0;

	if (!dir_cgroup_id(dir, &id) && id == cg)
		return 1;
	if (depth == 0 || !(d = opendir(dir)))
		return 0;
	while (!found && (e = readdir(d)))
		if (e->d_type == DT_DIR && e->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			found = find_cgroup(p, cg, depth - 1);
		}
	closedir(d);
	return found;
}

int dsm_inet_socket_context(dsm_node *n, int family, const void *laddr, uint16_t lport, const void *raddr,
			    uint16_t rport, uint32_t *scid)
{
	DIR *d;
	struct dirent *e;
	uint64_t cg = 0;
	int r;

	if (!n || !scid || !laddr || !raddr || (family != AF_INET && family != AF_INET6))
		return dsm_set_err(EINVAL, "inet_socket_context: bad arguments");
	*scid = 0;
	r = socket_cgroup_id(family, laddr, lport, raddr, rport, &cg);
	if (r == -ENOENT)
		return -ENOENT;
	if (r)
		return dsm_set_err(-r, "sock_diag of TCP socket :%u -> :%u: %s", lport, rport, strerror(-r));
	/* contexts are <cgroup_root>/scid-N; nested cgroups below them belong to N */
	d = opendir(n->cgroup_root);
	if (!d)
		return dsm_set_err(errno, "open %s: %s", n->cgroup_root, strerror(errno));
	while ((e = readdir(d))) {
		char p[PATH_MAX], *end;
		unsigned long v;
		if (e->d_type != DT_DIR || strncmp(e->d_name, "scid-", 5))
			continue;
		v = strtoul(e->d_name + 5, &end, 10);
		if (end == e->d_name + 5 || *end)
			continue;
		snprintf(p, sizeof(p), "%s/%s", n->cgroup_root, e->d_name);
		if (find_cgroup(p, cg, 8)) {
			*scid = (uint32_t)v;
			break;
		}
	}
	closedir(d);
	return 0;
}
