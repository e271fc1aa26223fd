// SPDX-License-Identifier: Apache-2.0
/* Empty programs at the DSM's hooks: the bench's "null" mode measures what attaching programs at
 * these hooks costs by itself, the floor under any DSM figure on this machine. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("cgroup/sock_create") int null_sock_create(struct bpf_sock *s) { return 1; }
SEC("cgroup/bind4") int null_bind4(struct bpf_sock_addr *a) { return 1; }
SEC("cgroup/bind6") int null_bind6(struct bpf_sock_addr *a) { return 1; }
SEC("cgroup/connect4") int null_connect4(struct bpf_sock_addr *a) { return 1; }
SEC("cgroup/connect6") int null_connect6(struct bpf_sock_addr *a) { return 1; }
SEC("cgroup/sendmsg4") int null_sendmsg4(struct bpf_sock_addr *a) { return 1; }
SEC("cgroup/sendmsg6") int null_sendmsg6(struct bpf_sock_addr *a) { return 1; }
SEC("cgroup_skb/ingress") int null_ingress(struct __sk_buff *skb) { return 1; }
SEC("tc") int null_egress(struct __sk_buff *skb) { return 0; /* TC_ACT_OK */ }
