#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# DSM benchmark: DSM off vs on across a veth link between two namespaces (dsib-colby,
# dsib-munster, 10.199.0.0/24 only), in the same run. Prints each figure and the on/off ratio;
# "v1" rounds run the DSM with the unauthenticated labels of before (--legacy-labels): on/v1 is the
# cost of the MAC.
# Bounded (about a minute), namespace-only traffic, removes everything it created on exit.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
DSM=$(cd "$HERE/.." && pwd)
B=$DSM/build
CTL=$B/dsmctl
OBJ=$B/dsm.bpf.o
CL=$B/connloop
GEN="python3 $DSM/tests/gentable.py"
SECS=${BENCH_SECS:-2}

ID=$$
CGT=/sys/fs/cgroup/unified/dsi-bench-$ID
PINT=/sys/fs/bpf/dsi-bench-$ID
NSC=dsib-colby NSM=dsib-munster IFC=dsibc0 IFM=dsibm0 IPC=10.199.0.1 IPM=10.199.0.2
CGC=$CGT/colby CGM=$CGT/munster PINC=$PINT/colby PINM=$PINT/munster
TMP=$(mktemp -d /tmp/dsi-bench-$ID.XXXX)
MOUNTED_BPFFS=0
BG=()
BGP=()
export PIDFILE=

cleanup() {
	set +e
	for p in "${BGP[@]}" "${BG[@]}"; do kill "$p" 2>/dev/null; done
	for f in $(find "$CGT" -name cgroup.procs 2>/dev/null); do for p in $(cat $f); do kill -9 $p 2>/dev/null; done; done
	sleep 0.2
	[ -d "$PINC" ] && "$CTL" detach --pin "$PINC" >/dev/null 2>&1
	[ -d "$PINM" ] && "$CTL" detach --pin "$PINM" >/dev/null 2>&1
	ip netns del $NSC 2>/dev/null; ip netns del $NSM 2>/dev/null
	[ -d "$CGT" ] && find "$CGT" -depth -type d -exec rmdir {} \; 2>/dev/null
	rm -rf "$PINT" 2>/dev/null
	[ $MOUNTED_BPFFS = 1 ] && [ -z "$(ls /sys/fs/bpf | grep -v '\.debug$')" ] && umount /sys/fs/bpf
	[ -n "${OLD_STATS:-}" ] && sysctl -qw kernel.bpf_stats_enabled=$OLD_STATS 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "bench: needs root"; exit 1; }
for c in sockperf iperf3 python3; do command -v $c >/dev/null || { echo "bench: missing $c (install-deps.sh)"; exit 1; }; done
make -C "$DSM" all build/null.bpf.o build/nullhooks >/dev/null || exit 1
mountpoint -q /sys/fs/bpf || { mount -t bpf bpf /sys/fs/bpf && MOUNTED_BPFFS=1; }

ip netns add $NSC; ip netns add $NSM
ip link add $IFC netns $NSC type veth peer name $IFM netns $NSM
ip -n $NSC addr add $IPC/24 dev $IFC; ip -n $NSM addr add $IPM/24 dev $IFM
for ns in $NSC $NSM; do ip -n $ns link set lo up; done
ip -n $NSC link set $IFC up; ip -n $NSM link set $IFM up
# the DSM lowers the cluster routes' MTU by the label's length itself (off: MTU 1500)
mkdir -p $CGT/off $CGT/null-colby $CGT/null-munster
sleep 0.5

