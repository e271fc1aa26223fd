// SPDX-License-Identifier: Apache-2.0
/* nullhooks OBJ CGROUP IFACE tc|tcx: attaches the empty programs of null.bpf.o at the DSM's
 * hooks (cgroup links on CGROUP, egress of IFACE in the current network namespace through a
 * clsact/cls_bpf filter or a tcx link), prints "ready" and holds them until SIGTERM/SIGINT.
 * Bench helper: nothing is pinned, so the attachments end with the process (the tc filter is
 * removed on the way out). */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef BPF_TCX_EGRESS
#define BPF_TCX_EGRESS 47 /* linux 6.6 */
#endif

static volatile sig_atomic_t done;
static void on_signal(int s) { done = 1; }

int main(int argc, char **argv)
{
	if (argc != 5) { fprintf(stderr, "usage: nullhooks OBJ CGROUP IFACE tc|tcx\n"); return 2; }
	int tcx = strcmp(argv[4], "tcx") == 0;
	unsigned ifindex = if_nametoindex(argv[3]);
	if (!ifindex) { perror(argv[3]); return 1; }
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) { fprintf(stderr, "nullhooks: cannot load %s\n", argv[1]); return 1; }
	int cg = open(argv[2], O_RDONLY | O_DIRECTORY);
	if (cg < 0) { perror(argv[2]); return 1; }
	struct bpf_program *p;
	int tc_attached = 0;
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, tco, .handle = 1, .priority = 1);
	bpf_object__for_each_program(p, obj) {
		int fd = bpf_program__fd(p);
		if (bpf_program__type(p) == BPF_PROG_TYPE_SCHED_CLS) {
			if (tcx) {
				if (bpf_link_create(fd, ifindex, BPF_TCX_EGRESS, NULL) < 0) { perror("tcx link"); return 1; }
			} else {
				int r = bpf_tc_hook_create(&hook);
				if (r && r != -EEXIST) { fprintf(stderr, "tc hook: %s\n", strerror(-r)); return 1; }
				tco.prog_fd = fd;
				if ((r = bpf_tc_attach(&hook, &tco))) { fprintf(stderr, "tc attach: %s\n", strerror(-r)); return 1; }
				tc_attached = 1;
			}
		} else if (bpf_link_create(fd, cg, bpf_program__expected_attach_type(p), NULL) < 0) {
			fprintf(stderr, "cgroup link %s: %s\n", bpf_program__name(p), strerror(errno));
			return 1;
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!done) pause();
	if (tc_attached) {
		tco.prog_fd = tco.prog_id = tco.flags = 0;
		bpf_tc_detach(&hook, &tco);
		bpf_tc_hook_destroy(&hook);
	}
	return 0;
}
