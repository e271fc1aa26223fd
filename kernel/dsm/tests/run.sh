#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# DSM kernel tests: two network-namespace nodes (dsit-colby, dsit-munster) on one bridged segment
# (namespace dsit-lan) in 10.199.0.0/24 with an intruder namespace (dsit-intruder, no DSM) on the
# same segment, one DSM per node. Traffic goes only between these namespaces.
# Always cleans up what it created (trap EXIT). Last line: "N passed, N failed, N skipped".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
DSM=$(cd "$HERE/.." && pwd)
B=$DSM/build
CTL=$B/dsmctl
OBJ=$B/dsm.bpf.o
NT="python3 $HERE/nettool.py"
GEN="python3 $HERE/gentable.py"

ID=$$
CGBASE=/sys/fs/cgroup/unified
CGT=$CGBASE/dsi-test-$ID
PINT=/sys/fs/bpf/dsi-test-$ID
NSC=dsit-colby
NSM=dsit-munster
NSL=dsit-lan            # the segment: bridge dsitbr0 with the nodes' and the intruder's links
NSI=dsit-intruder
IFI=dsiti0
IPI=10.199.0.9
# label keys (README "Label keys"): epoch 1, one per pair of nodes (colby 1, munster 2)
K11=000102030405060708090a0b0c0d0e0f
K12=f0e1d2c3b4a5968778695a4b3c2d1e0f
K22=2b7e151628aed2a6abf7158809cf4f3c
IFC=dsitc0
IFM=dsitm0
IPC=10.199.0.1
IPM=10.199.0.2
IPX=10.199.0.3          # secondary address on colby, not registered for any SnID
IFXC=dsit-xc; IFXM=dsit-xm   # a link between the two that is not a cluster interface
IPXC=10.198.0.1; IPXM=10.198.0.2
CGC=$CGT/colby
CGM=$CGT/munster
PINC=$PINT/colby
PINM=$PINT/munster
TMP=$(mktemp -d /tmp/dsi-test-$ID.XXXX)
MOUNTED_BPFFS=0
DAEMONS=()
PASS=0; FAIL=0; SKIP=0

log() { echo "# $*"; }

cleanup() {
	set +e
	for p in "${DAEMONS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${DAEMONS[@]}"; do kill -9 "$p" 2>/dev/null; done
	# processes left inside our context cgroups are ours: end them
	for f in $(find "$CGT" -name cgroup.procs 2>/dev/null); do
		for p in $(cat "$f"); do kill -9 "$p" 2>/dev/null; done
	done
	sleep 0.1
	[ -d "$PINC" ] && "$CTL" detach --pin "$PINC" >/dev/null 2>&1
	[ -d "$PINM" ] && "$CTL" detach --pin "$PINM" >/dev/null 2>&1
	ip netns del $NSC 2>/dev/null
	ip netns del $NSM 2>/dev/null
	ip netns del $NSL 2>/dev/null
	ip netns del $NSI 2>/dev/null
	ip link del $IFC 2>/dev/null
	# cgroups: deepest first
	if [ -d "$CGT" ]; then
		find "$CGT" -depth -type d -exec rmdir {} \; 2>/dev/null
	fi
	[ -d "$PINT" ] && find "$PINT" -depth -exec rm -rf {} \; 2>/dev/null
	rmdir "$PINT" 2>/dev/null
	if [ $MOUNTED_BPFFS = 1 ] && [ -z "$(ls /sys/fs/bpf 2>/dev/null | grep -v '\.debug$')" ]; then
		umount /sys/fs/bpf 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ALL_TESTS=(ingress_units_prog_test_run udp_10_to_10_delivered tcp_10_to_10_delivered deny_10_to_20_at_receiver_audited
	local_bind_denied_by_scid local_connect_denied_by_scid raw_socket_needs_the_raw_permission forged_label_dropped_and_audited
	spoofed_labels_from_the_segment_dropped replayed_label_dropped udp_flow_label_cannot_be_ridden
	key_rotation_under_traffic_loses_nothing withheld_key_refuses_the_peer reserved_ports_outside_contexts_receive_nothing
	sealed_egress_drops_foreign_labels no_unlabeled_fallback
	audit_mode_passes_and_records audit_events_rate_limited exec_transition_moves_process exec_without_rule_denied
	exec_gate_clean_transitions exec_ld_preload_killed exec_traced_caller_refused exec_traced_thread_killed
	exec_failed_after_allow_killed exec_ptrace_after_release exec_nondump_only_mode exec_gate_orphan_killed
	full_size_packets_pass_labeled offloads_off_tcp_udp label_all_segments_mode
	atomic_table_swap_under_traffic table_swap_10k_within_100ms revocation_cuts_open_flows
	udp_flow_swap_rejudges sigkill_keeps_enforcement readopt_no_duplicates
	ipv6_unlabeled_judged cleanup_detach_removes_everything)
# DSM_TESTS="name ...": run only these (in this order)
[ -n "${DSM_TESTS:-}" ] && read -ra ALL_TESTS <<<"$DSM_TESTS"

result() { # name status msg
	case $2 in
	0) echo "PASS $1"; PASS=$((PASS + 1)) ;;
	77) echo "SKIP $1: $3"; SKIP=$((SKIP + 1)) ;;
	*) echo "FAIL $1: $3"; FAIL=$((FAIL + 1)) ;;
	esac
}

# the machine has what the DSM needs (probed above) but the DSM does not come up: every test fails
# (a program the verifier refuses must not read as "skipped")
fail_all() {
	for t in "${ALL_TESTS[@]}"; do result "$t" 1 "$1"; done
	echo "$PASS passed, $FAIL failed, $SKIP skipped"
	exit 1
}

skip_all() {
	for t in "${ALL_TESTS[@]}"; do result "$t" 77 "$1"; done
	echo "$PASS passed, $FAIL failed, $SKIP skipped"
	exit 0
}

# ---------------------------------------------------------------- prerequisites
[ "$(id -u)" = 0 ] || skip_all "not root"
for c in ip tc nsenter python3 setfattr; do
	command -v $c >/dev/null || skip_all "missing command $c (run install-deps.sh)"
done
if [ ! -x "$CTL" ] || [ ! -f "$OBJ" ]; then
	make -C "$DSM" >/dev/null 2>&1 || fail_all "build failed (make -C kernel/dsm)"
fi
if ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null && MOUNTED_BPFFS=1 || skip_all "cannot mount bpffs at /sys/fs/bpf"
fi
[ -f $CGBASE/cgroup.procs ] && grep -q " $CGBASE cgroup2" /proc/mounts || skip_all "no cgroup2 mount at $CGBASE"
PROBE=$("$CTL" probe 2>&1); PCAPS=$(echo "$PROBE" | head -1 | awk '{print $2}')
case $PCAPS in
0xff) ;;
*) skip_all "dsm_probe: $(echo "$PROBE" | tail -n +2)" ;;
esac

# exec transitions kill a new image whose environment holds loader/libc injection variables
# (README "Exec transitions"): the harness runs with none of them
for v in $(compgen -e); do
	case $v in LD_* | MALLOC_* | GCONV_PATH | GETCONF_DIR | GLIBC_TUNABLES | HOSTALIASES | LOCALDOMAIN | \
		LOCPATH | NIS_PATH | NLSPATH | RESOLV_HOST_CONF | RES_OPTIONS | TMPDIR | TZDIR) unset "$v" ;;
	esac
done

# ---------------------------------------------------------------- helpers
wait_file() { for _ in $(seq 1 100); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }

# in NODE SCID CMD...: run CMD in context SCID of NODE, inside NODE's network namespace
in_ctx() {
	local node=$1 scid=$2; shift 2
	local cg ns
	if [ $node = colby ]; then cg=$CGC ns=$NSC; else cg=$CGM ns=$NSM; fi
	bash -c 'echo $$ > "$1"; shift; ns=$1; shift; exec nsenter --net=/run/netns/$ns "$@"' _ \
		"$cg/scid-$scid/cgroup.procs" "$ns" "$@"
}
# outside NODE CMD...: outside DSI, in NODE's namespace
outside() {
	local ns; [ $1 = colby ] && ns=$NSC || ns=$NSM; shift
	nsenter --net=/run/netns/$ns "$@"
}

start_daemon() { # node extra-args...
	local node=$1; shift
	local pin cg snid ns ifc
	if [ $node = colby ]; then pin=$PINC cg=$CGC snid=1 ns=$NSC ifc=$IFC; else pin=$PINM cg=$CGM snid=2 ns=$NSM ifc=$IFM; fi
	rm -f "$TMP/ready-$node"
	"$CTL" run --snid $snid --cgroup "$cg" --pin "$pin" --obj "$OBJ" --ifaces $ifc \
		--netns /run/netns/$ns --ready "$TMP/ready-$node" "$@" >>"$TMP/events-$node.log" 2>>"$TMP/daemon-$node.err" &
	local pid=$!
	DAEMONS+=($pid)
	eval "DPID_$node=$pid"
	wait_file "$TMP/ready-$node" || { cat "$TMP/daemon-$node.err" >&2; return 1; }
}