MODE=off
# run NODE CMD...: in context 10 of NODE when MODE=on or v1, in a plain cgroup when off, in the cgroup
# with the empty programs when null-*
run() {
	local node=$1; shift
	local cg ns
	if [ $node = colby ]; then ns=$NSC cg=$CGC/scid-10; else ns=$NSM cg=$CGM/scid-10; fi
	[ $MODE = off ] && cg=$CGT/off
	[[ $MODE == null* ]] && cg=$CGT/null-$node
	bash -c 'echo $$ > "$1"; [ -n "$PIDFILE" ] && echo $$ > "$PIDFILE"; shift; ns=$1; shift; exec nsenter --net=/run/netns/$ns "$@"' _ "$cg/cgroup.procs" "$ns" "$@"
}
# bg NAME NODE CMD...: background server; its pid (the server itself) in $TMP/NAME.pid
bg() {
	local name=$1; shift
	rm -f $TMP/$name.pid
	PIDFILE=$TMP/$name.pid run "$@" >$TMP/$name.out 2>&1 &
	BG+=($!); eval "BGS_$name=$!"
	for _ in $(seq 50); do [ -s $TMP/$name.pid ] && break; sleep 0.02; done
	BGP+=($(cat $TMP/$name.pid))
}
stop_bg() { # kill the server (by its pid) and reap the wrapper
	local p w; p=$(cat $TMP/$1.pid 2>/dev/null); eval "w=\$BGS_$1"
	[ -n "$p" ] && kill $p 2>/dev/null
	wait $w 2>/dev/null; true
}
iperf_once() { # port
	bg iperf munster iperf3 -s -1 -p $1; sleep 0.4
	local out
	run colby iperf3 -c $IPM -p $1 -t $SECS -J 2>/dev/null | python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))'
	stop_bg iperf
}
best_of3() { printf '%s\n' "$@" | sort -g | tail -1; }
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }

declare -A R
declare -A S   # samples: "metric_mode" -> space separated values
add() { S[$1]="${S[$1]:-} $2"; }
median() { printf '%s\n' $1 | sort -g | awk '{v[NR]=$1} END{ if (NR) print v[int((NR+1)/2)] }'; }
best() { printf '%s\n' $1 | sort -g | tail -1; }

# BENCH_ONLY="rtt tput conn exec": measure only these (the rounds' table swap and statistics stay)
want() { [ -z "${BENCH_ONLY:-}" ] || [[ " $BENCH_ONLY " == *" $1 "* ]]; }
# perf_mode METRIC MODE DELAY: with BENCH_PERF=file and BENCH_ONLY=METRIC (tput or conn), a
# 1-second perf record -g of all CPUs into file.MODE, DELAY seconds into the measurement
perf_mode() {
	[ -n "${BENCH_PERF:-}" ] && [ "${BENCH_ONLY:-}" = $1 ] || return 0
	sleep $3; perf record -q -a -g -o "$BENCH_PERF.$2" -- sleep 1 >/dev/null 2>&1
}
measure() { # mode
	local m=$1 v
	if want rtt; then
	# sockperf UDP ping-pong: median latency (p50); sockperf reports half the round trip
	bg sr munster sockperf sr -i 0.0.0.0 -p 7100; sleep 0.4
	run colby sockperf pp -i $IPM -p 7100 -t $SECS >$TMP/sockperf-$m.out 2>&1
	v=$(sed -n 's/.*percentile 50.000 = *\([0-9.]*\).*/\1/p' $TMP/sockperf-$m.out | tail -1)
	stop_bg sr
	if [ -n "$v" ]; then add rtt_$m "$(awk -v v=$v 'BEGIN{printf "%.3f", 2*v}')"; else echo "sockperf ($m) failed"; tail -2 $TMP/sockperf-$m.out; fi
	# the same with the CPUs kept out of idle states (PM QoS: /dev/cpu_dma_latency = 0 while the fd
	# is open): on a quiet VM the plain figure is mostly the CPUs' wake-up latency
	if [ -w /dev/cpu_dma_latency ]; then
		bg sr munster sockperf sr -i 0.0.0.0 -p 7104; sleep 0.4
		exec 9>/dev/cpu_dma_latency; printf '\x00\x00\x00\x00' >&9
		# BENCH_PERF=file with BENCH_ONLY=rtt: perf record -g of the DSM-on awake ping-pong
		[ -n "${BENCH_PERF:-}" ] && [ $m = on ] && [ "${BENCH_ONLY:-}" = rtt ] &&
			{ sleep 0.5; perf record -q -a -g -o "$BENCH_PERF" -- sleep 1 >/dev/null 2>&1; } &
		run colby sockperf pp -i $IPM -p 7104 -t $SECS >$TMP/sockperf-aw-$m.out 2>&1
		wait $! 2>/dev/null
		exec 9>&-
		v=$(sed -n 's/.*percentile 50.000 = *\([0-9.]*\).*/\1/p' $TMP/sockperf-aw-$m.out | tail -1)
		stop_bg sr
		[ -n "$v" ] && add rtta_$m "$(awk -v v=$v 'BEGIN{printf "%.3f", 2*v}')"
	fi
	fi
	if want tput; then
		perf_mode tput $m 1 &
		add tput_$m "$(iperf_once 7101)"
		wait $! 2>/dev/null
	fi
	if want conn; then
		bg cs munster $CL server 7102 $((SECS + 2)); sleep 0.3
		perf_mode conn $m 0.5 &
		add conn_$m "$(run colby $CL client $IPM 7102 $SECS | awk '{print $NF}')"
		wait $! 2>/dev/null
		stop_bg cs
	fi
	if want exec && [[ $m != null* ]]; then
		add exec_$m "$(run colby $CL exec 500 $TMP/plain-true | awk '{print $NF}')"
		[ $m = on ] && add exec_lab "$(run colby $CL exec 500 $TMP/labeled-true | awk '{print $NF}')"
	fi
	true
}

