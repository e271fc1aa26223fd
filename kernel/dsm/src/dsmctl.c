// SPDX-License-Identifier: Apache-2.0
/* dsmctl: command-line front end of libdsm, for tests and debugging. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <bpf/bpf.h>

#include "dsm_internal.h"

int dsm_internal_counter(dsm_node *n, int idx, uint64_t *out);

static volatile sig_atomic_t stop;
static void on_sig(int s) { (void)s; stop = 1; }

static void usage(void)
{
	fprintf(stderr,
		"usage: dsmctl COMMAND [options]\n"
		"  probe\n"
		"  attach|run --snid N --cgroup DIR --pin DIR --obj dsm.bpf.o [--ifaces a,b] [--netns PATH]\n"
		"             [--label-all] [--label-datagrams] [--no-exec-watch] [--exec-nondump-only]\n"
		"             [--legacy-labels] [--ready FILE]\n"
		"             (run: stay, print events; --label-all: every TCP segment and UDP datagram,\n"
		"              --label-datagrams: every UDP datagram, --legacy-labels: v1 labels, no MAC)\n"
		"  detach --pin DIR\n"
		"  context --pin DIR create|remove SCID\n"
		"  move --pin DIR PID SCID          pid-context --pin DIR PID\n"
		"  label PATH SCID [--pin DIR]       read-label PATH\n"
		"  load-table --pin DIR FILE\n"
		"  swap-loop --pin DIR FILE_A FILE_B COUNT\n"
		"  events --pin DIR [--timeout MS] [--max N]\n"
		"  counters --pin DIR               describe --pin DIR\n"
		"  keys --pin DIR list\n"
		"  keys --pin DIR set SEND_EPOCH [EPOCH:PEER:32HEX ...]   (replaces the whole set)\n");
	exit(2);
}

static const char *type_name(uint32_t t)
{
	switch (t) {
	case DSM_EV_DENY: return "DENY";
	case DSM_EV_AUDIT_DENY: return "AUDIT_DENY";
	case DSM_EV_FORGED_LABEL: return "FORGED_LABEL";
	case DSM_EV_TRANSITION: return "TRANSITION";
	case DSM_EV_EXEC_DENIED: return "EXEC_DENIED";
	}
	return "?";
}

static const char *reason_name(uint32_t r)
{
	static const char *n[] = { "no_rule", "traced", "env", "no_exec", "timeout", "orphan",
				   "dumpable", "gate" };
	return r < sizeof(n) / sizeof(n[0]) ? n[r] : "?";
}

static const char *forged_name(uint32_t r)
{
	static const char *n[] = { "?", "address", "interface", "mac", "no_key", "format", "sealed" };
	return r < sizeof(n) / sizeof(n[0]) ? n[r] : "?";
}

static int parse_key(const char *arg, struct dsm_label_key *k)
{
	char hex[33];
	memset(k, 0, sizeof(*k));
	if (sscanf(arg, "%u:%u:%32[0-9a-fA-F]", &k->epoch, &k->peer_snid, hex) != 3 || strlen(hex) != 32)
		return -1;
	for (int i = 0; i < 16; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		k->key[i] = v;
	}
	return 0;
}

static const char *perm_name(uint32_t p)
{
	static const char *n[] = { "create", "bind", "connect", "send", "receive", "transition", "raw" };
	return p < 7 ? n[p] : "?";
}

static void print_event(const struct dsm_event *e)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &e->saddr, s, sizeof(s));
	inet_ntop(AF_INET, &e->daddr, d, sizeof(d));
	printf("event type=%s perm=%s src=%u@%u tgt=%u@%u rule=%u pid=%d proto=%u saddr=%s sport=%u "
	       "daddr=%s dport=%u suppressed=%u version=%llu time=%llu comm=%s path=%s",
	       type_name(e->type), perm_name(e->permission), e->src_scid, e->src_snid, e->tgt_scid,
	       e->tgt_snid, e->rule_id, e->pid, e->protocol, s, e->sport, d, e->dport, e->suppressed,
	       (unsigned long long)e->policy_version, (unsigned long long)e->time_ns, e->comm, e->path);
	if (e->type == DSM_EV_EXEC_DENIED)
		printf(" reason=%s", reason_name(e->pad[0]));
	if (e->type == DSM_EV_FORGED_LABEL)
		printf(" reason=%s", forged_name(e->pad[0]));
	if (e->type == DSM_EV_DENY && e->pad[0] == DSM_DENY_R_PORT_RESERVED)
		printf(" reason=port_reserved");
	putchar('\n');
	fflush(stdout);
}

/* processes started from a binary that is not setgid (to a group their users are not in) stay
 * dumpable: their own uid can ptrace them and inject code into the new context */
