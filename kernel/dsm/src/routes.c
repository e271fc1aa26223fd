// SPDX-License-Identifier: Apache-2.0
/*
 * Room for the label: the route MTU of the IPv4 routes through the cluster interfaces is lowered
 * by the label's length, so the stack cuts TCP segments (MSS follows the route MTU) and fragments
 * datagrams with room left for the option, and full-size traffic keeps flowing labeled without an
 * operator step. What was changed is recorded in the pinned map dsm_routes and put back on detach
 * (only where the route still has the MTU the DSM set). Runs inside the node's network namespace
 * (the tc job's thread). Routes added after the attach are adjusted at the next attach.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>

#include "dsm_internal.h"

#define NLBUF 65536

struct route {
	struct dsm_route_key key;
	uint32_t mtu;            /* RTAX_MTU, 0 = none */
	struct nlmsghdr *msg;    /* the dumped message (inside the dump buffer) */
};

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static int dev_mtu(const char *name)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	r = ioctl(fd, SIOCGIFMTU, &ifr) ? -errno : ifr.ifr_mtu;
	close(fd);
	return r;
}

/* the route a dumped message describes; 0 when it is an IPv4 unicast route of the main table
 * through ifindex */
static int parse_route(struct nlmsghdr *h, int ifindex, struct route *out)
{
	struct rtmsg *rt = NLMSG_DATA(h);
	struct rtattr *a = RTM_RTA(rt);
	int len = RTM_PAYLOAD(h);
	uint32_t table = rt->rtm_table, oif = 0;

	memset(out, 0, sizeof(*out));
	if (rt->rtm_family != AF_INET || rt->rtm_type != RTN_UNICAST)
		return -1;
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		switch (a->rta_type) {
		case RTA_TABLE: table = *(uint32_t *)RTA_DATA(a); break;
		case RTA_OIF: oif = *(uint32_t *)RTA_DATA(a); break;
		case RTA_DST: memcpy(&out->key.dst, RTA_DATA(a), 4); break;
		case RTA_PRIORITY: out->key.prio = *(uint32_t *)RTA_DATA(a); break;
		case RTA_METRICS: {
			struct rtattr *m = RTA_DATA(a);
			int ml = RTA_PAYLOAD(a);
			for (; RTA_OK(m, ml); m = RTA_NEXT(m, ml))
				if (m->rta_type == RTAX_MTU)
					out->mtu = *(uint32_t *)RTA_DATA(m);
			break;
		}
		}
	}
	if (table != RT_TABLE_MAIN || oif != (uint32_t)ifindex)
		return -1;
	out->key.plen = rt->rtm_dst_len;
	out->key.table = table;
	out->key.oif = oif;
	out->msg = h;
	return 0;
}

static int nl_ack(int fd, char *buf)
{
	ssize_t n = recv(fd, buf, NLBUF, 0);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if (n < 0)
		return -errno;
	if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) && h->nlmsg_type == NLMSG_ERROR)
		return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	return 0;
}

/* re-sends a dumped route with RTAX_MTU = mtu (0: without RTAX_MTU), every other attribute kept */
static int replace_mtu(int fd, struct route *r, uint32_t mtu, char *ackbuf)
{
	char req[4096];
	struct nlmsghdr *h = (struct nlmsghdr *)req;
	struct rtmsg *rt;
	struct rtattr *a, *m, *out;
	int len, mlen = 0;
	char metrics[512];

	if (r->msg->nlmsg_len > sizeof(req) - 600)
		return -E2BIG;
	memcpy(req, r->msg, NLMSG_LENGTH(sizeof(struct rtmsg)));
	h->nlmsg_type = RTM_NEWROUTE;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_REPLACE | NLM_F_ACK;
	h->nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	rt = NLMSG_DATA(h);
	rt->rtm_flags = 0;
	a = RTM_RTA(NLMSG_DATA(r->msg));
	len = RTM_PAYLOAD(r->msg);
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_CACHEINFO || a->rta_type == RTA_TABLE)
			continue;
		if (a->rta_type == RTA_METRICS) {   /* the other metrics stay */
			m = RTA_DATA(a);
			int ml = RTA_PAYLOAD(a);
			for (; RTA_OK(m, ml); m = RTA_NEXT(m, ml))
				if (m->rta_type != RTAX_MTU && mlen + RTA_ALIGN(m->rta_len) <= (int)sizeof(metrics) - 16) {
					memcpy(metrics + mlen, m, m->rta_len);
					mlen += RTA_ALIGN(m->rta_len);
				}
			continue;
		}
		out = (struct rtattr *)(req + NLMSG_ALIGN(h->nlmsg_len));
		memcpy(out, a, a->rta_len);
		h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
	}
	if (mtu) {
		m = (struct rtattr *)(metrics + mlen);
		m->rta_type = RTAX_MTU;
		m->rta_len = RTA_LENGTH(4);
		memcpy(RTA_DATA(m), &mtu, 4);
		mlen += RTA_ALIGN(m->rta_len);
	}
	out = (struct rtattr *)(req + NLMSG_ALIGN(h->nlmsg_len));
	out->rta_type = RTA_TABLE;
	out->rta_len = RTA_LENGTH(4);
	memcpy(RTA_DATA(out), &r->key.table, 4);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(out->rta_len);
	if (mlen) {
		out = (struct rtattr *)(req + NLMSG_ALIGN(h->nlmsg_len));
		out->rta_type = RTA_METRICS;
		out->rta_len = RTA_LENGTH(mlen);
		memcpy(RTA_DATA(out), metrics, mlen);
		h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(out->rta_len);
	}
	if (send(fd, req, h->nlmsg_len, 0) < 0)
		return -errno;
	return nl_ack(fd, ackbuf);
}