cp /bin/true $TMP/plain-true
cp /bin/true $TMP/labeled-true

common=(--node 1=$IPC --node 2=$IPM --ctx 10 --ctx 40 --access 10,ANY,10,all,1
	--access 10,ANY,0,connect+send,2 --access 40,ANY,40,all,3 --access 10,ANY,40,transition,4
	--trans 10,50,40,5)
$GEN $TMP/base.tbl --version 1 "${common[@]}"
$GEN $TMP/k10a.tbl --version 2 --fill 10000 "${common[@]}"
$GEN $TMP/k10b.tbl --version 3 --fill 10000 "${common[@]}"
start() { # node snid extra
	local node=$1 snid=$2; shift 2
	local ns cg pin ifc
	if [ $node = colby ]; then ns=$NSC cg=$CGC pin=$PINC ifc=$IFC; else ns=$NSM cg=$CGM pin=$PINM ifc=$IFM; fi
	rm -f $TMP/ready-$node
	"$CTL" run --snid $snid --cgroup $cg --pin $pin --obj $OBJ --ifaces $ifc --netns /run/netns/$ns \
		--ready $TMP/ready-$node "$@" >/dev/null 2>$TMP/err-$node &
	BG+=($!); eval "DPID_$node=$!"
	for _ in $(seq 100); do [ -s $TMP/ready-$node ] && break; sleep 0.05; done
	"$CTL" context --pin $pin create 10; "$CTL" context --pin $pin create 40
	"$CTL" load-table --pin $pin $TMP/base.tbl >/dev/null
}
K11=000102030405060708090a0b0c0d0e0f K12=f0e1d2c3b4a5968778695a4b3c2d1e0f K22=2b7e151628aed2a6abf7158809cf4f3c
dsm_on() { # [dsmctl run options for both nodes]
	start colby 1 "$@"; start munster 2 "$@"
	"$CTL" keys --pin $PINC set 1 1:1:$K11 1:2:$K12 && "$CTL" keys --pin $PINM set 1 1:1:$K12 1:2:$K22 ||
		{ echo "bench: cannot install label keys"; exit 1; }
	"$CTL" label --pin $PINC $TMP/labeled-true 50
	sleep 0.7
	MODE=on
}
dsm_off() {
	MODE=off
	kill $DPID_colby $DPID_munster 2>/dev/null; wait $DPID_colby $DPID_munster 2>/dev/null
	"$CTL" detach --pin $PINC 2>/dev/null; "$CTL" detach --pin $PINM 2>/dev/null
	setfattr -x trusted.dsi.scid $TMP/labeled-true 2>/dev/null
	true
}

