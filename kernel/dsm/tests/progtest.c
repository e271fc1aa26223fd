// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the ingress program's pieces through BPF_PROG_TEST_RUN: the label option parser
 * (every malformed layout), the MAC check and the caches, without any network. The node is
 * attached by this program (libdsm, no interfaces) into CGROUP_ROOT / PIN_DIR; it moves itself into
 * context 10, so the socket the kernel makes for each test run belongs to context 10 of node 2.
 *
 *   progtest OBJ CGROUP_ROOT PIN_DIR ALLOW_TABLE DENY_TABLE
 *
 * ALLOW_TABLE: nodes 1 = 10.1.0.1 and 2 = 10.1.0.2, contexts 10 and 20, 10 may receive from 10
 * (rule 1); DENY_TABLE: the same without that rule. Prints one "ok"/"not ok" line per case and
 * exits 1 when a case failed. Detaches what it attached.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "dsm_internal.h"
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#include "label_mac.h"

int dsm_internal_counter(dsm_node *n, int idx, uint64_t *out);

static const uint8_t K12[16] = { 0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
				 0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f };
static dsm_node *node;
static int prog_fd, failed;

struct counts { uint64_t forged, bad_mac, denied, allowed, cache_hits; };

static struct counts now(void)
{
	struct dsm_counters c;
	struct counts r = { 0 };
	dsm_counters(node, &c);
	r.forged = c.forged_labels;
	r.bad_mac = c.labels_bad_mac;
	r.denied = c.packets_denied;
	r.allowed = c.packets_allowed;
	dsm_internal_counter(node, DSM_C_SKC_HITS, &r.cache_hits);
	return r;
}

/* a UDP datagram 10.1.0.1:sport -> 10.1.0.2:7000 behind an Ethernet header, with these options */
static size_t packet(uint8_t *p, const uint8_t *opts, size_t olen, uint16_t sport)
{
	size_t ihl = 20 + olen, tot = ihl + 8 + 4;
	memset(p, 0, 14 + tot);
	p[12] = 0x08;   /* ethertype IPv4 */
	uint8_t *ip = p + 14;
	ip[0] = 0x40 | (ihl / 4);
	ip[2] = tot >> 8;
	ip[3] = tot & 0xff;
	ip[8] = 64;
	ip[9] = 17;
	inet_pton(AF_INET, "10.1.0.1", ip + 12);
	inet_pton(AF_INET, "10.1.0.2", ip + 16);
	memcpy(ip + 20, opts, olen);
	uint8_t *udp = ip + ihl;
	udp[0] = sport >> 8;
	udp[1] = sport & 0xff;
	udp[2] = 7000 >> 8;
	udp[3] = 7000 & 0xff;
	udp[5] = 12;
	memcpy(udp + 8, "test", 4);
	return 14 + tot;
}

/* a v2 label of (snid, scid, epoch) for that datagram, MAC under key (NULL: MAC zero) */
static void label(uint8_t *o, uint32_t snid, uint32_t scid, uint8_t epoch, const uint8_t *key, uint16_t sport)
{
	uint32_t s, d;
	uint64_t k0, k1, mac = 0;
	memset(o, 0, 20);
	o[0] = DSM_OPT_TYPE;
	o[1] = DSM_OPT_LEN_V2;
	o[2] = DSM_OPT_V2;
	o[3] = epoch;
	o[4] = snid >> 8;
	o[5] = snid & 0xff;
	o[6] = scid >> 24;
	o[7] = (scid >> 16) & 0xff;
	o[8] = (scid >> 8) & 0xff;
	o[9] = scid & 0xff;
	inet_pton(AF_INET, "10.1.0.1", &s);
	inet_pton(AF_INET, "10.1.0.2", &d);
	if (key) {
		memcpy(&k0, key, 8);
		memcpy(&k1, key + 8, 8);
		mac = dsm_label_mac(k0, k1, o, s, d, htons(sport), htons(7000), 0, 17);
	}
	memcpy(o + DSM_OPT_V2_MAC, &mac, 8);
}

static int run(const uint8_t *pkt, size_t len)
{
	uint8_t out[256];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	int r = bpf_prog_test_run_opts(prog_fd, &o);
	if (r) {
		fprintf(stderr, "bpf_prog_test_run: %s\n", strerror(errno));
		exit(1);
	}
	return (int)o.retval;
}

/* expect: verdict, and which counter moved by one: 'f' forged (format), 'm' forged with bad MAC /
 * no key, 'd' denied as unlabeled or by the policy, 'a' allowed */