# wait_event NODE REGEX [SECONDS]
wait_event() {
	local f=$TMP/events-$1.log n=$((${3:-3} * 10))
	for _ in $(seq 1 $n); do grep -Eq "$2" "$f" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

ctr() { "$CTL" counters --pin "$1" | awk -v k="$2" '$1 == k {print $2}'; }

# run_as NODE SCID CMD...: in context SCID of NODE, or outside every context when SCID is "-"
run_as() {
	local node=$1 scid=$2; shift 2
	if [ "$scid" = - ]; then outside "$node" "$@"; else in_ctx "$node" "$scid" "$@"; fi
}

# udp_case SRCNODE SRCSCID DSTNODE DSTSCID PORT COUNT [sender opts] -> prints received count
# (a SCID of "-": that end is outside every context); the sender's output is in $TMP/s.out
udp_case() {
	local sn=$1 ss=$2 dn=$3 ds=$4 port=$5 count=$6; shift 6
	local dip; [ $dn = colby ] && dip=$IPC || dip=$IPM
	rm -f "$TMP/r.ready"
	run_as $dn $ds $NT udp-recv $port 2 --expect $count --ready "$TMP/r.ready" >"$TMP/r.out" &
	local rp=$!
	wait_file "$TMP/r.ready"
	run_as $sn $ss $NT udp-send $dip $port $count "$@" >"$TMP/s.out" 2>&1
	wait $rp
	awk '{print $2}' "$TMP/r.out"
}

# ---------------------------------------------------------------- setup
log "setting up namespaces $NSC, $NSM and cgroups under $CGT"
for ns in $NSC $NSM $NSL $NSI; do ip netns add $ns || skip_all "cannot create network namespace $ns"; done
ip -n $NSL link add dsitbr0 type bridge || skip_all "cannot create a bridge"
ip -n $NSL link set dsitbr0 up
for end in $NSC:$IFC:lanc $NSM:$IFM:lanm $NSI:$IFI:lani; do
	IFS=: read -r ns ifn lan <<<"$end"
	ip link add $ifn netns $ns type veth peer name $lan netns $NSL || skip_all "cannot create veth pair $ifn"
	ip -n $NSL link set $lan master dsitbr0 up
done
ip -n $NSC addr add $IPC/24 dev $IFC
ip -n $NSC addr add $IPX/32 dev $IFC
ip -n $NSM addr add $IPM/24 dev $IFM
ip -n $NSI addr add $IPI/24 dev $IFI
for ns in $NSC $NSM $NSI; do ip -n $ns link set lo up; done
ip -n $NSC link set $IFC up
ip -n $NSM link set $IFM up
ip -n $NSI link set $IFI up
# the v2 label adds 20 bytes: the DSM lowers the MTU of the routes through the cluster interfaces
# to 1500 - 20 itself (TCP MSS follows), and puts it back on detach
ip -n $NSM route replace $IPX/32 dev $IFM
# a second link that is no cluster interface of colby (no DSM on it): the path of a spoofing host
ip link add $IFXC netns $NSC type veth peer name $IFXM netns $NSM || skip_all "cannot create the second veth pair"
ip -n $NSC addr add $IPXC/24 dev $IFXC
ip -n $NSM addr add $IPXM/24 dev $IFXM
ip -n $NSC link set $IFXC up
ip -n $NSM link set $IFXM up
mkdir -p "$CGT"

# policy: nodes 1 (colby) and 2 (munster); contexts 10, 20, 30 (audit), 40; labeled binary 50
common=(--node 1=$IPC --node 2=$IPM --ctx 10 --ctx 20 --ctx 30:audit --ctx 40 --ctx 50
	--access 10,ANY,10,all,101 --access 20,ANY,20,all+raw,102 --access 30,ANY,30,all,103
	--access 40,ANY,40,all,104 --access 10,ANY,20,none,201
	--access 10,ANY,0,connect+send,111 --access 20,ANY,0,connect+send,112
	--access 30,ANY,0,connect+send,113 --access 10,ANY,40,transition,301
	--sock udp,7020,ANY,20,401 --sock tcp,7020,ANY,20,402 --sock udp,40100,ANY,20,403 --trans 10,50,40,501
	--net ANY,10.199.0.0/24,allow,connect+send,601)
$GEN "$TMP/base.tbl" --version 10 --default 0 --external 0 "${common[@]}" || { echo "FAIL gentable"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
# swap tables: A allows by default and denies 10->20 explicitly; B denies by default and allows
# 10->10 explicitly. A packet judged half by A and half by B would let 10->20 through.
# revoke: like base, but 10 may no longer receive from 10
$GEN "$TMP/revoke.tbl" --version 13 --default 0 $(printf '%s\n' "${common[@]}" | sed 's/^10,ANY,10,all,101$/10,ANY,10,create+bind+connect+send,101/')
$GEN "$TMP/A.tbl" --version 11 --default all "${common[@]}"
$GEN "$TMP/B.tbl" --version 12 --default 0 "${common[@]}"

start_daemon colby || fail_all "dsm_attach failed on colby: $(cat $TMP/daemon-colby.err)"
start_daemon munster || fail_all "dsm_attach failed on munster: $(cat $TMP/daemon-munster.err)"
for pin in $PINC $PINM; do
	for s in 10 20 30 40; do "$CTL" context --pin $pin create $s; done
	"$CTL" load-table --pin $pin "$TMP/base.tbl" >/dev/null || fail_all "load-table failed"
done
# each node holds the keys of the pairs it belongs to, by peer SnID (its own pair for itself)
keys_colby() { "$CTL" keys --pin $PINC set "$@"; }
keys_munster() { "$CTL" keys --pin $PINM set "$@"; }
install_keys() {
	keys_colby 1 1:1:$K11 1:2:$K12 && keys_munster 1 1:1:$K12 1:2:$K22
}
install_keys || fail_all "cannot install label keys: $("$CTL" keys --pin $PINC set 1 1:1:$K11 2>&1)"
# in NS: run CMD in the intruder's namespace (no DSM; same segment as both nodes)
intruder() { nsenter --net=/run/netns/$NSI "$@"; }

# ---------------------------------------------------------------- tests
# BPF_PROG_TEST_RUN unit tests (tests/progtest.c) of the ingress program: the option parser with
# every malformed layout, the MAC check, the verdict cache across a table swap; no network, a node
# of its own (SnID 2) attached and detached by the test program
t_ingress_units_prog_test_run() {
	local u=(--node 1=10.1.0.1 --node 2=10.1.0.2 --ctx 10 --ctx 20)
	$GEN "$TMP/unit-allow.tbl" --version 1 --default 0 "${u[@]}" --access 10,ANY,10,all,1 >/dev/null || return 1
	$GEN "$TMP/unit-deny.tbl" --version 2 --default 0 "${u[@]}" >/dev/null || return 1
	"$B/progtest" "$OBJ" "$CGT/unit" "$PINT/unit" "$TMP/unit-allow.tbl" "$TMP/unit-deny.tbl" >"$TMP/unit.out" 2>&1
	local rc=$?
	sed 's/^/#   /' "$TMP/unit.out"
	[ $rc = 0 ] || { echo "$(grep -c '^not ok' "$TMP/unit.out") of $(grep -c 'ok ' "$TMP/unit.out") cases failed: $(grep -m3 -v '^ok' "$TMP/unit.out" | tr '\n' ';')"; return 1; }
	[ "$(grep -c '^ok' "$TMP/unit.out")" -ge 25 ] || { echo "only $(grep -c '^ok' "$TMP/unit.out") cases ran"; return 1; }
}

t_udp_10_to_10_delivered() {
	local l0; l0=$(ctr $PINC packets_labeled)
	local n; n=$(udp_case colby 10 munster 10 7010 50)
	[ "$n" = 50 ] || { echo "received $n/50 ($(cat $TMP/s.out))"; return 1; }
	local l1; l1=$(ctr $PINC packets_labeled)
	n=$(udp_case munster 10 colby 10 7010 20)
	[ "$n" = 20 ] || { echo "reverse: received $n/20"; return 1; }
	# every datagram carries its own label: none is judged under another's (no UDP flow labels)
	[ $((l1 - l0)) -ge 50 ] || { echo "colby labeled $((l1 - l0)) of 50 datagrams"; return 1; }
}

t_tcp_10_to_10_delivered() {
	rm -f "$TMP/r.ready"
	in_ctx munster 10 $NT tcp-recv 7010 5 --expect 1000000 --ready "$TMP/r.ready" >"$TMP/r.out" &
	local rp=$!
	wait_file "$TMP/r.ready"
	local out; out=$(in_ctx colby 10 $NT tcp-send $IPM 7010 1000000)
	wait $rp
	[ "$out" = "sent 1000000 ack ok" ] || { echo "client: $out"; return 1; }
	grep -q "received 1000000 conns 1" "$TMP/r.out" || { echo "server: $(cat $TMP/r.out)"; return 1; }
	[ "$(ctr $PINM flow_cache_hits)" -gt 0 ] || { echo "no flow-cache hit on munster"; return 1; }
}

t_deny_10_to_20_at_receiver_audited() {
	local d0; d0=$(ctr $PINM packets_denied)
	# port 7021 is unlabeled: target = receiving process's context 20
	local n; n=$(udp_case colby 10 munster 20 7021 5)
	[ "$n" = 0 ] || { echo "context 20 received $n packets from 10"; return 1; }
	grep -q "sent 5" "$TMP/s.out" || { echo "sender failed: $(cat $TMP/s.out)"; return 1; }
	[ "$(ctr $PINM packets_denied)" -ge $((d0 + 5)) ] || { echo "denied counter did not grow"; return 1; }
	wait_event munster "type=DENY perm=receive src=10@1 tgt=20@2 rule=201 pid=0 proto=17 saddr=$IPC sport=[0-9]+ daddr=$IPM dport=7021" ||
		{ echo "no DENY event on munster"; tail -3 $TMP/events-munster.log; return 1; }
}

t_local_bind_denied_by_scid() {
	local out
	out=$(in_ctx colby 10 $NT bind udp 7020) && { echo "bind to port labeled 20 allowed: $out"; return 1; }
	[ "$out" = "error EPERM" ] || { echo "unexpected: $out"; return 1; }
	out=$(in_ctx colby 20 $NT bind udp 7020) || { echo "context 20 cannot bind its port: $out"; return 1; }
	out=$(in_ctx colby 10 $NT bind udp 7033) || { echo "unlabeled port: $out"; return 1; }
	wait_event colby "type=DENY perm=bind src=10@1 tgt=20@1 rule=201 pid=[0-9]+ proto=17 .* dport=7020" ||
		{ echo "no bind DENY event"; return 1; }
}

# a raw socket writes its own IP header (a label, another source): "raw" is needed on top of
# "create"; 10 has "all" (which leaves raw out), 20 is granted raw by name
t_raw_socket_needs_the_raw_permission() {
	local py='import socket,sys
try:
    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP).close(); print("ok")
except OSError as e:
    print("error", e.errno)'
	local out
	out=$(in_ctx colby 10 python3 -c "$py")
	[ "$out" = "error 1" ] || { echo "context 10 without raw: $out"; return 1; }
	out=$(in_ctx colby 10 python3 -c "${py/AF_INET,/AF_INET6,}")
	[ "$out" = "error 1" ] || { echo "context 10, IPv6 raw: $out"; return 1; }
	out=$(in_ctx colby 20 python3 -c "$py")
	[ "$out" = "ok" ] || { echo "context 20 granted raw: $out"; return 1; }
	out=$(in_ctx colby 10 python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close(); print("ok")')
	[ "$out" = "ok" ] || { echo "an ordinary socket in 10: $out"; return 1; }
	wait_event colby "type=DENY perm=raw src=10@1 tgt=10@1 " || { echo "no DENY event for raw"; return 1; }
}

t_local_connect_denied_by_scid() {
	local out
	out=$(in_ctx colby 10 $NT connect $IPM 7020) && { echo "connect to socket labeled 20 allowed"; return 1; }
	[ "$out" = "error EPERM" ] || { echo "unexpected: $out"; return 1; }
	out=$(in_ctx colby 10 $NT udp-send $IPM 7020 1)
	[ "$out" = "error EPERM" ] || { echo "sendmsg to udp port labeled 20: $out"; return 1; }
	wait_event colby "type=DENY perm=connect src=10@1 tgt=20@2 rule=201 pid=[0-9]+ proto=6 .* daddr=$IPM dport=7020" ||
		{ echo "no connect DENY event"; return 1; }
	wait_event colby "type=DENY perm=send src=10@1 tgt=20@2 rule=201 .* proto=17 .* dport=7020" ||
		{ echo "no send DENY event"; return 1; }
}

t_forged_label_dropped_and_audited() {
	local f0; f0=$(ctr $PINM forged_labels)
	rm -f "$TMP/r.ready"
	in_ctx munster 10 $NT udp-recv 7011 2 --expect 5 --ready "$TMP/r.ready" >"$TMP/r.out" &
	local rp=$!
	wait_file "$TMP/r.ready"
	# a label claiming (ScID 10, SnID 1), even with a valid MAC under the pair's key (a stolen
	# key), sent from 10.198.0.1, not SnID 1's address, over a link without a DSM on the sending
	# side (a spoofing host: colby's own egress would drop it, see sealed_egress_drops_foreign_labels)
	outside colby $NT udp-send $IPXM 7011 5 --label 1:1:10:$K12 >"$TMP/s.out" 2>&1
	wait $rp
	grep -q "sent 5" "$TMP/s.out" || { echo "sender: $(cat $TMP/s.out)"; return 1; }
	grep -q "received 0 " "$TMP/r.out" || { echo "forged packets delivered: $(cat $TMP/r.out)"; return 1; }
	[ "$(ctr $PINM forged_labels)" -ge $((f0 + 5)) ] || { echo "forged counter did not grow"; return 1; }
	wait_event munster "type=FORGED_LABEL perm=receive src=10@1 tgt=10@2 .* saddr=$IPXC .* dport=7011 .* reason=(address|interface)" ||
		{ echo "no FORGED_LABEL event"; tail -3 $TMP/events-munster.log; return 1; }
	# same label from the registered address is accepted (the label is what decides)
	local n; n=$(udp_case colby 10 munster 10 7011 5)
	[ "$n" = 5 ] || { echo "genuine label rejected ($n/5)"; return 1; }
}

# An intruder on the cluster segment sends from each node's address with each context's label
# (UDP datagrams and TCP SYNs, crafted with IP_HDRINCL): without the pair's key nothing passes.
# The control at the end (the same packets with a MAC under the right key) is delivered, so the
# MAC is what stopped them.
t_spoofed_labels_from_the_segment_dropped() {
	local m0 r
	m0=$(ctr $PINM labels_bad_mac)
	rm -f "$TMP/r.ready" "$TMP/t.ready" "$TMP/sp.stop"
	# the receivers stay until the intruder is done (a process start per send takes its time)
	in_ctx munster 10 $NT udp-recv 7040 60 --ready "$TMP/r.ready" --stop "$TMP/sp.stop" >"$TMP/r.out" &
	local rp=$!
	in_ctx munster 10 $NT tcp-recv 7041 60 --ready "$TMP/t.ready" --stop "$TMP/sp.stop" >"$TMP/t.out" &
	local tp=$!
	wait_file "$TMP/r.ready"; wait_file "$TMP/t.ready"
	local sent=0
	for scid in 10 20 30 40; do
		for src in 1:$IPC 2:$IPM; do
			# no key: a guessed MAC; the v1 label of before; a label of an epoch nobody holds
			intruder $NT raw-send ${src#*:} $IPM udp 40000 7040 3 --label 1:${src%%:*}:$scid:$K22 --mac 0123456789abcdef >/dev/null || return 1
			intruder $NT raw-send ${src#*:} $IPM udp 40001 7040 3 --opt 9e08000${src%%:*}$(printf %08x $scid) >/dev/null || return 1
			intruder $NT raw-send ${src#*:} $IPM udp 40002 7040 3 --label 7:${src%%:*}:$scid:$K12 >/dev/null || return 1
			intruder $NT raw-send ${src#*:} $IPM syn 40003 7041 3 --label 1:${src%%:*}:$scid:$K22 --mac 0123456789abcdef >/dev/null || return 1
			sent=$((sent + 12))
		done
	done
	touch "$TMP/sp.stop"
	wait $rp $tp
	grep -q "received 0 " "$TMP/r.out" || { echo "spoofed datagrams delivered: $(cat $TMP/r.out)"; return 1; }
	grep -q "conns 0" "$TMP/t.out" || { echo "spoofed SYN accepted: $(cat $TMP/t.out)"; return 1; }
	# those from munster's own address end in its IP layer (a martian source), the v1 ones count as
	# forged (format), the others as bad MACs
	[ "$(ctr $PINM labels_bad_mac)" -ge $((m0 + sent * 3 / 8)) ] || { echo "labels_bad_mac $(ctr $PINM labels_bad_mac) (was $m0, $sent sent)"; return 1; }
	wait_event munster "type=FORGED_LABEL perm=receive src=10@1 .* saddr=$IPC sport=40000 .* reason=mac" ||
		{ echo "no FORGED_LABEL reason=mac event"; return 1; }
	wait_event munster "type=FORGED_LABEL .* sport=40002 .* reason=no_key" || { echo "no reason=no_key event"; return 1; }
	wait_event munster "type=FORGED_LABEL .* sport=40001 .* reason=format" || { echo "no reason=format event"; return 1; }
	wait_event munster "type=FORGED_LABEL .* proto=6 .* sport=40003 .* reason=mac" || { echo "no event for the SYN"; return 1; }
	# control: with the key colby and munster share, the intruder's crafted datagram is accepted
	r=$(rm -f "$TMP/r.ready"
	    in_ctx munster 10 $NT udp-recv 7042 2 --expect 3 --ready "$TMP/r.ready" >"$TMP/r.out" &
	    wait_file "$TMP/r.ready"; intruder $NT raw-send $IPC $IPM udp 40004 7042 3 --label 1:1:10:$K12 >/dev/null
	    wait; awk '{print $2}' "$TMP/r.out")
	[ "$r" = 3 ] || { echo "control: a label with the right MAC was not accepted ($r/3): the test proves nothing"; return 1; }
}

# A genuine label captured on the segment and replayed on another flow (another source port,
# another destination port) is refused: the MAC covers addresses, ports and protocol
t_replayed_label_dropped() {
	rm -f "$TMP/sn.ready"
	ip netns exec $NSL python3 $HERE/nettool.py sniff-label lanc 7043 4 --ready "$TMP/sn.ready" >"$TMP/sn.out" &
	local sp=$!
	wait_file "$TMP/sn.ready"
	local n; n=$(udp_case colby 10 munster 10 7043 3)
	wait $sp
	[ "$n" = 3 ] || { echo "genuine datagrams: $n/3"; return 1; }
	local opt saddr sport; read -r _ opt saddr sport _ <"$TMP/sn.out"
	[ -n "$opt" ] && [ "$saddr" = $IPC ] || { echo "nothing captured: $(cat $TMP/sn.out)"; return 1; }
	local m0; m0=$(ctr $PINM labels_bad_mac)
	# the captured option as it is, on its own flow, is accepted (replay within one flow gains the
	# intruder nothing the flow did not have; README "What a MAC does not stop")
	n=$(rm -f "$TMP/r.ready"; in_ctx munster 10 $NT udp-recv 7043 2 --expect 1 --ready "$TMP/r.ready" >"$TMP/r.out" &
	    wait_file "$TMP/r.ready"; intruder $NT raw-send $IPC $IPM udp $sport 7043 1 --opt $opt >/dev/null; wait
	    awk '{print $2}' "$TMP/r.out")
	[ "$n" = 1 ] || { echo "the captured label on its own flow was refused ($n/1): the replays below prove nothing"; return 1; }
	n=$(rm -f "$TMP/r.ready"; in_ctx munster 10 $NT udp-recv 7044 2 --ready "$TMP/r.ready" >"$TMP/r.out" &
	    wait_file "$TMP/r.ready"
	    intruder $NT raw-send $IPC $IPM udp $sport 7044 5 --opt $opt >/dev/null
	    intruder $NT raw-send $IPC $IPM udp $((sport + 1)) 7044 5 --opt $opt >/dev/null
	    wait; awk '{print $2}' "$TMP/r.out")
	[ "$n" = 0 ] || { echo "replayed label delivered on another flow ($n/10)"; return 1; }
	[ "$(ctr $PINM labels_bad_mac)" -ge $((m0 + 10)) ] || { echo "labels_bad_mac did not count the replays"; return 1; }
}

# UDP flow riding: a context process sends labeled datagrams, closes; a process outside every
# context binds the same source port and sends unlabeled datagrams to the same receiver at once.
# Each datagram is judged by its own label: the unlabeled ones are (0, 0), which 10 may not receive.
t_udp_flow_label_cannot_be_ridden() {
	rm -f "$TMP/r.ready"
	in_ctx munster 10 $NT udp-recv 7045 3 --ready "$TMP/r.ready" >"$TMP/r.out" &
	local rp=$!
	wait_file "$TMP/r.ready"
	in_ctx colby 10 python3 -c '
import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0",41045))
for i in range(5): s.sendto(b"admin",(sys.argv[1],7045))' $IPM
	outside colby python3 -c '
import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0",41045))
for i in range(20): s.sendto(b"rider",(sys.argv[1],7045))' $IPM
	wait $rp
	read -r _ n _ b <"$TMP/r.out"
	[ "$n" = 5 ] || { echo "received $n datagrams, want the 5 labeled ones only ($(cat $TMP/r.out))"; return 1; }
}

# Reserved ports: while the service of context 20 is down, a process outside every context on
# munster binds its labeled ports (7020 UDP and TCP; 40100 UDP, in the ephemeral range): the
# traffic meant for 20 does not reach it (tc ingress port guard). Control: the service of 20 on
# the same ports receives it.
t_reserved_ports_outside_contexts_receive_nothing() {
	local g0 n; g0=$(ctr $PINM port_guard_drops)
	n=$(udp_case colby 20 munster - 7020 5)
	[ "$n" = 0 ] || { echo "a socket outside contexts received $n datagrams on UDP port 7020 (labeled 20)"; return 1; }
	n=$(udp_case colby 20 munster - 40100 5)
	[ "$n" = 0 ] || { echo "a socket outside contexts received $n datagrams on UDP port 40100 (labeled 20)"; return 1; }
	rm -f "$TMP/t.ready"
	outside munster $NT tcp-recv 7020 3 --ready "$TMP/t.ready" >"$TMP/t.out" &
	local tp=$!; wait_file "$TMP/t.ready"
	local out; out=$(in_ctx colby 20 $NT connect $IPM 7020)
	wait $tp
	grep -q "conns 0" "$TMP/t.out" || { echo "a socket outside contexts accepted a connection on TCP 7020: $(cat $TMP/t.out)"; return 1; }
	[ "$(ctr $PINM port_guard_drops)" -ge $((g0 + 11)) ] || { echo "port_guard_drops $(ctr $PINM port_guard_drops) (was $g0)"; return 1; }
	wait_event munster "type=DENY perm=receive src=0@0 tgt=20@2 .* proto=17 .* dport=7020 .* reason=port_reserved" ||
		{ echo "no DENY reason=port_reserved event"; tail -3 "$TMP/events-munster.log"; return 1; }
	n=$(udp_case colby 20 munster 20 7020 5)
	[ "$n" = 5 ] || { echo "control: the context's own service received $n/5"; return 1; }
	n=$(udp_case colby 20 munster 20 40100 5)
	[ "$n" = 5 ] || { echo "control: the context's own service on 40100 received $n/5"; return 1; }
}

# Rotation: epoch 2 is added on both nodes, then becomes the send epoch, then epoch 1 goes, under
# a UDP flow of about 1,000 datagrams/s and a TCP stream: nothing allowed is lost
t_key_rotation_under_traffic_loses_nothing() {
	local K2_11=11111111111111111111111111111111 K2_12=12121212121212121212121212121212 K2_22=22222222222222222222222222222222
	rm -f "$TMP/r.ready" "$TMP/t.ready" "$TMP/rot.stop"
	in_ctx munster 10 $NT udp-recv 7046 30 --ready "$TMP/r.ready" --stop "$TMP/rot.stop" >"$TMP/r.out" &
	local rp=$!
	in_ctx munster 10 $NT tcp-recv 7047 30 --expect 40000000 --ready "$TMP/t.ready" >"$TMP/t.out" &
	local tp=$!
	wait_file "$TMP/r.ready"; wait_file "$TMP/t.ready"
	in_ctx colby 10 $NT udp-send $IPM 7046 3000 --interval 0.001 >"$TMP/s.out" 2>&1 &
	local sp=$!
	in_ctx colby 10 $NT tcp-send $IPM 7047 40000000 >"$TMP/ts.out" 2>&1 &
	local tsp=$!
	sleep 0.5
	keys_colby 1 1:1:$K11 1:2:$K12 2:1:$K2_11 2:2:$K2_12 && keys_munster 1 1:1:$K12 1:2:$K22 2:1:$K2_12 2:2:$K2_22 || return 1
	sleep 0.5
	keys_colby 2 1:1:$K11 1:2:$K12 2:1:$K2_11 2:2:$K2_12 && keys_munster 2 1:1:$K12 1:2:$K22 2:1:$K2_12 2:2:$K2_22 || return 1
	sleep 0.5
	keys_colby 2 2:1:$K2_11 2:2:$K2_12 && keys_munster 2 2:1:$K2_12 2:2:$K2_22 || return 1
	local held; held=$("$CTL" keys --pin $PINM list | tr '\n' ' ')
	wait $sp; touch "$TMP/rot.stop"; wait $rp $tsp $tp
	install_keys
	local n sent; n=$(awk '{print $2}' "$TMP/r.out"); sent=$(awk '{print $2}' "$TMP/s.out")
	log "rotation: udp sent $sent received $n; tcp $(cat $TMP/ts.out); munster held after: $held"
	[ "$held" = "send_epoch 2 key epoch 2 peer 1 key epoch 2 peer 2 " ] || [ "$held" = "send_epoch 2 key epoch 2 peer 2 key epoch 2 peer 1 " ] ||
		{ echo "keys held after the rotation: $held"; return 1; }
	[ "$sent" = 3000 ] && [ "$n" = 3000 ] || { echo "udp: sent $sent, received $n"; return 1; }
	grep -q "sent 40000000 ack ok" "$TMP/ts.out" || { echo "tcp: $(cat $TMP/ts.out)"; return 1; }
}

# Compromise: munster withholds colby's pair key (the SS sends it a set without it): colby's
# labels are refused at once, also from colby's own address
t_withheld_key_refuses_the_peer() {
	keys_munster 1 1:2:$K22 || return 1
	local n; n=$(udp_case colby 10 munster 10 7048 5)
	install_keys
	[ "$n" = 0 ] || { echo "labels of a node whose key is withheld delivered ($n/5)"; return 1; }
	wait_event munster "type=FORGED_LABEL .* saddr=$IPC .* dport=7048 .* reason=no_key" || { echo "no reason=no_key event"; tail -5 "$TMP/events-munster.log"; "$CTL" counters --pin $PINM | grep -E "forged|bad_mac"; return 1; }
	n=$(udp_case colby 10 munster 10 7048 5)
	[ "$n" = 5 ] || { echo "after the key is back: $n/5"; return 1; }
}

# Sealed egress: a label the DSM did not write never leaves a node, even one claiming the node's
# own SnID from its registered address (which a receiver could not tell from a genuine one)
t_sealed_egress_drops_foreign_labels() {
	local f0 r; f0=$(ctr $PINC forged_labels)
	r=$(udp_case colby - munster 10 7012 5 --opt 9e0800010000000a)
	grep -q "sent 5" "$TMP/s.out" || { echo "sender: $(cat $TMP/s.out)"; return 1; }
	[ "$r" = 0 ] || { echo "self-labeled packets left colby ($r/5)"; return 1; }
	[ "$(ctr $PINC forged_labels)" -ge $((f0 + 5)) ] || { echo "colby's forged counter did not grow"; return 1; }
	wait_event colby "type=FORGED_LABEL perm=send src=10@1 .* saddr=$IPC" || { echo "no FORGED_LABEL event on colby"; return 1; }
	# a process in a context does no better
	r=$(udp_case colby 10 munster 10 7012 5 --opt 9e0800010000000a)
	[ "$r" = 0 ] || { echo "a context process's own label option left colby ($r/5)"; return 1; }
}

# No unlabeled fallback: a context process that fills the IP options (record-route, 40 bytes)
# leaves no room for the label: its packets are dropped, not sent unlabeled. The receiver is
# outside every context on munster: an unlabeled packet would reach it, so only a drop at colby
# keeps it empty.
t_no_unlabeled_fallback() {
	local l0 r; l0=$(ctr $PINC label_failed)
	r=$(udp_case colby 10 munster - 7013 5 --opt 07270400$(printf '0%.0s' $(seq 1 72)))
	[ "$r" = 0 ] || { echo "packets without room for the label left unlabeled ($r/5)"; return 1; }
	[ "$(ctr $PINC label_failed)" -ge $((l0 + 5)) ] || { echo "label_failed did not grow"; return 1; }
	# the same datagrams without the options reach it (labeled 10; the socket is in no context)
	r=$(udp_case colby 10 munster - 7013 5)
	[ "$r" = 5 ] || { echo "ordinary packets of 10 lost ($r/5)"; return 1; }
}

t_audit_mode_passes_and_records() {
	local a0; a0=$(ctr $PINM packets_audit_only)
	local n; n=$(udp_case colby 30 munster 10 7012 5)
	[ "$n" = 5 ] || { echo "audit-mode context 30 -> 10: received $n/5"; return 1; }
	[ "$(ctr $PINM packets_audit_only)" -ge $((a0 + 5)) ] || { echo "audit counter did not grow"; return 1; }
	wait_event munster "type=AUDIT_DENY perm=receive src=30@1 tgt=10@2 rule=0 .* dport=7012" ||
		{ echo "no AUDIT_DENY event"; return 1; }
}

t_audit_events_rate_limited() {
	local s0; s0=$(ctr $PINM events_suppressed)
	# 300 denied datagrams of one flow within a second: at most 5 events, the rest suppressed
	rm -f "$TMP/r.ready"
	in_ctx munster 20 $NT udp-recv 7028 5 --ready "$TMP/r.ready" >"$TMP/r.out" &
	local rp=$!; wait_file "$TMP/r.ready"
	in_ctx colby 10 python3 -c '
import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("0.0.0.0",47028))
for i in range(300): s.sendto(b"x",(sys.argv[1],7028))' $IPM
	sleep 1.2
	local n; n=$(grep -c "type=DENY perm=receive src=10@1 tgt=20@2 .* sport=47028 .* dport=7028 " $TMP/events-munster.log)
	[ "$n" -ge 1 ] && [ "$n" -le 10 ] || { echo "$n events for one flooding flow"; return 1; }
	[ "$(ctr $PINM events_suppressed)" -ge $((s0 + 280)) ] || { echo "suppressed counter: $(ctr $PINM events_suppressed)"; return 1; }
	# the next event of the flow carries the suppressed count
	in_ctx colby 10 python3 -c '
import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("0.0.0.0",47028)); s.sendto(b"x",(sys.argv[1],7028))' $IPM
	wait_event munster "type=DENY .* sport=47028 .* dport=7028 suppressed=[1-9][0-9]+ " 4 ||
		{ kill $rp 2>/dev/null; wait $rp 2>/dev/null; echo "no event carrying the suppressed count: $(grep "dport=7028" $TMP/events-munster.log | tail -2)"; return 1; }
	wait $rp
}

t_exec_transition_moves_process() {
	cp /bin/cat "$TMP/dsit-cat"
	"$CTL" label --pin $PINC "$TMP/dsit-cat" 50 || return 1
	[ "$("$CTL" read-label "$TMP/dsit-cat")" = 50 ] || { echo "label not readable"; return 1; }
	sleep 0.7   # the watcher picks up marks recorded by other processes every 0.5 s
	local out; out=$(in_ctx colby 10 "$TMP/dsit-cat" /proc/self/cgroup 2>&1)
	echo "$out" | grep -q "/colby/scid-40$" || { echo "exec ran in: $out"; return 1; }
	wait_event colby "type=TRANSITION perm=transition src=10@1 tgt=40@1 rule=301 pid=[0-9]+ .* path=$TMP/dsit-cat" ||
		{ echo "no TRANSITION event"; return 1; }
	[ "$(ctr $PINC execs_transitioned)" -ge 1 ] || { echo "counter"; return 1; }
	# a shell outside DSI is untouched (no (0, 50) rule): runs unchanged
	out=$("$TMP/dsit-cat" /proc/self/cgroup 2>&1)
	echo "$out" | grep -q "dsi-test" && { echo "outside process was moved: $out"; return 1; }
	return 0
}

t_exec_without_rule_denied() {
	[ -f "$TMP/dsit-cat" ] || { cp /bin/cat "$TMP/dsit-cat"; "$CTL" label --pin $PINC "$TMP/dsit-cat" 50; sleep 0.7; }
	local out rc
	out=$(in_ctx colby 20 "$TMP/dsit-cat" /proc/self/cgroup 2>&1); rc=$?
	[ $rc != 0 ] || { echo "exec without rule succeeded: $out"; return 1; }
	echo "$out" | grep -qi "permission denied\|not permitted" || { echo "unexpected error: $out"; return 1; }
	wait_event colby "type=EXEC_DENIED perm=transition src=20@1 tgt=50@1 rule=0 .* path=$TMP/dsit-cat" ||
		{ echo "no EXEC_DENIED event"; return 1; }
	[ "$(ctr $PINC execs_denied)" -ge 1 ] || { echo "counter"; return 1; }
}

# exec gate tests: tests/exec_tool.c and tests/preload.c, built once; copies of the tool labeled 50
# (transition 10 -> 40): dsit-tool-r (root 0755), dsit-tool-x (root 0711, execute-only) and
# dsit-tool-g (root:$GUARD_GID 2711, setgid to a group nobody is in); dsit-bad is a labeled
# executable that is not a program. $TMP/nb is writable by uid 65534 (nobody).
GUARD_GID=65533
EXEC_READY=0
exec_setup() {
	[ $EXEC_READY = 1 ] && return 0
	command -v gcc >/dev/null || { echo "gcc not installed"; return 77; }
	gcc -O2 -Wall -pthread -o "$TMP/dsit-tool" "$HERE/exec_tool.c" &&
		gcc -O2 -Wall -shared -fPIC -o "$TMP/dsit-preload.so" "$HERE/preload.c" || { echo "helpers do not build"; return 1; }
	chmod 0711 "$TMP"; mkdir -p "$TMP/nb"; chmod 0777 "$TMP/nb"
	cp "$TMP/dsit-tool" "$TMP/dsit-tool-r"; chmod 0755 "$TMP/dsit-tool-r"
	cp "$TMP/dsit-tool" "$TMP/dsit-tool-x"; chmod 0711 "$TMP/dsit-tool-x"
	cp "$TMP/dsit-tool" "$TMP/dsit-tool-g"; chgrp $GUARD_GID "$TMP/dsit-tool-g"; chmod 2711 "$TMP/dsit-tool-g"
	printf 'not a program\n' >"$TMP/dsit-bad"; chmod 0755 "$TMP/dsit-bad"
	for f in dsit-tool-r dsit-tool-x dsit-tool-g dsit-bad; do "$CTL" label --pin $PINC "$TMP/$f" 50 2>/dev/null || return 1; done
	sleep 0.7   # the watcher picks up marks recorded by other processes every 0.5 s
	EXEC_READY=1
}
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# killed_in_gate REASON BEFORE: the execs_killed counter grew and an EXEC_DENIED event names REASON
killed_in_gate() {
	[ "$(ctr $PINC execs_killed)" -gt "$2" ] || { echo "execs_killed did not grow"; return 1; }
	wait_event colby "type=EXEC_DENIED perm=transition src=10@1 tgt=40@1 .* reason=$1" ||
		{ echo "no EXEC_DENIED event with reason=$1: $(grep EXEC_DENIED $TMP/events-colby.log | tail -2)"; return 1; }
}

t_exec_gate_clean_transitions() {
	exec_setup || return $?
	local k0 out; k0=$(ctr $PINC execs_killed)
	# plain fork+exec, posix_spawn (CLONE_VFORK: the parent waits until the child's exec_mmap),
	# exec from a second thread (de_thread): each runs in scid-40 itself, not in its gate
	in_ctx colby 10 "$TMP/dsit-tool-r" mark "$TMP/c1.mark" || { echo "plain exec failed"; return 1; }
	in_ctx colby 10 python3 -c 'import os,sys; p=os.posix_spawn(sys.argv[1], [sys.argv[1], "mark", sys.argv[2]], {}); sys.exit(os.waitpid(p, 0)[1])' \
		"$TMP/dsit-tool-r" "$TMP/c2.mark" || { echo "posix_spawn failed"; return 1; }
	out=$(in_ctx colby 10 "$TMP/dsit-tool" thread-exec "$TMP/dsit-tool-r" mark "$TMP/c3.mark")
	[ "$out" = "exit 0" ] || { echo "exec from a thread: $out"; return 1; }
	for m in c1 c2 c3; do
		grep -q "/colby/scid-40$" "$TMP/$m.mark" 2>/dev/null || { echo "$m ran in: $(cat $TMP/$m.mark 2>&1)"; return 1; }
	done
	[ "$(ctr $PINC execs_killed)" = "$k0" ] || { echo "a clean transition was killed: $(grep EXEC_DENIED $TMP/events-colby.log | tail -1)"; return 1; }
	[ -z "$(cat $CGC/scid-40/exec-gate/cgroup.procs)" ] || { echo "pids left in the gate"; return 1; }
	grep -q "^1$" $CGC/scid-40/exec-gate/cgroup.freeze || { echo "gate not frozen"; return 1; }
}

t_exec_ld_preload_killed() {
	exec_setup || return $?
	local k0 rc; k0=$(ctr $PINC execs_killed)
	rm -f "$TMP/pre.mark" "$TMP/ran.mark"
	# the library is live: injected into an unlabeled copy it runs (in context 10)
	in_ctx colby 10 env LD_PRELOAD="$TMP/dsit-preload.so" DSIT_MARK="$TMP/pre.mark" "$TMP/dsit-tool" mark "$TMP/ran.mark"
	grep -q "/scid-10$" "$TMP/pre.mark" || { echo "preload library did not run at all: $(cat $TMP/pre.mark 2>&1)"; return 1; }
	rm -f "$TMP/ran.mark"
	in_ctx colby 10 env LD_PRELOAD="$TMP/dsit-preload.so" DSIT_MARK="$TMP/pre.mark" \
		"$TMP/dsit-tool-r" mark "$TMP/ran.mark"; rc=$?
	grep -q "scid-40" "$TMP/pre.mark" && { echo "injected code ran in context 40: $(cat $TMP/pre.mark)"; return 1; }
	[ $rc = 137 ] || { echo "exit status $rc (want 137, SIGKILL)"; return 1; }
	[ ! -e "$TMP/ran.mark" ] || { echo "the program ran: $(cat $TMP/ran.mark)"; return 1; }
	killed_in_gate env "$k0" || return 1
	# GCONV_PATH too (a libc variable, no LD_ prefix)
	in_ctx colby 10 env GCONV_PATH=/tmp "$TMP/dsit-tool-r" mark "$TMP/ran.mark"; rc=$?
	[ $rc = 137 ] && [ ! -e "$TMP/ran.mark" ] || { echo "GCONV_PATH: exit $rc"; return 1; }
}

t_exec_traced_caller_refused() {
	exec_setup || return $?
	local d0 out; d0=$(ctr $PINC execs_denied)
	rm -f "$TMP/ran.mark"
	# PTRACE_TRACEME, then exec: refused at the permission event (the exec fails with EPERM)
	out=$(in_ctx colby 10 "$TMP/dsit-tool" traceme "$TMP/dsit-tool-r" mark "$TMP/ran.mark")
	echo "$out" | grep -q "exec-failed Operation not permitted" || { echo "traced exec: $out"; return 1; }
	[ ! -e "$TMP/ran.mark" ] || { echo "the program ran: $(cat $TMP/ran.mark)"; return 1; }
	[ "$(ctr $PINC execs_denied)" -gt "$d0" ] || { echo "execs_denied did not grow"; return 1; }
	wait_event colby "type=EXEC_DENIED perm=transition src=10@1 tgt=40@1 .* reason=traced" || { echo "no event"; return 1; }
	# strace as the tracer
	if command -v strace >/dev/null; then
		out=$(in_ctx colby 10 strace -f -o /dev/null "$TMP/dsit-tool-r" mark "$TMP/ran.mark" 2>&1)
		[ ! -e "$TMP/ran.mark" ] || { echo "ran under strace: $(cat $TMP/ran.mark)"; return 1; }
	fi
}

t_exec_traced_thread_killed() {
	exec_setup || return $?
	local k0 out; k0=$(ctr $PINC execs_killed)
	rm -f "$TMP/ran.mark"
	# the tracer seizes only the second thread, which execs: the leader is not traced at the
	# permission event; after de_thread the exec'ing thread is the process, traced -> killed
	out=$(in_ctx colby 10 "$TMP/dsit-tool" thread-traced "$TMP/dsit-tool-r" mark "$TMP/ran.mark")
	[ "$out" = "signal 9" ] || { echo "traced thread's exec: $out"; return 1; }
	[ ! -e "$TMP/ran.mark" ] || { echo "the program ran: $(cat $TMP/ran.mark)"; return 1; }
	killed_in_gate traced "$k0"
}

t_exec_failed_after_allow_killed() {
	exec_setup || return $?
	local k0 rc; k0=$(ctr $PINC execs_killed)
	rm -f "$TMP/old.mark"
	# E2BIG (a 200 KB argument; checked after the open, i.e. after FAN_ALLOW) and ENOEXEC: the old
	# program, already in context 40's gate, must not continue there
	in_ctx colby 10 "$TMP/dsit-tool" exec-try "$TMP/dsit-tool-r" "$TMP/old.mark" 200000; rc=$?
	[ $rc = 137 ] || { echo "E2BIG: exit status $rc"; return 1; }
	[ ! -e "$TMP/old.mark" ] || { echo "E2BIG: $(cat $TMP/old.mark)"; return 1; }
	in_ctx colby 10 "$TMP/dsit-tool" exec-try "$TMP/dsit-bad" "$TMP/old.mark" 0; rc=$?
	[ $rc = 137 ] || { echo "ENOEXEC: exit status $rc"; return 1; }
	[ ! -e "$TMP/old.mark" ] || { echo "ENOEXEC: $(cat $TMP/old.mark)"; return 1; }
	killed_in_gate no_exec "$k0"
}

t_exec_ptrace_after_release() {
	exec_setup || return $?
	local pid d0 out=() f; d0=$(ctr $PINC execs_dumpable)
	# uid 65534 starts each copy in context 10 (-> 40); a process of the same uid outside DSI then
	# tries PTRACE_ATTACH, process_vm_writev and opening /proc/PID/mem for writing
	for f in g r x; do
		rm -f "$TMP/nb/$f.mark"
		in_ctx colby 10 "${AS_NOBODY[@]}" "$TMP/dsit-tool-$f" mark "$TMP/nb/$f.mark" sleep &
	done
	for f in g r x; do
		wait_file "$TMP/nb/$f.mark" || { echo "target $f did not start"; return 1; }
		read pid _ <"$TMP/nb/$f.mark"
		grep -q "/colby/scid-40$" "$TMP/nb/$f.mark" || { echo "target $f in $(cat $TMP/nb/$f.mark)"; return 1; }
		out+=("$("${AS_NOBODY[@]}" "$TMP/dsit-tool" attack $pid)")
		kill -9 $pid
	done
	log "same-uid attack: setgid 2711: ${out[0]}; 0755: ${out[1]}; execute-only 0711: ${out[2]}"
	# setgid to a group the caller is not in: non-dumpable, refused without CAP_SYS_PTRACE
	[ "${out[0]}" = "attach=EPERM vm_writev=EPERM mem=EACCES" ] || { echo "setgid transition attackable: ${out[0]}"; return 1; }
	# a plain binary: dumpable, the attack succeeds (README "What a caller can still do"), counted
	[ "${out[1]}" = "attach=ok vm_writev=EFAULT mem=ok" ] || { echo "readable transition: ${out[1]}"; return 1; }
	[ "$(ctr $PINC execs_dumpable)" -ge $((d0 + 1)) ] || { echo "execs_dumpable did not grow"; return 1; }
}

t_exec_nondump_only_mode() {
	exec_setup || return $?
	local k0 rc rcg; k0=$(ctr $PINC execs_killed)
	kill $DPID_colby; wait $DPID_colby 2>/dev/null
	start_daemon colby --exec-nondump-only || { echo "re-attach with --exec-nondump-only failed"; return 1; }
	rm -f "$TMP/nb/g.mark" "$TMP/nb/r.mark"
	in_ctx colby 10 "${AS_NOBODY[@]}" "$TMP/dsit-tool-r" mark "$TMP/nb/r.mark"; rc=$?
	in_ctx colby 10 "${AS_NOBODY[@]}" "$TMP/dsit-tool-g" mark "$TMP/nb/g.mark"; rcg=$?
	# no_new_privs makes the kernel ignore the setgid bit: dumpable again, killed
	rm -f "$TMP/nb/n.mark"
	in_ctx colby 10 "${AS_NOBODY[@]}" --no-new-privs "$TMP/dsit-tool-g" mark "$TMP/nb/n.mark"; local rcn=$?
	kill $DPID_colby; wait $DPID_colby 2>/dev/null
	start_daemon colby || { echo "re-attach failed"; return 1; }
	[ $rc = 137 ] && [ ! -e "$TMP/nb/r.mark" ] || { echo "readable binary: exit $rc, $(cat $TMP/nb/r.mark 2>&1)"; return 1; }
	[ $rcn = 137 ] && [ ! -e "$TMP/nb/n.mark" ] || { echo "setgid under no_new_privs: exit $rcn, $(cat $TMP/nb/n.mark 2>&1)"; return 1; }
	[ $rcg = 0 ] && grep -q "/colby/scid-40$" "$TMP/nb/g.mark" || { echo "setgid binary: exit $rcg, $(cat $TMP/nb/g.mark 2>&1) $(grep EXEC_DENIED $TMP/events-colby.log | tail -1)"; return 1; }
	killed_in_gate dumpable "$k0"
}

t_exec_gate_orphan_killed() {
	exec_setup || return $?
	local k0; k0=$(ctr $PINC execs_killed)
	# a pid left in a gate by a watcher that died before inspecting it (simulated: moved in by
	# hand while the watcher is down) is killed when the watcher starts, never released
	kill -9 $DPID_colby; wait $DPID_colby 2>/dev/null
	sleep 300 &
	local sp=$!
	echo $sp >$CGC/scid-40/exec-gate/cgroup.procs || { kill $sp; echo "cannot move into the gate"; return 1; }
	start_daemon colby || { kill -9 $sp; echo "re-attach failed"; return 1; }
	wait $sp; local rc=$?
	[ $rc = 137 ] || { kill -9 $sp 2>/dev/null; echo "gated pid: wait status $rc"; return 1; }
	[ "$(ctr $PINC execs_killed)" -gt "$k0" ] || { echo "execs_killed did not grow"; return 1; }
	wait_event colby "type=EXEC_DENIED perm=transition src=0@1 tgt=40@1 .* pid=$sp .* reason=orphan" ||
		{ echo "no orphan event"; return 1; }
}

t_full_size_packets_pass_labeled() {
	local l0 tb0 n
	l0=$(ctr $PINC packets_labeled); tb0=$(ctr $PINC label_too_big)
	# 1452 bytes payload = 1480-byte IP packet = 1500 on the wire with the label
	n=$(udp_case colby 10 munster 10 7013 20 --size 1452)
	[ "$n" = 20 ] || { echo "1452-byte datagrams: $n/20"; return 1; }
	# 1472 bytes = 1500-byte datagram: fragmented at the route MTU, first fragment labeled
	n=$(udp_case colby 10 munster 10 7013 20 --size 1472)
	[ "$n" = 20 ] || { echo "1472-byte datagrams (fragmented): $n/20"; return 1; }
	n=$(udp_case colby 10 munster 10 7013 10 --size 8000)
	[ "$n" = 10 ] || { echo "8000-byte datagrams (fragmented): $n/10"; return 1; }
	# every datagram is labeled (the first fragment carries it); none was too big for its label
	[ "$(ctr $PINC packets_labeled)" -ge $((l0 + 50)) ] || { echo "not labeled"; return 1; }
	[ "$(ctr $PINC label_too_big)" = "$tb0" ] || { echo "packets too big for the label"; return 1; }
	# the room comes from the route MTU the DSM set (no operator step)
	ip -n $NSC route show 10.199.0.0/24 | grep -q "mtu 1480" || { echo "colby's cluster route: $(ip -n $NSC route show 10.199.0.0/24)"; return 1; }
	ip -n $NSM route show $IPX | grep -q "mtu 1480" || { echo "munster's route to $IPX: $(ip -n $NSM route show $IPX)"; return 1; }
	# TCP bulk with full-size segments
	rm -f "$TMP/r.ready"
	in_ctx munster 10 $NT tcp-recv 7014 8 --expect 5000000 --ready "$TMP/r.ready" >"$TMP/r.out" &
	local rp=$!; wait_file "$TMP/r.ready"
	local out; out=$(in_ctx colby 10 $NT tcp-send $IPM 7014 5000000); wait $rp
	[ "$out" = "sent 5000000 ack ok" ] || { echo "tcp: $out"; return 1; }
}

t_offloads_off_tcp_udp() {
	command -v ethtool >/dev/null || { echo "ethtool not installed"; return 77; }
	for ns in $NSC:$IFC $NSM:$IFM; do
		ip netns exec ${ns%%:*} ethtool -K ${ns##*:} tx off tso off gso off gro off >/dev/null 2>&1 || { echo "ethtool -K failed"; return 1; }
	done
	local ok=0 out n
	rm -f "$TMP/r.ready"
	in_ctx munster 10 $NT tcp-recv 7015 8 --expect 3000000 --ready "$TMP/r.ready" >"$TMP/r.out" &
	local rp=$!; wait_file "$TMP/r.ready"
	out=$(in_ctx colby 10 $NT tcp-send $IPM 7015 3000000); wait $rp
	n=$(udp_case colby 10 munster 10 7016 20 --size 1452)
	for ns in $NSC:$IFC $NSM:$IFM; do
		ip netns exec ${ns%%:*} ethtool -K ${ns##*:} tx on tso on gso on >/dev/null 2>&1
	done
	[ "$out" = "sent 3000000 ack ok" ] || { echo "tcp without offloads: $out"; return 1; }
	[ "$n" = 20 ] || { echo "udp without checksum offload: $n/20"; return 1; }
}

t_label_all_segments_mode() {
	kill $DPID_colby; wait $DPID_colby 2>/dev/null
	start_daemon colby --label-all || { echo "re-attach with --label-all failed"; return 1; }
	local l0; l0=$(ctr $PINC packets_labeled)
	rm -f "$TMP/r.ready"
	in_ctx munster 10 $NT tcp-recv 7017 8 --expect 2000000 --ready "$TMP/r.ready" >"$TMP/r.out" &
	local rp=$!; wait_file "$TMP/r.ready"
	local out; out=$(in_ctx colby 10 $NT tcp-send $IPM 7017 2000000); wait $rp
	local l1; l1=$(ctr $PINC packets_labeled)
	# every UDP datagram too
	local n; n=$(udp_case colby 10 munster 10 7017 20)
	local l2; l2=$(ctr $PINC packets_labeled)
	# --label-datagrams: every UDP datagram, TCP as by default
	kill $DPID_colby; wait $DPID_colby 2>/dev/null
	start_daemon colby --label-datagrams || { echo "re-attach with --label-datagrams failed"; return 1; }
	local n2; n2=$(udp_case colby 10 munster 10 7018 20)
	local l3; l3=$(ctr $PINC packets_labeled)
	kill $DPID_colby; wait $DPID_colby 2>/dev/null
	start_daemon colby || { echo "re-attach failed"; return 1; }
	[ "$out" = "sent 2000000 ack ok" ] || { echo "tcp with every segment labeled: $out"; return 1; }
	[ $((l1 - l0)) -gt 10 ] || { echo "only $((l1 - l0)) packets labeled"; return 1; }
	[ "$n" = 20 ] && [ $((l2 - l1)) -ge 20 ] || { echo "--label-all udp: received $n/20, $((l2 - l1)) labels"; return 1; }
	[ "$n2" = 20 ] && [ $((l3 - l2)) -ge 20 ] || { echo "--label-datagrams: received $n2/20, $((l3 - l2)) labels"; return 1; }
}

t_atomic_table_swap_under_traffic() {
	"$CTL" load-table --pin $PINM "$TMP/A.tbl" >/dev/null || return 1
	rm -f "$TMP/r20.ready" "$TMP/r10.ready" "$TMP/swap.stop"
	# the receivers stop when the senders are done (a loaded machine may send slower), not at a fixed time
	in_ctx munster 20 $NT udp-recv 7022 120 --ready "$TMP/r20.ready" --stop "$TMP/swap.stop" >"$TMP/r20.out" &
	local r20=$!
	in_ctx munster 10 $NT udp-recv 7023 120 --ready "$TMP/r10.ready" --stop "$TMP/swap.stop" >"$TMP/r10.out" &
	local r10=$!
	wait_file "$TMP/r20.ready"; wait_file "$TMP/r10.ready"
	in_ctx colby 10 $NT udp-send $IPM 7022 40000 --interval 0.0001 >"$TMP/s20.out" 2>&1 &
	local s20=$!
	in_ctx colby 10 $NT udp-send $IPM 7023 40000 --interval 0.0001 >"$TMP/s10.out" 2>&1 &
	local s10=$!
	local sw; sw=$("$CTL" swap-loop --pin $PINM "$TMP/A.tbl" "$TMP/B.tbl" 3000)
	wait $s20 $s10
	touch "$TMP/swap.stop"
	wait $r20 $r10
	"$CTL" load-table --pin $PINM "$TMP/base.tbl" >/dev/null
	local got20 got10; got20=$(awk '{print $2}' $TMP/r20.out); got10=$(awk '{print $2}' $TMP/r10.out)
	log "swap: $sw; 10->20 delivered $got20 of $(cat $TMP/s20.out); 10->10 delivered $got10 of $(cat $TMP/s10.out)"
	[ -n "$sw" ] || { echo "swap-loop failed"; return 1; }
	[ "$got20" = 0 ] || { echo "$got20 denied packets delivered during swaps"; return 1; }
	[ "$got10" -ge 39600 ] || { echo "allowed flow lost packets: $got10/40000"; return 1; }
	local av; av=$(echo "$sw" | sed 's/.*avg \([0-9.]*\) ms.*/\1/')
	awk -v m="$av" 'BEGIN{exit !(m < 100)}' || { echo "swaps took $av ms on average"; return 1; }
}

t_table_swap_10k_within_100ms() {
	$GEN "$TMP/k10a.tbl" --version 20 --fill 10000 "${common[@]}" && $GEN "$TMP/k10b.tbl" --version 21 --fill 10000 "${common[@]}" || return 1
	local times=() i t
	for i in 1 2 3 4 5; do
		t=$("$CTL" load-table --pin $PINM "$TMP/k10$( [ $((i % 2)) = 1 ] && echo a || echo b).tbl" | sed 's/.* in \([0-9.]*\) ms/\1/')
		times+=($t)
	done
	"$CTL" load-table --pin $PINM "$TMP/base.tbl" >/dev/null
	local med; med=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 3p)
	log "10k-record table loads (ms): ${times[*]}"
	awk -v m="$med" 'BEGIN{exit !(m <= 100)}' || { echo "median load+swap of a 10k table: $med ms"; return 1; }
}

t_revocation_cuts_open_flows() {
	# one UDP socket and one TCP connection stay open across a table swap that revokes 10 -> 10
	# receive: verdicts cached per socket/flow must not outlive the table they were made with
	rm -f "$TMP/r.ready" "$TMP/t.ready"
	in_ctx munster 10 $NT udp-recv 7029 3 --ready "$TMP/r.ready" >"$TMP/r.out" &
	local rp=$!
	in_ctx munster 10 python3 -c '
import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0",7030)); s.listen(1)
open(sys.argv[1],"w").write("1"); c,_=s.accept(); c.settimeout(1.5); n=0
try:
  while True:
    d=c.recv(100)
    if not d: break
    n+=len(d)
except socket.timeout: pass
print(n)' "$TMP/t.ready" >"$TMP/t.out" &
	local tp=$!
	wait_file "$TMP/r.ready"; wait_file "$TMP/t.ready"
	in_ctx colby 10 python3 -c '
import socket,sys,time
u=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); t=socket.create_connection((sys.argv[1],7030))
for i in range(200):
  u.sendto(b"x",(sys.argv[1],7029)); t.send(b"y"); time.sleep(0.01)' $IPM &
	local sp=$!
	sleep 1
	"$CTL" load-table --pin $PINM "$TMP/revoke.tbl" >/dev/null
	wait $sp $rp $tp
	"$CTL" load-table --pin $PINM "$TMP/base.tbl" >/dev/null
	local u t; u=$(awk '{print $2}' $TMP/r.out); t=$(cat $TMP/t.out)
	log "revocation: udp delivered $u/200, tcp bytes $t/200"
	[ "$u" -ge 30 ] && [ "$u" -le 150 ] || { echo "udp delivered $u of 200 (revoked after ~1 s)"; return 1; }
	[ "$t" -ge 30 ] && [ "$t" -le 150 ] || { echo "tcp delivered $t of 200 bytes"; return 1; }
	[ "$(ctr $PINM socket_cache_hits)" -gt 0 ] || { echo "socket cache never hit"; return 1; }
}

t_udp_flow_swap_rejudges() {
	# an allowed UDP flow (unlabeled datagrams judged with the flow's label, verdict cached): a
	# table that denies it stops it at once (nothing sent after the swap is delivered), the table
	# that allows it again lets the same unlabeled flow through at once (re-judged with the
	# remembered label, without waiting for the sender's refresh)
	rm -f "$TMP/r.ready"
	in_ctx munster 10 python3 -c '
import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("0.0.0.0",7032)); open(sys.argv[1],"w").write("1")
s.settimeout(1.0); out=[]
try:
  while True: out.append(s.recv(100).decode())
except socket.timeout: pass
print("\n".join(out))' "$TMP/r.ready" >"$TMP/r.out" &
	local rp=$!; wait_file "$TMP/r.ready"
	in_ctx colby 10 python3 -c '
import socket,sys,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); end=time.time()+2.6
while time.time()<end:
  s.sendto(b"%.6f" % time.time(),(sys.argv[1],7032)); time.sleep(0.005)' $IPM &
	local sp=$!
	sleep 0.8
	"$CTL" load-table --pin $PINM "$TMP/revoke.tbl" >/dev/null; local tb; tb=$(date +%s.%N)
	sleep 0.8
	local tc; tc=$(date +%s.%N); "$CTL" load-table --pin $PINM "$TMP/base.tbl" >/dev/null
	local td; td=$(date +%s.%N)
	wait $sp $rp
	local before during after
	before=$(awk -v t=$tb '$1 != "" && $1 < t - 0.1' $TMP/r.out | wc -l)
	during=$(awk -v b=$tb -v c=$tc '$1 > b && $1 < c' $TMP/r.out | wc -l)
	after=$(awk -v t=$td '$1 > t && $1 < t + 0.3' $TMP/r.out | wc -l)
	log "swap re-judges: delivered before $before, while denied $during, in the 0.3 s after re-allowing $after"
	[ "$before" -ge 50 ] || { echo "flow not established before the swap ($before)"; return 1; }
	[ "$during" = 0 ] || { echo "$during datagrams sent while the flow was denied were delivered"; return 1; }
	[ "$after" -ge 20 ] || { echo "only $after datagrams in the 0.3 s after the flow was allowed again"; return 1; }
}

t_sigkill_keeps_enforcement() {
	kill -9 $DPID_colby $DPID_munster; wait $DPID_colby $DPID_munster 2>/dev/null
	local n
	n=$(udp_case colby 10 munster 20 7024 5)
	[ "$n" = 0 ] || { echo "after SIGKILL 10->20 delivered $n"; return 1; }
	n=$(udp_case colby 10 munster 10 7024 5)
	[ "$n" = 5 ] || { echo "after SIGKILL 10->10 delivered $n/5"; return 1; }
	local out; out=$(in_ctx colby 10 $NT bind udp 7020)
	[ "$out" = "error EPERM" ] || { echo "after SIGKILL bind check gone: $out"; return 1; }
}

t_readopt_no_duplicates() {
	start_daemon colby || { echo "re-attach colby failed: $(tail -2 $TMP/daemon-colby.err)"; return 1; }
	start_daemon munster || { echo "re-attach munster failed"; return 1; }
	# attach a third time from another process: still exactly one of each program
	"$CTL" attach --snid 2 --cgroup $CGM --pin $PINM --obj $OBJ --ifaces $IFM --netns /run/netns/$NSM ||
		{ echo "attach again failed"; return 1; }
	local cnt; cnt=$(bpftool cgroup show $CGM 2>/dev/null | grep -c dsi_)
	[ "$cnt" = 8 ] || { echo "$cnt cgroup programs on $CGM (want 8)"; bpftool cgroup show $CGM; return 1; }
	cnt=$(tc -n $NSM filter show dev $IFM egress | grep -c dsi_egress)
	[ "$cnt" = 1 ] || { echo "$cnt tc filters (want 1)"; return 1; }
	[ "$(ctr $PINM policy_version)" = 10 ] || { echo "policy lost: $(ctr $PINM policy_version)"; return 1; }
	local n; n=$(udp_case colby 10 munster 20 7025 5)
	[ "$n" = 0 ] || { echo "10->20 delivered $n after re-attach"; return 1; }
	n=$(udp_case colby 10 munster 10 7025 5)
	[ "$n" = 5 ] || { echo "10->10 delivered $n/5 after re-attach"; return 1; }
	wait_event colby "type=" 1 || true
	# the labeled binary is watched again after restart (watch list is pinned)
	if [ -f "$TMP/dsit-cat" ]; then
		local out; out=$(in_ctx colby 20 "$TMP/dsit-cat" /proc/self/cgroup 2>&1) && { echo "exec allowed after restart: $out"; return 1; }
	fi
	return 0
}

t_ipv6_unlabeled_judged() {
	ip -n $NSC addr add fd00:dead:beef::1/64 dev $IFC nodad 2>/dev/null
	ip -n $NSM addr add fd00:dead:beef::2/64 dev $IFM nodad 2>/dev/null
	sleep 0.2
	rm -f "$TMP/r.ready"
	in_ctx munster 10 python3 -c '
import socket,sys,time
s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM); s.bind(("::",7026)); open(sys.argv[1],"w").write("1")
s.settimeout(1.5); n=0
try:
  while True: s.recv(100); n+=1
except socket.timeout: pass
print(n)' "$TMP/r.ready" >"$TMP/r.out" &
	local rp=$!; wait_file "$TMP/r.ready"
	# outside DSI on colby (unlabeled, no (0,0)->10 rule): dropped at munster
	outside colby python3 -c '
import socket
s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)
for i in range(5): s.sendto(b"x",("fd00:dead:beef::2",7026))'
	wait $rp
	[ "$(cat $TMP/r.out)" = 0 ] || { echo "IPv6 from unlabeled sender delivered: $(cat $TMP/r.out)"; return 1; }
}

