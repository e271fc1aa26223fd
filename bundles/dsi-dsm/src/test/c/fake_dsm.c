/* A stand-in for libdsm, for unit tests of the Java binding without root or a kernel: implements
 * dsm.h in memory (contexts are plain directories with a cgroup.procs file), plus fake_* controls. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "dsm.h"

struct dsm_node { uint32_t snid; char cgroup_root[512]; char pin_dir[512]; int detached; };

static __thread char last_error[2048] = "no error";
static uint32_t caps = 0xFF;
static char caps_why[512] = "";
static char fail_fn[64] = "";
static int fail_rc;
static char fail_msg[256];
static int attach_count;
static char last_attach[2048];
static struct dsm_counters counters;
static struct dsm_event queue[256];
static int queued;
#define MAXP 64
static int32_t pids[MAXP]; static uint32_t pid_scids[MAXP]; static int npids;
#define MAXL 64
static char label_paths[MAXL][512]; static uint32_t label_scids[MAXL]; static int nlabels;

static int failing(const char *fn) {
	if (strcmp(fn, fail_fn) == 0) {
		snprintf(last_error, sizeof last_error, "%s: %s", fn, fail_msg);
		return fail_rc;
	}
	return 0;
}

void fake_reset(void) {
	caps = 0xFF; caps_why[0] = 0; fail_fn[0] = 0; attach_count = 0; last_attach[0] = 0;
	memset(&counters, 0, sizeof counters); queued = 0; npids = 0; nlabels = 0;
}
void fake_set_caps(uint32_t c, const char *why) { caps = c; snprintf(caps_why, sizeof caps_why, "%s", why); }
void fake_fail(const char *fn, int rc, const char *msg) {
	snprintf(fail_fn, sizeof fail_fn, "%s", fn); fail_rc = rc; snprintf(fail_msg, sizeof fail_msg, "%s", msg);
}
int fake_attach_count(void) { return attach_count; }
const char *fake_last_attach(void) { return last_attach; }
void fake_push_event(const struct dsm_event *e) { if (queued < 256) queue[queued++] = *e; }

uint32_t dsm_probe(char *why, size_t why_len) { snprintf(why, why_len, "%s", caps_why); return caps; }

int dsm_attach(const struct dsm_attach_opts *o, dsm_node **out) {
	int rc = failing("dsm_attach"); if (rc) return rc;
	if (!o->snid) { snprintf(last_error, sizeof last_error, "dsm_attach: snid 0"); return -EINVAL; }
	dsm_node *n = calloc(1, sizeof *n);
	n->snid = o->snid;
	snprintf(n->cgroup_root, sizeof n->cgroup_root, "%s", o->cgroup_root);
	snprintf(n->pin_dir, sizeof n->pin_dir, "%s", o->pin_dir);
	mkdir(o->cgroup_root, 0755);
	attach_count++;
	snprintf(last_attach, sizeof last_attach, "snid=%u flags=%u cgroup=%s pins=%s obj=%s ifaces=%s netns=%s",
		 o->snid, o->flags, o->cgroup_root, o->pin_dir, o->bpf_object, o->ifaces ? o->ifaces : "(null)",
		 o->netns_path ? o->netns_path : "(null)");
	*out = n;
	return 0;
}
void dsm_close(dsm_node *n) { free(n); }
int dsm_detach(dsm_node *n) { int rc = failing("dsm_detach"); if (rc) return rc; n->detached = 1; return 0; }

int dsm_context_create(dsm_node *n, uint32_t scid) {
	int rc = failing("dsm_context_create"); if (rc) return rc;
	char p[600]; snprintf(p, sizeof p, "%s/scid-%u", n->cgroup_root, scid);
	if (mkdir(p, 0755) && errno != EEXIST) { snprintf(last_error, sizeof last_error, "mkdir %s: %s", p, strerror(errno)); return -errno; }
	return 0;
}
int dsm_context_remove(dsm_node *n, uint32_t scid) {
	int rc = failing("dsm_context_remove"); if (rc) return rc;
	return 0;
}
int dsm_move_pid(dsm_node *n, int32_t pid, uint32_t scid) {
	int rc = failing("dsm_move_pid"); if (rc) return rc;
	char p[640]; snprintf(p, sizeof p, "%s/scid-%u/cgroup.procs", n->cgroup_root, scid);
	FILE *f = fopen(p, "a");
	if (!f) { snprintf(last_error, sizeof last_error, "open %s: %s", p, strerror(errno)); return -ENOENT; }
	fprintf(f, "%d\n", pid); fclose(f);
	for (int i = 0; i < npids; i++) if (pids[i] == pid) { pid_scids[i] = scid; return 0; }
	if (npids < MAXP) { pids[npids] = pid; pid_scids[npids++] = scid; }
	return 0;
}
int dsm_pid_context(dsm_node *n, int32_t pid, uint32_t *scid) {
	int rc = failing("dsm_pid_context"); if (rc) return rc;
	*scid = 0;
	for (int i = 0; i < npids; i++) if (pids[i] == pid) *scid = pid_scids[i];
	return 0;
}
int dsm_label_binary(dsm_node *n, const char *path, uint32_t scid) {
	int rc = failing("dsm_label_binary"); if (rc) return rc;
	for (int i = 0; i < nlabels; i++) if (!strcmp(label_paths[i], path)) { label_scids[i] = scid; return 0; }
	if (nlabels < MAXL) { snprintf(label_paths[nlabels], 512, "%s", path); label_scids[nlabels++] = scid; }
	return 0;
}
int dsm_read_label(const char *path, uint32_t *scid) {
	for (int i = 0; i < nlabels; i++) if (!strcmp(label_paths[i], path) && label_scids[i]) { *scid = label_scids[i]; return 0; }
	snprintf(last_error, sizeof last_error, "getxattr(%s, trusted.dsi.scid): No data available", path);
	return -ENODATA;
}
int dsm_watch_binary(dsm_node *n, const char *path) { return 0; }
int dsm_load_table(dsm_node *n, const void *t, size_t len) {
	int rc = failing("dsm_load_table"); if (rc) return rc;
	if (len < 128 || memcmp(t, "DSIT", 4)) { snprintf(last_error, sizeof last_error, "dsm_load_table: bad magic"); return -EINVAL; }
	uint64_t v; memcpy(&v, (const char *)t + 8, 8);
	counters.policy_version = v; counters.table_swaps++;
	return 0;
}
int dsm_poll_events(dsm_node *n, struct dsm_event *out, int max, int timeout_ms) {
	int k = queued < max ? queued : max;
	memcpy(out, queue, k * sizeof *out);
	memmove(queue, queue + k, (queued - k) * sizeof *out);
	queued -= k;
	return k;
}
int dsm_counters(dsm_node *n, struct dsm_counters *out) {
	int rc = failing("dsm_counters"); if (rc) return rc;
	*out = counters; out->packets_denied = 3; return 0;
}
int dsm_describe(dsm_node *n, char *buf, size_t len) {
	int k = snprintf(buf, len, "cgroup/connect4 id 42 pinned %s/connect4\ncgroup_skb/ingress id 43 pinned %s/ingress\n",
			 n->pin_dir, n->pin_dir);
	return k;
}
const char *dsm_last_error(void) { return last_error; }