static void check(const char *name, const uint8_t *opts, size_t olen, uint16_t sport, int want, char moved)
{
	uint8_t pkt[256];
	size_t len = packet(pkt, opts, olen, sport);
	struct counts b = now();
	int v = run(pkt, len);
	struct counts a = now();
	int ok = v == want;
	switch (moved) {
	case 'f': ok = ok && a.forged == b.forged + 1 && a.bad_mac == b.bad_mac; break;
	case 'm': ok = ok && a.forged == b.forged + 1 && a.bad_mac == b.bad_mac + 1; break;
	case 'd': ok = ok && a.denied == b.denied + 1 && a.forged == b.forged; break;
	case 'a': ok = ok && a.allowed == b.allowed + 1 && a.forged == b.forged; break;
	}
	printf("%s %s (verdict %d, forged +%llu, bad_mac +%llu, denied +%llu, allowed +%llu)\n", ok ? "ok" : "not ok",
	       name, v, (unsigned long long)(a.forged - b.forged), (unsigned long long)(a.bad_mac - b.bad_mac),
	       (unsigned long long)(a.denied - b.denied), (unsigned long long)(a.allowed - b.allowed));
	if (!ok)
		failed = 1;
}

/* the cgroup v2 path of this process, to return to it before the detach removes the contexts */
static void where_am_i(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "r");
	char line[512];
	out[0] = 0;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = 0;
			snprintf(out, len, "%s", line + 3);
		}
	if (f)
		fclose(f);
}

static void back_to(const char *home)
{
	char p[1024];
	FILE *f;
	snprintf(p, sizeof(p), "/sys/fs/cgroup/unified%s/cgroup.procs", home);
	f = fopen(p, "w");
	if (f) {
		fprintf(f, "%d\n", getpid());
		fclose(f);
	}
}