t_cleanup_detach_removes_everything() {
	for p in "${DAEMONS[@]}"; do kill $p 2>/dev/null; done
	wait 2>/dev/null
	DAEMONS=()
	for f in $(find "$CGT" -name cgroup.procs); do for p in $(cat $f); do kill -9 $p 2>/dev/null; done; done
	sleep 0.2
	"$CTL" detach --pin $PINM 2>/dev/null || { echo "detach munster failed"; return 1; }
	"$CTL" detach --pin $PINC 2>/dev/null || { echo "detach colby failed"; return 1; }
	[ ! -e $PINC ] && [ ! -e $PINM ] || { echo "pins remain: $(ls $PINC $PINM 2>&1)"; return 1; }
	# colby's attach created the parent $PINT: its detach (the last one) removed it
	[ ! -e $PINT ] || { echo "the parent pin directory the attach created remains: $PINT"; return 1; }
	[ ! -e $CGC ] && [ ! -e $CGM ] || { echo "cgroups remain: $(find $CGT)"; return 1; }
	tc -n $NSC filter show dev $IFC egress | grep -q . && { echo "tc filter remains on $IFC"; return 1; }
	tc -n $NSC qdisc show dev $IFC | grep -q clsact && { echo "clsact remains on $IFC"; return 1; }
	ip -n $NSC route show 10.199.0.0/24 | grep -q mtu && { echo "route MTU left after detach: $(ip -n $NSC route show 10.199.0.0/24)"; return 1; }
	# with the DSM gone, 10->20 traffic flows again (from processes outside DSI)
	rm -f "$TMP/r.ready"
	outside munster $NT udp-recv 7027 2 --expect 3 --ready "$TMP/r.ready" >"$TMP/r.out" &
	local rp=$!; wait_file "$TMP/r.ready"
	outside colby $NT udp-send $IPM 7027 3 >/dev/null; wait $rp
	grep -q "received 3 " $TMP/r.out || { echo "traffic after detach: $(cat $TMP/r.out)"; return 1; }
}

T0=$(date +%s)
for t in "${ALL_TESTS[@]}"; do
	"t_$t" >"$TMP/test.out" 2>&1; rc=$?
	out=$(cat "$TMP/test.out")
	result "$t" $rc "$(echo "$out" | grep -v '^#' | tail -3 | tr '\n' ' ')"
	echo "$out" | grep '^#' || true
done
log "runtime $(( $(date +%s) - T0 ))s"
echo "$PASS passed, $FAIL failed, $SKIP skipped"
[ $FAIL = 0 ]