# BENCH_NULL="tc tcx" (either or both): one more mode per round for each, "null-tc"/"null-tcx":
# empty programs (bench/null.bpf.o) at the DSM's hooks (cgroup links; egress through a clsact
# cls_bpf filter, as the DSM does, or a tcx link): the cost of the hooks alone, the floor under
# the DSM's figures on this machine
NULL_OBJ=$B/null.bpf.o NULL_HOOKS=$B/nullhooks
null_on() { # tc|tcx
	local node ns ifc
	for node in colby munster; do
		if [ $node = colby ]; then ns=$NSC ifc=$IFC; else ns=$NSM ifc=$IFM; fi
		nsenter --net=/run/netns/$ns $NULL_HOOKS $NULL_OBJ $CGT/null-$node $ifc $1 >$TMP/null-$node.out 2>&1 &
		BG+=($!); eval "NPID_$node=$!"
		for _ in $(seq 100); do grep -q ready $TMP/null-$node.out && break; sleep 0.05; done
		grep -q ready $TMP/null-$node.out || { echo "nullhooks ($node) failed:"; cat $TMP/null-$node.out; exit 1; }
	done
	MODE=null-$1
}
null_off() {
	MODE=off
	kill $NPID_colby $NPID_munster 2>/dev/null; wait $NPID_colby $NPID_munster 2>/dev/null; true
}

# BENCH_PROFILE=1: no off/on rounds; DSM on, kernel.bpf_stats_enabled during a connects/s run,
# prints the cost per run of every program on both nodes (load-independent per-connection cost)
prog_stats() {
	local pin p
	for pin in $PINC $PINM; do
		for p in dsi_egress dsi_ingress dsi_sock_create dsi_connect4 dsi_sendmsg4 dsi_bind4; do
			bpftool prog show pinned $pin/prog_$p 2>/dev/null | awk -v n="$(basename $pin)/$p" '
				{ for (i = 1; i < NF; i++) { if ($i == "run_time_ns") t = $(i+1); if ($i == "run_cnt") c = $(i+1) } }
				END { if (c > 0) printf "  %-26s %10d runs %8.1f ns/run %12d ns\n", n, c, t / c, t }'
		done
	done
}
# prog_costs: ns per run of each program during a 2 s ping-pong and a stream, with
# kernel.bpf_stats_enabled on only for them (the measured rounds are not slowed down)
prog_costs() {
	sysctl -qw kernel.bpf_stats_enabled=1 2>/dev/null
	bg sr munster sockperf sr -i 0.0.0.0 -p 7100; sleep 0.4
	run colby sockperf pp -i $IPM -p 7100 -t 2 >/dev/null 2>&1
	stop_bg sr
	iperf_once 7101 >/dev/null
	sysctl -qw kernel.bpf_stats_enabled=$OLD_STATS 2>/dev/null
	for pin in $PINC $PINM; do
		for p in dsi_egress dsi_ingress dsi_port_guard dsi_sock_create dsi_connect4 dsi_sendmsg4; do
			bpftool prog show pinned $pin/prog_$p 2>/dev/null | awk -v n="$(basename $pin)/$p" '
				{ for (i = 1; i < NF; i++) { if ($i == "run_time_ns") t = $(i+1); if ($i == "run_cnt") c = $(i+1) } }
				END { if (c > 0) printf "  %-26s %10d runs %8.1f ns/run\n", n, c, t / c }'
		done
	done
}
if [ -n "${BENCH_PROFILE:-}" ]; then
	OLD_STATS=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
	MODE=off; bg cs munster $CL server 7102 $((SECS + 2)); sleep 0.3
	echo "connects/s off: $(run colby $CL client $IPM 7102 $SECS)"; stop_bg cs
	dsm_on
	sysctl -qw kernel.bpf_stats_enabled=1
	bg cs munster $CL server 7102 $((SECS + 2)); sleep 0.3
	[ -n "${BENCH_PERF:-}" ] && { sleep 1; perf record -q -a -g -o "$BENCH_PERF" -- sleep $((SECS - 1)) >/dev/null 2>&1; } &
	echo "connects/s on:  $(run colby $CL client $IPM 7102 $SECS)"; stop_bg cs; wait $! 2>/dev/null
	sysctl -qw kernel.bpf_stats_enabled=$OLD_STATS
	EU= EL= ER=
	for i in $(seq 9); do
		u=$(run colby $CL exec 200 $TMP/plain-true | awk '{print $NF}')
		l=$(run colby $CL exec 200 $TMP/labeled-true | awk '{print $NF}')
		EU+=" $u" EL+=" $l" ER+=" $(awk -v a=$l -v b=$u 'BEGIN{printf "%.3f", a/b}')"
	done
	echo "exec unlabeled (us):$EU  median $(median "$EU")"
	echo "exec labeled (us):$EL  median $(median "$EL")"
	echo "exec labeled/unlabeled:$ER  median $(median "$ER")"
	prog_stats
	"$CTL" counters --pin $PINM
	dsm_off
	exit 0