static void *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	static uint8_t buf[1 << 20];
	if (!f) {
		perror(path);
		exit(1);
	}
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	struct dsm_attach_opts ao = { .snid = 2, .flags = DSM_F_NO_EXEC_WATCH, .ifaces = "" };
	struct dsm_label_key keys[2] = { { .epoch = 1, .peer_snid = 1 }, { .epoch = 1, .peer_snid = 2 } };
	uint8_t o[64], l[20];
	char path[512], home[512];
	size_t tlen;
	void *t;

	if (argc != 6) {
		fprintf(stderr, "usage: progtest OBJ CGROUP_ROOT PIN_DIR ALLOW_TABLE DENY_TABLE\n");
		return 2;
	}
	where_am_i(home, sizeof(home));
	ao.bpf_object = argv[1];
	ao.cgroup_root = argv[2];
	ao.pin_dir = argv[3];
	if (dsm_attach(&ao, &node)) {
		fprintf(stderr, "dsm_attach: %s\n", dsm_last_error());
		return 1;
	}
	memcpy(keys[0].key, K12, 16);
	memset(keys[1].key, 0x22, 16);
	t = read_all(argv[4], &tlen);
	if (dsm_context_create(node, 10) || dsm_context_create(node, 20) || dsm_load_table(node, t, tlen) ||
	    dsm_label_keys_replace(node, keys, 2, 1) < 0 || dsm_move_pid(node, getpid(), 10)) {
		fprintf(stderr, "setup: %s\n", dsm_last_error());
		dsm_detach(node);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/prog_dsi_ingress", argv[3]);
	prog_fd = bpf_obj_get(path);
	if (prog_fd < 0) {
		perror(path);
		return 1;
	}

	/* the MAC */
	label(l, 1, 10, 1, K12, 40000);
	check("v2 label with a valid MAC: allowed", l, 20, 40000, 1, 'a');
	check("the same label on another source port: refused", l, 20, 40001, 0, 'm');
	label(l, 1, 10, 1, K12, 40000);
	l[DSM_OPT_V2_MAC + 3] ^= 0x10;
	check("one MAC bit flipped: refused", l, 20, 40000, 0, 'm');
	label(l, 1, 10, 1, K12, 40000);
	l[9] = 20;   /* ScID 10 -> 20 after the MAC was computed */
	check("ScID changed after the MAC: refused", l, 20, 40000, 0, 'm');
	label(l, 1, 10, 7, K12, 40000);
	check("an epoch nobody holds: refused (no key)", l, 20, 40000, 0, 'm');
	label(l, 1, 10, 0, K12, 40000);
	check("epoch 0: refused (no key)", l, 20, 40000, 0, 'm');
	label(l, 1, 10, 1, NULL, 40000);
	check("MAC zero (a sender without a key): refused", l, 20, 40000, 0, 'm');

	/* the parser: malformed labels are forged (format), never "no label" */
	{
		uint8_t v1[8] = { DSM_OPT_TYPE, 8, 0, 1, 0, 0, 0, 10 };
		check("v1 label where v2 is required: refused (format)", v1, 8, 40000, 0, 'f');
	}
	label(l, 1, 10, 1, K12, 40000);
	check("v2 label cut by the header length (8 of 20 bytes): refused", l, 8, 40000, 0, 'f');
	label(l, 1, 10, 1, K12, 40000);
	l[2] = 3;
	check("version 3: refused (format)", l, 20, 40000, 0, 'f');
	label(l, 1, 10, 1, K12, 40000);
	l[10] = 1;
	check("reserved bytes not zero: refused (format)", l, 20, 40000, 0, 'f');
	label(l, 1, 10, 1, K12, 40000);
	l[1] = 16;
	check("label option of length 16: refused (format)", l, 20, 40000, 0, 'f');

	/* option lists that hold no label: judged as unlabeled (0, 0), which 10 may not receive */
	memset(o, 0, sizeof(o));
	check("no options: unlabeled", o, 0, 40000, 0, 'd');
	o[0] = 0x44; o[1] = 0;   /* length 0 */
	label(o + 4, 1, 10, 1, K12, 40000);
	check("zero option length before a label: no label", o, 24, 40000, 0, 'd');
	o[1] = 1;                /* length 1 */
	check("one-byte option length before a label: no label", o, 24, 40000, 0, 'd');
	memset(o, 0, 4);         /* end of list, then the label */
	label(o + 4, 1, 10, 1, K12, 40000);
	check("label after the end-of-list option: no label", o, 24, 40000, 0, 'd');
	memset(o, 1, 20);   /* no-op options */
	label(o + 20, 1, 10, 1, K12, 40000);
	check("40 bytes of options, label after 20 no-ops: no label (scan stops)", o, 40, 40000, 0, 'd');
	memset(o, 0, sizeof(o));
	o[0] = 7; o[1] = 39; o[2] = 4;   /* record route filling the 40 bytes */
	check("40 bytes of record-route: no label", o, 40, 40000, 0, 'd');
	o[0] = 1; o[1] = 1;              /* two no-ops, then the label */
	label(o + 2, 1, 10, 1, K12, 40000);
	o[22] = 0; o[23] = 0;
	check("label after two no-ops: found and allowed", o, 24, 40000, 1, 'a');

	/* duplicated labels: the first one decides */
	label(o, 1, 10, 1, K12, 40000);
	label(o + 20, 1, 10, 1, NULL, 40000);
	check("valid label, then a forged one: allowed by the first", o, 40, 40000, 1, 'a');
	label(o, 1, 10, 1, NULL, 40000);
	label(o + 20, 1, 10, 1, K12, 40000);
	check("forged label, then a valid one: refused by the first", o, 40, 40000, 0, 'm');

	/* the verdict cache: a repeat is answered by it; a table swap invalidates it */
	label(l, 1, 10, 1, K12, 40002);
	check("allowed once", l, 20, 40002, 1, 'a');
	{
		struct counts b = now();
		uint8_t pkt[256];
		size_t len = packet(pkt, l, 20, 40002);
		int v = run(pkt, len);
		struct counts a = now();
		int ok = v == 1 && a.cache_hits > b.cache_hits;
		printf("%s the same decision again comes from the verdict cache (hits +%llu)\n", ok ? "ok" : "not ok",
		       (unsigned long long)(a.cache_hits - b.cache_hits));
		failed |= !ok;
	}
	check("an unlabeled datagram of that flow right after: judged as unlabeled (no riding)", o, 0, 40002, 0, 'd');
	t = read_all(argv[5], &tlen);
	if (dsm_load_table(node, t, tlen)) {
		fprintf(stderr, "load deny table: %s\n", dsm_last_error());
		failed = 1;
	}
	check("after a table that denies it: the cached allow is not used", l, 20, 40002, 0, 'd');

	close(prog_fd);
	back_to(home);
	if (dsm_detach(node))
		fprintf(stderr, "detach: %s\n", dsm_last_error());
	dsm_close(node);
	return failed;
}