/* dumps the IPv4 routes into buf; returns the length or -errno */
static int dump_routes(int fd, char *buf)
{
	struct { struct nlmsghdr h; struct rtmsg r; } req = {
		.h = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETROUTE,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.r = { .rtm_family = AF_INET },
	};
	int used = 0;

	if (send(fd, &req, sizeof(req), 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf + used, NLBUF - used, 0);
		struct nlmsghdr *h = (struct nlmsghdr *)(buf + used);
		int done = 0;
		if (n < 0)
			return -errno;
		for (int l = n; NLMSG_OK(h, l); h = NLMSG_NEXT(h, l)) {
			if (h->nlmsg_type == NLMSG_DONE)
				done = 1;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		}
		used += n;
		if (done)
			return used;
		if (NLBUF - used < 8192)
			return -E2BIG;
	}
}

/*
 * restore == 0: every route through ifname gets MTU (device MTU - room) unless it already has a
 * smaller one; the original MTU is recorded. restore == 1: recorded routes of ifindex get their
 * original MTU back when they still have the one the DSM set; records go.
 */
int dsm_routes_room(dsm_node *n, const char *ifname, int ifindex, uint32_t room, int restore, char *msg,
		    size_t msglen)
{
	static __thread char buf[NLBUF], ack[NLBUF];
	int fd, len, want = 0, r = 0;
	struct route rt;

	if (n->fd[M_ROUTES] < 0)
		return 0;   /* pins of a libdsm without it */
	if (!restore) {
		int m = dev_mtu(ifname);
		if (m < 0) {
			snprintf(msg, msglen, "MTU of %s: %s", ifname, strerror(-m));
			return m;
		}
		want = m - (int)room;
	}
	fd = nl_open();
	if (fd < 0) {
		snprintf(msg, msglen, "netlink route socket: %s", strerror(-fd));
		return fd;
	}
	len = dump_routes(fd, buf);
	if (len < 0) {
		snprintf(msg, msglen, "dump routes: %s", strerror(-len));
		close(fd);
		return len;
	}
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
		struct dsm_route_val v;
		int rr;
		if (h->nlmsg_type != RTM_NEWROUTE || parse_route(h, ifindex, &rt))
			continue;
		if (restore) {
			if (bpf_map_lookup_elem(n->fd[M_ROUTES], &rt.key, &v))
				continue;
			if (rt.mtu == v.set_mtu && (rr = replace_mtu(fd, &rt, v.orig_mtu, ack)) && !r) {
				r = rr;
				snprintf(msg, msglen, "restore the MTU of a route through %s: %s", ifname, strerror(-rr));
			}
			bpf_map_delete_elem(n->fd[M_ROUTES], &rt.key);
			continue;
		}
		if (rt.mtu && rt.mtu <= (uint32_t)want)
			continue;   /* already leaves room (set by the operator or by an earlier attach) */
		if (bpf_map_lookup_elem(n->fd[M_ROUTES], &rt.key, &v))
			v.orig_mtu = rt.mtu;   /* first time: remember what the route had */
		v.set_mtu = want;
		rr = replace_mtu(fd, &rt, want, ack);
		if (rr) {
			r = rr;
			snprintf(msg, msglen, "set MTU %d on a route through %s: %s", want, ifname, strerror(-rr));
			break;
		}
		bpf_map_update_elem(n->fd[M_ROUTES], &rt.key, &v, BPF_ANY);
	}
	close(fd);
	return r;
}