fi

ROUNDS=${BENCH_ROUNDS:-5}
OLD_STATS=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
for r in $(seq $ROUNDS); do
	echo "== round $r/$ROUNDS: DSM off"
	MODE=off; measure off
	for k in ${BENCH_NULL:-}; do
		echo "== round $r/$ROUNDS: null hooks ($k): empty programs at the DSM's hooks"
		null_on $k; measure null-$k; null_off
	done
	echo "== round $r/$ROUNDS: DSM on, v1 labels (no MAC; labels on TCP SYNs and UDP flows' first datagrams)"
	dsm_on --legacy-labels; MODE=v1; measure v1
	[ $r = $ROUNDS ] && PSTATS_V1=$(prog_costs)
	dsm_off
	echo "== round $r/$ROUNDS: DSM on (v2 labels with MAC on TCP SYNs and every UDP datagram)"
	dsm_on; measure on
	l_on=$("$CTL" counters --pin $PINC | awk '$1=="packets_labeled"{print $2}')
	if [ $r = $ROUNDS ]; then
		PSTATS=$(prog_costs)
		echo "== table swap, 10,000 access records"
		SW=$("$CTL" swap-loop --pin $PINM $TMP/k10a.tbl $TMP/k10b.tbl 20)
	fi
	dsm_off
	if want tput; then
		echo "== round $r/$ROUNDS: DSM on, every TCP segment labeled (DSM_F_LABEL_ALL_SEGMENTS), throughput"
		dsm_on --label-all; add tput_all "$(iperf_once 7103)"; dsm_off
	fi
done
for k in rtt_off rtt_on rtta_off rtta_on conn_off conn_on exec_off exec_on exec_lab rtt_v1 rtta_v1 conn_v1 tput_v1; do R[$k]=$(median "${S[$k]:-}"); done
for k in tput_off tput_on tput_all; do R[$k]=$(median "${S[$k]:-}"); done
ST=$(stat -c %s $TMP/k10a.tbl)