static void label_note(const char *path, uint32_t scid)
{
	struct stat st;
	if (scid && !stat(path, &st) && (!(st.st_mode & S_ISGID) || !(st.st_mode & S_IXGRP) ||
					 st.st_uid != 0 || (st.st_mode & S_IWOTH)))
		fprintf(stderr, "dsmctl: note: %s is not root-owned setgid (e.g. root:<unused group> "
			"2711): a process of the caller's uid can ptrace what it starts in the new "
			"context (README \"Exec transitions\")\n", path);
}

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *b;
	struct stat st;
	if (!f || fstat(fileno(f), &st)) {
		perror(path);
		exit(1);
	}
	b = malloc(st.st_size + 1);
	*len = fread(b, 1, st.st_size, f);
	fclose(f);
	return b;
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int fail(const char *what, int r)
{
	fprintf(stderr, "dsmctl %s: %s (%s)\n", what, dsm_last_error(), strerror(-r));
	return 1;
}

int main(int argc, char **argv)
{
	struct dsm_attach_opts o = { 0 };
	const char *pin = NULL, *ready = NULL;
	int timeout = 0, max = 64;
	dsm_node *n = NULL;
	const char *cmd;
	int r;
	static struct option lo[] = {
		{ "snid", 1, 0, 's' }, { "cgroup", 1, 0, 'c' }, { "pin", 1, 0, 'p' }, { "obj", 1, 0, 'o' },
		{ "ifaces", 1, 0, 'i' }, { "netns", 1, 0, 'n' }, { "label-all", 0, 0, 'L' },
		{ "label-datagrams", 0, 0, 'D' },
		{ "no-exec-watch", 0, 0, 'W' }, { "timeout", 1, 0, 't' }, { "max", 1, 0, 'm' },
		{ "ready", 1, 0, 'r' }, { "exec-nondump-only", 0, 0, 'X' },
		{ "legacy-labels", 0, 0, 'G' }, { 0 } };

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	for (int c; (c = getopt_long(argc, argv, "", lo, NULL)) != -1;) {
		switch (c) {
		case 's': o.snid = strtoul(optarg, 0, 0); break;
		case 'c': o.cgroup_root = optarg; break;
		case 'p': pin = o.pin_dir = optarg; break;
		case 'o': o.bpf_object = optarg; break;
		case 'i': o.ifaces = optarg; break;
		case 'n': o.netns_path = optarg; break;
		case 'L': o.flags |= DSM_F_LABEL_ALL_SEGMENTS; break;
		case 'D': o.flags |= DSM_F_LABEL_ALL_DATAGRAMS; break;
		case 'W': o.flags |= DSM_F_NO_EXEC_WATCH; break;
		case 'X': o.flags |= DSM_F_EXEC_NONDUMP_ONLY; break;
		case 'G': o.flags |= DSM_F_LEGACY_LABELS; break;
		case 't': timeout = atoi(optarg); break;
		case 'm': max = atoi(optarg); break;
		case 'r': ready = optarg; break;
		default: usage();
		}
	}
	char **args = argv + optind;
	int nargs = argc - optind;

	if (!strcmp(cmd, "probe")) {
		char why[2048];
		uint32_t caps = dsm_probe(why, sizeof(why));
		printf("caps 0x%02x\n%s\n", caps, why);
		return caps == 0xff ? 0 : 1;
	}
	if (!strcmp(cmd, "read-label")) {
		uint32_t s;
		if (nargs < 1)
			usage();
		r = dsm_read_label(args[0], &s);
		if (r == -ENODATA) {
			printf("unlabeled\n");
			return 0;
		}
		if (r)
			return fail(cmd, r);
		printf("%u\n", s);
		return 0;
	}
	if (!strcmp(cmd, "label") && !pin) {
		if (nargs < 2)
			usage();
		r = dsm_label_binary(NULL, args[0], strtoul(args[1], 0, 0));
		if (!r)
			label_note(args[0], strtoul(args[1], 0, 0));
		return r ? fail(cmd, r) : 0;
	}
	if (!strcmp(cmd, "attach") || !strcmp(cmd, "run")) {
		int run = !strcmp(cmd, "run");
		if (!run)
			o.flags |= DSM_F_NO_EXEC_WATCH;
		r = dsm_attach(&o, &n);
		if (r)
			return fail(cmd, r);
		if (!run) {
			dsm_close(n);
			return 0;
		}
		signal(SIGTERM, on_sig);
		signal(SIGINT, on_sig);
		if (ready) {
			FILE *f = fopen(ready, "w");
			if (f) {
				fprintf(f, "%d\n", getpid());
				fclose(f);
			}
		}
		fprintf(stderr, "dsmctl run: attached snid %u, pid %d\n", o.snid, getpid());
		struct dsm_event ev[64];
		while (!stop) {
			int c = dsm_poll_events(n, ev, 64, 200);
			for (int i = 0; i < c; i++)
				print_event(&ev[i]);
		}
		dsm_close(n);
		return 0;
	}

	if (!pin)
		usage();
	r = dsm_open_pinned(pin, &n);
	if (r)
		return fail("open", r);

	if (!strcmp(cmd, "detach")) {
		r = dsm_detach(n);
		if (r)
			return fail(cmd, r);
		fprintf(stderr, "%s\n", dsm_last_error());
		dsm_close(n);
		return 0;
	} else if (!strcmp(cmd, "context") && nargs >= 2) {
		uint32_t s = strtoul(args[1], 0, 0);
		r = !strcmp(args[0], "create") ? dsm_context_create(n, s) : dsm_context_remove(n, s);
	} else if (!strcmp(cmd, "move") && nargs >= 2) {
		r = dsm_move_pid(n, atoi(args[0]), strtoul(args[1], 0, 0));
	} else if (!strcmp(cmd, "pid-context") && nargs >= 1) {
		uint32_t s;
		r = dsm_pid_context(n, atoi(args[0]), &s);
		if (!r)
			printf("%u\n", s);
	} else if (!strcmp(cmd, "label") && nargs >= 2) {
		r = dsm_label_binary(n, args[0], strtoul(args[1], 0, 0));
		label_note(args[0], strtoul(args[1], 0, 0));
	} else if (!strcmp(cmd, "load-table") && nargs >= 1) {
		size_t len;
		void *b = read_file(args[0], &len);
		double t0 = now_ms();
		r = dsm_load_table(n, b, len);
		if (!r)
			printf("loaded %s (%zu bytes) in %.2f ms\n", args[0], len, now_ms() - t0);
		free(b);
	} else if (!strcmp(cmd, "swap-loop") && nargs >= 3) {
		size_t la, lb;
		void *a = read_file(args[0], &la), *b = read_file(args[1], &lb);
		int count = atoi(args[2]);
		double worst = 0, total = 0;
		r = 0;
		for (int i = 0; i < count && !r; i++) {
			double t0 = now_ms(), d;
			r = (i & 1) ? dsm_load_table(n, b, lb) : dsm_load_table(n, a, la);
			d = now_ms() - t0;
			total += d;
			if (d > worst)
				worst = d;
		}
		if (!r)
			printf("swaps %d avg %.3f ms max %.3f ms\n", count, total / count, worst);
	} else if (!strcmp(cmd, "events")) {
		struct dsm_event ev[256];
		if (max > 256)
			max = 256;
		r = dsm_poll_events(n, ev, max, timeout);
		for (int i = 0; i < r; i++)
			print_event(&ev[i]);
		r = r < 0 ? r : 0;
	} else if (!strcmp(cmd, "counters")) {
		struct dsm_counters c;
		uint64_t tb = 0, lf = 0, fh = 0, la = 0, sh = 0;
		struct dsm_ustate u = { 0 };
		uint32_t z = 0;
		r = dsm_counters(n, &c);
		bpf_map_lookup_elem(n->fd[M_USTATE], &z, &u);
		dsm_internal_counter(n, DSM_C_TOO_BIG, &tb);
		dsm_internal_counter(n, DSM_C_LABEL_FAIL, &lf);
		dsm_internal_counter(n, DSM_C_FLOW_HITS, &fh);
		dsm_internal_counter(n, DSM_C_LOCAL_ALLOWED, &la);
		dsm_internal_counter(n, DSM_C_SKC_HITS, &sh);
		if (!r)
			printf("policy_version %llu\npackets_labeled %llu\npackets_allowed %llu\n"
			       "packets_denied %llu\npackets_audit_only %llu\nforged_labels %llu\n"
			       "local_denied %llu\nexecs_transitioned %llu\nexecs_denied %llu\n"
			       "events_suppressed %llu\nevents_lost %llu\ntable_swaps %llu\n"
			       "label_too_big %llu\nlabel_failed %llu\nflow_cache_hits %llu\nlocal_allowed %llu\n"
			       "socket_cache_hits %llu\nexecs_killed %llu\nexecs_dumpable %llu\n"
			       "labels_bad_mac %llu\nlabels_no_key %llu\nsealed_drops %llu\nport_guard_drops %llu\n",
			       (unsigned long long)c.policy_version, (unsigned long long)c.packets_labeled,
			       (unsigned long long)c.packets_allowed, (unsigned long long)c.packets_denied,
			       (unsigned long long)c.packets_audit_only, (unsigned long long)c.forged_labels,
			       (unsigned long long)c.local_denied, (unsigned long long)c.execs_transitioned,
			       (unsigned long long)c.execs_denied, (unsigned long long)c.events_suppressed,
			       (unsigned long long)c.events_lost, (unsigned long long)c.table_swaps,
			       (unsigned long long)tb, (unsigned long long)lf, (unsigned long long)fh,
			       (unsigned long long)la, (unsigned long long)sh,
			       (unsigned long long)u.execs_killed, (unsigned long long)u.execs_dumpable,
			       (unsigned long long)c.labels_bad_mac, (unsigned long long)c.labels_no_key,
			       (unsigned long long)c.sealed_drops, (unsigned long long)c.port_guard_drops);
	} else if (!strcmp(cmd, "keys") && nargs >= 1 && !strcmp(args[0], "list")) {
		struct dsm_label_key k[512];
		uint32_t send = 0;
		r = dsm_label_keys_list(n, k, 512, &send);
		if (r >= 0) {
			printf("send_epoch %u\n", send);
			for (int i = 0; i < r && i < 512; i++)
				printf("key epoch %u peer %u\n", k[i].epoch, k[i].peer_snid);
			r = 0;
		}
	} else if (!strcmp(cmd, "keys") && nargs >= 2 && !strcmp(args[0], "set")) {
		int cnt = nargs - 2;
		struct dsm_label_key *k = calloc(cnt + 1, sizeof(*k));
		for (int i = 0; i < cnt; i++)
			if (parse_key(args[2 + i], &k[i])) {
				fprintf(stderr, "dsmctl keys: bad key '%s' (EPOCH:PEER:32 hex digits)\n", args[2 + i]);
				return 2;
			}
		r = dsm_label_keys_replace(n, k, cnt, strtoul(args[1], 0, 0));
		memset(k, 0, (cnt + 1) * sizeof(*k));
		free(k);
		r = r < 0 ? r : 0;
	} else if (!strcmp(cmd, "describe")) {
		char buf[8192];
		r = dsm_describe(n, buf, sizeof(buf));
		if (r >= 0) {
			fputs(buf, stdout);
			r = 0;
		}
	} else
		usage();
	if (r)
		return fail(cmd, r);
	dsm_close(n);
	return 0;
}