# on/off = median over rounds of (on / off) of the same round: robust against load that changes
# between rounds on a shared machine
ratio() { # on-samples off-samples
	paste <(printf '%s\n' $1) <(printf '%s\n' $2) | awk '$2 > 0 {print $1 / $2}' | sort -g |
		awk '{v[NR]=$1} END{ if (NR) printf "%.3f", v[int((NR+1)/2)]; else print "n/a" }'
}
echo
printf "%-34s %12s %12s %8s  %s\n" "metric" "off" "on" "on/off" "goal"
printf "%-34s %12s %12s %8s  %s\n" "UDP ping-pong RTT (us, p50)" "${R[rtt_off]}" "${R[rtt_on]}" "$(ratio "${S[rtt_on]:-}" "${S[rtt_off]:-}")" "<= 1.05"
[ -n "${S[rtta_on]:-}" ] && printf "%-34s %12s %12s %8s  %s\n" "  same, CPUs kept awake (PM QoS)" "${R[rtta_off]}" "${R[rtta_on]}" "$(ratio "${S[rtta_on]}" "${S[rtta_off]}")" "<= 1.05"
printf "%-34s %12s %12s %8s  %s\n" "TCP stream (Gbit/s, iperf3)" "${R[tput_off]}" "${R[tput_on]}" "$(ratio "${S[tput_on]:-}" "${S[tput_off]:-}")" ">= 0.98"
printf "%-34s %12s %12s %8s  %s\n" "  same, every segment labeled" "${R[tput_off]}" "${R[tput_all]}" "$(ratio "${S[tput_all]:-}" "${S[tput_off]:-}")" "(info)"
printf "%-34s %12s %12s %8s  %s\n" "TCP connects/s" "${R[conn_off]}" "${R[conn_on]}" "$(ratio "${S[conn_on]:-}" "${S[conn_off]:-}")" ">= 0.95"
printf "%-34s %12s %12s %8s  %s\n" "exec unlabeled binary (us)" "${R[exec_off]}" "${R[exec_on]}" "$(ratio "${S[exec_on]:-}" "${S[exec_off]:-}")" "(info)"
printf "%-34s %12s %12s %8s  %s\n" "exec labeled vs unlabeled (us)" "${R[exec_on]}" "${R[exec_lab]}" "$(ratio "${S[exec_lab]:-}" "${S[exec_on]:-}")" "<= 1.25"
echo "the MAC: v2 labels (on) against v1 labels without MAC, same rounds"
printf "%-34s %12s %12s %8s  %s\n" "metric" "v1" "on" "on/v1" "goal"
printf "%-34s %12s %12s %8s  %s\n" "UDP ping-pong RTT (us, p50)" "${R[rtt_v1]}" "${R[rtt_on]}" "$(ratio "${S[rtt_on]:-}" "${S[rtt_v1]:-}")" "(info: v2 labels every datagram)"
[ -n "${S[rtta_on]:-}" ] && printf "%-34s %12s %12s %8s  %s\n" "  same, CPUs kept awake (PM QoS)" "${R[rtta_v1]}" "${R[rtta_on]}" "$(ratio "${S[rtta_on]}" "${S[rtta_v1]:-}")" "(info)"
printf "%-34s %12s %12s %8s  %s\n" "TCP stream (Gbit/s, iperf3)" "${R[tput_v1]}" "${R[tput_on]}" "$(ratio "${S[tput_on]:-}" "${S[tput_v1]:-}")" "(info)"
printf "%-34s %12s %12s %8s  %s\n" "TCP connects/s" "${R[conn_v1]}" "${R[conn_on]}" "$(ratio "${S[conn_on]:-}" "${S[conn_v1]:-}")" ">= 0.98"
echo "10k-entry table ($ST bytes): $SW   (goal: <= 100 ms)"
echo "packets labeled by colby during the last on round: $l_on"
echo "BPF program cost, v1 labels (extra run with kernel.bpf_stats_enabled):"
printf '%s\n' "$PSTATS_V1" | grep -v '^$'
echo "BPF program cost, v2 labels (extra run with kernel.bpf_stats_enabled):"
printf '%s\n' "$PSTATS" | grep -v '^$'
for n in ${BENCH_NULL:-}; do
	echo "floor: empty programs at the same hooks, egress via $n, same rounds"
	printf "%-34s %12s %12s %10s %8s\n" "metric" "off" "null-$n" "null/off" "on/null"
	for m in "rtt:UDP ping-pong RTT (us, p50)" "rtta:  same, CPUs kept awake" "tput:TCP stream (Gbit/s)" "conn:TCP connects/s"; do
		k=${m%%:*}
		printf "%-34s %12s %12s %10s %8s\n" "${m#*:}" "${R[${k}_off]}" "$(median "${S[${k}_null-$n]:-}")" \
			"$(ratio "${S[${k}_null-$n]:-}" "${S[${k}_off]:-}")" "$(ratio "${S[${k}_on]:-}" "${S[${k}_null-$n]:-}")"
	done
done
echo "values: medians of $ROUNDS alternating rounds; on/off: median of the per-round ratios; samples:"
for k in rtt_off rtt_on rtta_off rtta_on tput_off tput_on tput_all conn_off conn_on exec_off exec_on exec_lab rtt_v1 rtta_v1 tput_v1 conn_v1; do echo "  $k:${S[$k]:-}"; done
for n in ${BENCH_NULL:-}; do for k in rtt rtta tput conn; do echo "  ${k}_null-$n:${S[${k}_null-$n]:-}"; done; done
