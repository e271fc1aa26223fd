#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Virtual security zones end to end (seed 002): PhoneMania and RingBell on nodes colby and munster.
#
#   demo/zones-demo.sh           the demo, step by step, in the operator's terms (./dsi demo)
#   demo/zones-demo.sh --check   the same scenario as an acceptance test: every step is asserted,
#                                last line "N passed, N failed"; exit 1 on any failure, 0 with
#                                "SKIP: <reason>" when the machine cannot run it (not root, ...)
#
# Two network namespaces `colby` (SnID 1, 10.77.0.1) and `munster` (SnID 2, 10.77.0.2) joined by a
# veth pair — the addresses of policy-samples/virtual-zones.xml; traffic only between them.
# Two real Karaf processes of the built distribution run in the host namespace (their SSH/SCC
# traffic stays on the host's loopback, outside every DSI context): colby is the Security Server
# (role server: it also applies the policy to its own DSM), munster a Security Manager joined with
# a one-time token. Each DSM is attached to its node's namespace (org.opendsi.dsm: netns, interfaces
# = its veth end and lo) with its own cgroup subtree and pin directory. The applications run inside
# the namespaces, started from a shell in context 2 (exec transitions into 10 and 20).
# Everything created is removed on exit, failure or Ctrl-C.
set -u
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
CHECK=0
[ "${1:-}" = --check ] && CHECK=1
T_START=$(date +%s.%N)
ID=$$
WORK=""
NODES=(colby munster)
declare -A SNID=([colby]=1 [munster]=2) IP=([colby]=10.77.0.1 [munster]=10.77.0.2)
declare -A IFACE=([colby]=veth-colby [munster]=veth-munster) SSH=([colby]=18201 [munster]=18202)
declare -A KPID=() CG=() PIN=()
APPS_PIDS=()
PASS=0; FAIL=0
CTL=$ROOT/kernel/dsm/build/dsmctl

if [ -t 1 ]; then B=$'\033[1m'; G=$'\033[32m'; R=$'\033[31m'; N=$'\033[0m'; else B= G= R= N=; fi
say() { printf '\n%s==> [%6.1fs] %s%s\n' "$B" "$(since $T_START)" "$*" "$N"; }
info() { printf '    %s\n' "$*"; }
ok() { PASS=$((PASS + 1)); printf '    %sPASS%s %s\n' "$G" "$N" "$*"; }
ko() { FAIL=$((FAIL + 1)); printf '    %sFAIL%s %s\n' "$R" "$N" "$*"; }
check() { # check "what" command... : the command's status decides
	local what=$1; shift
	if "$@"; then ok "$what"; else ko "$what"; fi
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
skip() {
	echo "SKIP: $*"
	[ $CHECK = 1 ] && echo "0 passed, 0 failed (skipped: $*)"
	exit 0
}
die() {
	ko "$*"
	exit 1
}

# ------------------------------------------------------------------ cleanup (always)
cleanup() {
	set +e
	trap - EXIT INT TERM
	say "cleaning up: applications, Karaf processes, DSMs, namespaces, cgroups, pins, temp files"
	for p in "${APPS_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "$WORK" ] && pkill -f "udpflood.py 10.77.0.2 9001 1000 $WORK/" 2>/dev/null
	for n in "${NODES[@]}"; do
		if [ -n "${KPID[$n]:-}" ] && kill -0 "${KPID[$n]}" 2>/dev/null; then
			"$WORK/$n/karaf/bin/stop" >/dev/null 2>&1 &
		fi
	done
	wait_stop=0
	for _ in $(seq 40); do
		wait_stop=0
		for n in "${NODES[@]}"; do [ -n "${KPID[$n]:-}" ] && kill -0 "${KPID[$n]}" 2>/dev/null && wait_stop=1; done
		[ $wait_stop = 0 ] && break
		sleep 0.5
	done
	for n in "${NODES[@]}"; do [ -n "${KPID[$n]:-}" ] && pkill -9 -P "${KPID[$n]}" 2>/dev/null; [ -n "${KPID[$n]:-}" ] && kill -9 "${KPID[$n]}" 2>/dev/null; done
	# processes left in our context cgroups are ours
	for n in "${NODES[@]}"; do
		[ -n "${CG[$n]:-}" ] || continue
		for f in $(find "${CG[$n]}" -name cgroup.procs 2>/dev/null); do
			for p in $(cat "$f"); do kill -9 "$p" 2>/dev/null; done
		done
	done
	sleep 0.2
	for n in "${NODES[@]}"; do
		[ -n "${PIN[$n]:-}" ] && [ -d "${PIN[$n]}" ] && "$CTL" detach --pin "${PIN[$n]}" >/dev/null 2>&1
		ip netns del "$n" 2>/dev/null
	done
	ip link del veth-colby 2>/dev/null
	[ -n "${CGBASE:-}" ] && [ -d "$CGBASE/dsi-demo-$ID" ] && find "$CGBASE/dsi-demo-$ID" -depth -type d -exec rmdir {} \; 2>/dev/null
	[ -d "/sys/fs/bpf/dsi-demo-$ID" ] && rm -rf "/sys/fs/bpf/dsi-demo-$ID"
	[ -n "$WORK" ] && [ -d "$WORK" ] && rm -rf "$WORK"
	[ -n "${PROMDIR:-}" ] && [ -d "$PROMDIR" ] && rm -rf "$PROMDIR"
	local left=""
	ip netns list 2>/dev/null | grep -qE '^(colby|munster)( |$)' && left="$left namespaces"
	[ -e "/sys/fs/bpf/dsi-demo-$ID" ] && left="$left pins"
	[ -n "${CGBASE:-}" ] && [ -e "$CGBASE/dsi-demo-$ID" ] && left="$left cgroups"
	if [ -n "$left" ]; then echo "    cleanup left:$left"; else echo "    nothing left behind"; fi
}

# ------------------------------------------------------------------ prerequisites
[ "$(id -u)" = 0 ] || skip "not root (namespaces, cgroups and the kernel DSM need root)"
for c in ip nsenter tar make cc java; do command -v $c >/dev/null || skip "missing command $c"; done
if [ -z "${JAVA_HOME:-}" ]; then
	JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")"); export JAVA_HOME
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null || skip "no bpffs at /sys/fs/bpf"
if grep -q " /sys/fs/cgroup/unified cgroup2" /proc/mounts; then CGBASE=/sys/fs/cgroup/unified
elif grep -q " /sys/fs/cgroup cgroup2" /proc/mounts; then CGBASE=/sys/fs/cgroup
else skip "no cgroup v2 mount"; fi
for n in "${NODES[@]}"; do
	ip netns list | grep -qE "^$n( |$)" && skip "a network namespace named $n exists already (another demo running?)"
done
for p in "${SSH[@]}" 18843 18844; do
	(exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && skip "port $p is in use (another demo running?)"
done

say "building the demo applications and the kernel DSM"
make -s -C "$ROOT/demo/apps" || die "make -C demo/apps failed"
make -s -C "$ROOT/kernel/dsm" >/dev/null || die "make -C kernel/dsm failed"
ARCHIVE=$(ls "$ROOT"/karaf-distribution/target/dsi-karaf-distribution-*.tar.gz 2>/dev/null | head -n 1)
if [ -z "$ARCHIVE" ]; then
	info "no built distribution: building it (mvn install -DskipTests)"
	(cd "$ROOT" && mvn -B -ntp -q install -DskipTests) || die "build failed"
	ARCHIVE=$(ls "$ROOT"/karaf-distribution/target/dsi-karaf-distribution-*.tar.gz | head -n 1)
fi
PROBE=$("$CTL" probe 2>&1 | head -1 | awk '{print $2}')
[ "$PROBE" = 0xff ] || skip "the kernel lacks a facility the DSM needs: $("$CTL" probe 2>&1 | tail -n +2)"

trap cleanup EXIT
trap 'echo; echo "interrupted"; exit 130' INT TERM
WORK=$(mktemp -d /tmp/dsi-demo-$ID.XXXX)

# ------------------------------------------------------------------ the two nodes
say "creating nodes colby (SnID 1, 10.77.0.1) and munster (SnID 2, 10.77.0.2): network namespaces + veth link"
ip netns add colby && ip netns add munster || die "cannot create network namespaces"
ip link add veth-colby netns colby type veth peer name veth-munster netns munster || die "cannot create the veth pair"
for n in "${NODES[@]}"; do
	ip -n $n addr add ${IP[$n]}/24 dev ${IFACE[$n]}
	ip -n $n link set lo up
	ip -n $n link set ${IFACE[$n]} up
	# the label option adds 20 bytes: the DSM lowers the cluster route's MTU to 1500 - 20 itself
	CG[$n]=$CGBASE/dsi-demo-$ID/$n
	PIN[$n]=/sys/fs/bpf/dsi-demo-$ID/$n
done
info "colby:   $(ip -n colby -br addr show veth-colby | awk '{print $1, $3}')"
info "munster: $(ip -n munster -br addr show veth-munster | awk '{print $1, $3}')"

# kc NODE CMD: one command through the node's Karaf client (KARAF-NOTES pitfall 6), logged in with the
# key of the administrator the node created at its first start (there is no well-known password)
kc() {
	local n=$1; shift
	local key="$WORK/$n/karaf/etc/dsi/console/admin.key"
	[ -r "$key" ] || return 1   # not created yet: the node is still starting
	printf '%s\n' "$*" | "$WORK/$n/karaf/bin/client" -b -r 10 -d 1 -a ${SSH[$n]} -u admin -k "$key" 2>&1 |
		grep -v -e '^Closed$' -e 'SLF4J' -e 'WARNING: '
}
cfg() { echo "$3 = $4" >>"$WORK/$1/karaf/etc/$2.cfg"; }   # later lines win in a .cfg

say "starting the DSI distribution on both nodes (real Karaf processes: colby = Security Server, munster = Security Manager)"
for n in "${NODES[@]}"; do
	mkdir -p "$WORK/$n/karaf" "$WORK/$n/demo"
	tar xzf "$ARCHIVE" -C "$WORK/$n/karaf" --strip-components=1
	cfg $n org.apache.karaf.shell sshPort ${SSH[$n]}
	cfg $n org.apache.karaf.management rmiRegistryPort $((SSH[$n] + 100))
	cfg $n org.apache.karaf.management rmiServerPort $((SSH[$n] + 200))
	cfg $n org.ops4j.pax.web org.osgi.service.http.port $((SSH[$n] + 300))   # /metrics (dsi-metrics)
	cfg $n org.opendsi.node snid ${SNID[$n]}
	cfg $n org.opendsi.node name $n
	cfg $n org.opendsi.node address ${IP[$n]}
	cfg $n org.opendsi.node listen.host 127.0.0.1
	cfg $n org.opendsi.node ss.host 127.0.0.1
	cfg $n org.opendsi.node ss.port 18843
	cfg $n org.opendsi.dsm snid ${SNID[$n]}
	cfg $n org.opendsi.dsm cgroup.root ${CG[$n]}
	cfg $n org.opendsi.dsm pin.dir ${PIN[$n]}
	cfg $n org.opendsi.dsm interfaces ${IFACE[$n]},lo
	cfg $n org.opendsi.dsm netns /run/netns/$n
	cfg $n org.opendsi.dsm detach.on.stop true
	# demo: an alarm after 3 denials of one flow within a minute (shipped default: 20)
	cfg $n org.opendsi.audit detector.denials.count 3
	# demo: audit summaries to the Security Server every 10 s (shipped default: 900)
	cfg $n org.opendsi.audit summary.interval.seconds 10
	cfg $n org.opendsi.audit node.name $n
	cp "$ROOT"/demo/apps/build/* "$WORK/$n/demo/"
done
cfg colby org.opendsi.node role server
cfg colby org.opendsi.node listen.port 18843
cfg colby org.opendsi.node join.port 18844
cfg munster org.opendsi.node role manager
cfg munster org.opendsi.node listen.port 18853
cfg munster org.opendsi.node join.port 18854
for n in "${NODES[@]}"; do
	(cd "$WORK/$n/karaf" && exec bin/karaf server >"$WORK/$n/console.log" 2>&1) &
	KPID[$n]=$!
done
for n in "${NODES[@]}"; do
	up=0
	for _ in $(seq 90); do
		kill -0 ${KPID[$n]} 2>/dev/null || break
		if kc $n "dsi:dsm" 2>/dev/null | grep -qi "available\|attached"; then up=1; break; fi
		sleep 1
	done
	[ $up = 1 ] || { tail -20 "$WORK/$n/karaf/data/log/karaf.log" 2>/dev/null; die "$n: Karaf did not come up"; }
	info "$n: Karaf up after $(since $T_START) s (pid ${KPID[$n]})"
	kc $n "dsi:dsm" | head -5 | sed 's/^/      /'
done

# ------------------------------------------------------------------ metrics: a real Prometheus
# both nodes serve /metrics (feature dsi-metrics, installed by each node after its boot; Karaf's HTTP service on loopback); a
# Prometheus server from Debian's package, started here on a private port as nobody, scrapes them every second
PROM=""
metrics_ok=1
for n in "${NODES[@]}"; do
	got=0
	for _ in $(seq 40); do curl -sf "http://127.0.0.1:$((SSH[$n] + 300))/metrics" | grep -q '^dsi_dsm_available' && { got=1; break; }; sleep 0.5; done
	[ $got = 1 ] || metrics_ok=0
done
check "both nodes serve their metrics (feature dsi-metrics, 127.0.0.1:$((SSH[colby] + 300)) and :$((SSH[munster] + 300)))" [ $metrics_ok = 1 ]
if ! command -v prometheus >/dev/null; then
	info "SKIP the Prometheus checks: no prometheus binary (apt-get install prometheus; ./dsi setup installs it)"
else
	PROM_PORT=$((19390 + RANDOM % 500))
	# its own directory, owned by nobody ($WORK is 0700)
	PROMDIR=$(mktemp -d /tmp/dsi-demo-prom-$ID.XXXX); mkdir -p "$PROMDIR/data"; chown -R 65534:65534 "$PROMDIR"
	cat >"$PROMDIR/prom.yml" <<PROMCFG
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: dsi
    static_configs:
      - targets: ['127.0.0.1:$((SSH[colby] + 300))', '127.0.0.1:$((SSH[munster] + 300))']
PROMCFG
	setpriv --reuid=65534 --regid=65534 --clear-groups prometheus --config.file="$PROMDIR/prom.yml" \
		--storage.tsdb.path="$PROMDIR/data" --web.listen-address=127.0.0.1:$PROM_PORT \
		--storage.tsdb.retention.time=1h >"$WORK/prometheus.log" 2>&1 &
	PROM_PID=$!; APPS_PIDS+=($PROM_PID)
	PROM=http://127.0.0.1:$PROM_PORT
	up=0
	for _ in $(seq 60); do curl -sf "$PROM/-/ready" >/dev/null && { up=1; break; }; kill -0 $PROM_PID 2>/dev/null || break; sleep 0.5; done
	[ $up = 1 ] || { tail -5 "$WORK/prometheus.log"; PROM=""; }
	check "a Prometheus server is up to scrape the nodes" [ $up = 1 ]
	info "Prometheus $(prometheus --version 2>&1 | head -1 | awk '{print $3}') on $PROM scraping both nodes every second"
fi
# prom_q QUERY: the value of a one-sample instant query ("" when none)
prom_q() {
	curl -sf "$PROM/api/v1/query" --data-urlencode "query=$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if len(r) == 1 else "")' 2>/dev/null
}
# prom_all QUERY: "snid=value" for every series of a query
prom_all() {
	curl -sf "$PROM/api/v1/query" --data-urlencode "query=$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(" ".join("%s=%s" % (s["metric"].get("snid", "?"), s["value"][1]) for s in sorted(r, key=lambda s: s["metric"].get("snid", ""))))' 2>/dev/null
}
# prom_wait QUERY: the value once Prometheus has one (up to 30 s: its first scrape comes ~5 s after start)
prom_wait() { local v; for _ in $(seq 60); do v=$(prom_q "$1"); [ -n "$v" ] && { echo "$v"; return; }; sleep 0.5; done; }

# ------------------------------------------------------------------ helpers for the applications
# run_in NODE SCID CMD...: CMD in context SCID of NODE, inside NODE's namespace, from NODE's demo
# directory (the process enters the context cgroup first, then the namespace: `ip netns exec`
# would remount /sys and hide the cgroup tree)
run_in() {
	local n=$1 s=$2; shift 2
	bash -c 'echo $$ > "$1"; echo $$ > "$2"; cd "$3"; ns=$4; shift 4; exec nsenter --net=/run/netns/$ns "$@"' _ \
		"${CG[$n]}/scid-$s/cgroup.procs" "${PIDFILE:-/dev/null}" "$WORK/$n/demo" $n "$@"
}
# outside NODE CMD...: CMD in NODE's namespace, outside every DSI context
outside() { local n=$1; shift; (cd "$WORK/$n/demo" && exec nsenter --net=/run/netns/$n "$@"); }
# start_app NODE NAME ARGS...: started from a shell in context 2 (the article's login shell); the
# DSM's exec transition (2, label of NAME) -> new context moves it before it runs
start_app() {
	local n=$1 a=$2; shift 2
	local log=$WORK/$n/$a.log pid="" binds _
	binds=$(grep -c "bind on" "$log" 2>/dev/null); binds=${binds:-0}   # this start's line is the next one
	rm -f "$WORK/$n/$a.pid"
	PIDFILE=$WORK/$n/$a.pid run_in $n 2 ./$a "$@" >>"$log" 2>&1 &
	APPS_PIDS+=($!)
	# not a fixed pause: wait (up to 10 s) until it runs (pid file) and has bound its socket (its
	# "bind on" line, printed after the exec transition)
	for _ in $(seq 100); do
		pid=$(cat "$WORK/$n/$a.pid" 2>/dev/null)
		[ -n "$pid" ] && [ "$(grep -c "bind on" "$log" 2>/dev/null)" -gt "$binds" ] 2>/dev/null && break
		sleep 0.1
	done
	APPS_PIDS+=($pid)
	eval "PID_$a=$pid"
}
scid_of() { sed -n 's#.*/scid-\([0-9]*\)$#\1#p' /proc/$1/cgroup 2>/dev/null; }
# quote NODE SCID PORT [TIMEOUT_MS]: a customer in context SCID asks NODE's entry point on PORT
quote() {
	local n=$1 s=$2 p=$3 t=${4:-2500}
	run_in $n $s ./TelecomClient -h 127.0.0.1 -p $p -t $t >"$WORK/client.out" 2>&1
	local rc=$?
	sed 's/^/      client| /' "$WORK/client.out"
	return $rc
}
show_log() { # show_log NODE APP [LINES]: the last lines an application printed
	tail -n ${3:-4} "$WORK/$1/$2.log" | sed "s/^/      $1 $2| /"
}
kshow() { kc "$@" | sed 's/^/      | /'; }

# ------------------------------------------------------------------ join
say "munster joins the Security Server on colby (one-time token: dsi:token-create, dsi:join)"
TOKEN=$(kc colby "dsi:token-create --snid ${SNID[munster]} --name munster --ttl 10m" | grep -o 'dsi-[^ ]*' | head -1)
info "token: ${TOKEN:0:24}..."
kshow munster "dsi:join 127.0.0.1:18844 $TOKEN"
joined=0
for _ in $(seq 30); do kc colby "dsi:nodes" | grep -q munster && { joined=1; break; }; sleep 1; done
check "munster joined colby's Security Server" [ $joined = 1 ]
kshow colby "dsi:nodes"
# label keys: each node's DSM holds the key of the pair (colby, munster) and its own, from the SS
keys_ok=0
for _ in $(seq 50); do
	kc_c=$("$CTL" keys --pin "${PIN[colby]}" list 2>/dev/null); kc_m=$("$CTL" keys --pin "${PIN[munster]}" list 2>/dev/null)
	grep -q "peer 2$" <<<"$kc_c" && grep -q "peer 1$" <<<"$kc_m" && grep -q "peer 2$" <<<"$kc_m" &&
		! grep -q "^send_epoch 0$" <<<"$kc_c$kc_m" && { keys_ok=1; break; }
	sleep 0.2
done
kshow colby "dsi:label-keys"
check "both DSMs hold the label keys of their pairs from the Security Server (wire format v2 labels)" [ $keys_ok = 1 ]

# ------------------------------------------------------------------ SetSID
say "labeling the binaries (SetSID): dsi:set-sid PhoneMania* 10, RingBell* 20 on each node"
for n in "${NODES[@]}"; do
	d=$WORK/$n/demo
	kc $n "dsi:set-sid $d/PhoneManiaEP 10
dsi:set-sid $d/PhoneManiaBE 10
dsi:set-sid $d/RingBellEP 20
dsi:set-sid $d/RingBellBE 20" | sed 's/^/      | /'
done
kshow munster "dsi:ls $WORK/munster/demo"

# ------------------------------------------------------------------ before DSI: permissive
say "policy 'permissive' (the state before DSI): dsi:policy-update etc/dsi/permissive.xml on the Security Server"
kshow colby "dsi:policy-update etc/dsi/permissive.xml"
# wait_ack VERSION: until munster acked that policy version (dsi:nodes, Policy column)
wait_ack() {
	for _ in $(seq 40); do
		kc colby "dsi:nodes" | awk -F'|' -v v="$1" '$1+0 == 2 && $4 ~ /CONNECTED/ && $5+0 >= v {f=1} END {exit !f}' && return 0
		sleep 0.5
	done
	kc colby "dsi:nodes" | sed 's/^/      | /'
	return 1
}
policy_version() { kc colby "dsi:policy -s" | grep -o 'version [0-9]*' | head -1 | awk '{print $2}'; }
V=$(policy_version)
check "munster enforces the permissive policy (acked version $V)" wait_ack "$V"

say "PhoneMania and RingBell start their servers from a shell in context 2 (exec transitions)"
info "[munster demo]\$ ./RingBellBE -h 10.77.0.2 -p 9001;  ./PhoneManiaBE -h 10.77.0.2 -p 8801"
start_app munster RingBellBE -h 10.77.0.2 -p 9001
start_app munster PhoneManiaBE -h 10.77.0.2 -p 8801
info "[colby demo]\$ ./RingBellEP -h 0.0.0.0 -p 9000 -b 10.77.0.2"
start_app colby RingBellEP -h 0.0.0.0 -p 9000 -b 10.77.0.2
info "[colby demo]\$ ./PhoneManiaEP -h 0.0.0.0 -p 8800 -b 10.77.0.2 -r 9001    # the fraud: RingBell's back end"
start_app colby PhoneManiaEP -h 0.0.0.0 -p 8800 -b 10.77.0.2 -r 9001
sleep 0.5
for a in RingBellBE PhoneManiaBE RingBellEP PhoneManiaEP; do
	case $a in *EP) n=colby ;; *) n=munster ;; esac
	case $a in PhoneMania*) want=10 ;; *) want=20 ;; esac
	pid=$(eval echo \$PID_$a)
	check "$a on $n runs in context $want (pid $pid, context $(scid_of $pid))" [ "$(scid_of $pid)" = $want ]
	show_log $n $a 2
done
kshow colby "dsi:ps"

say "the fraud, before DSI: a PhoneMania customer asks for a quote at PhoneMania's entry point (8800)"
info "[colby demo]\$ ./TelecomClient -h 127.0.0.1 -p 8800"
quote colby 10 8800; rc=$?
show_log colby PhoneManiaEP 3
show_log munster RingBellBE 2
check "fraud delivered under the permissive policy: RingBell's back end answered PhoneMania's customer" \
	grep -q "RINGBELL: quotation for Ericsson" "$WORK/client.out"

# ------------------------------------------------------------------ virtual zones
say "the operator loads the virtual zones (12 rules + admin zone): dsi:policy-update etc/dsi/virtual-zones.xml"
T_POLICY=$(now)
kshow colby "dsi:policy-update etc/dsi/virtual-zones.xml"
V=$(policy_version)
check "munster enforces the virtual zones (acked version $V, signed by the Security Server)" wait_ack "$V"
DENIED_C0=$("$CTL" counters --pin "${PIN[colby]}" | awk '$1 ~ /denied|denies/ {s+=$2} END {print s+0}')

say "the fraud again: PhoneMania's entry point still forwards to RingBell's back end (9001)"
info "[colby demo]\$ ./TelecomClient -h 127.0.0.1 -p 8800"
quote colby 10 8800 1500; rc=$?
T_DENIAL=$(since $T_START); T_DENIAL_POLICY=$(since $T_POLICY)
show_log colby PhoneManiaEP 3
check "fraud not delivered (client exit $rc: no quote)" [ $rc = 1 ]
check "colby's DSM refused PhoneMania's forward to RingBell (EPERM at the first-level check)" \
	grep -q "forward to 10.77.0.2:9001 refused: Operation not permitted" "$WORK/colby/PhoneManiaEP.log"
check "RingBell's back end never saw the request" [ "$(grep -c processing "$WORK/munster/RingBellBE.log")" = 1 ]
info "wall time to the first enforced denial: ${T_DENIAL} s from the start of the demo, ${T_DENIAL_POLICY} s from dsi:policy-update"
for i in 1 2; do quote colby 10 8800 800 >/dev/null; done   # PhoneMania insists (the detector counts)
info "colby's audit journal (dsi:audit --denied):"
kc colby "dsi:audit --denied" >"$WORK/audit-colby.txt"; sed 's/^/      | /' "$WORK/audit-colby.txt"
check "colby's audit record names PhoneMania 10@1 -> RingBell 20@2, send, rule 7 and the process" \
	grep -Eq "DENY +\| send +\| 10@1 +\| 20@2 +\| 7 line [0-9]+: deny 10->20.*PhoneManiaEP.*10.77.0.2:9001" "$WORK/audit-colby.txt"

say "the legitimate traffic keeps working: PhoneMania fixes its entry point, RingBell serves its customers"
kill $PID_PhoneManiaEP 2>/dev/null
for _ in $(seq 50); do kill -0 $PID_PhoneManiaEP 2>/dev/null || break; sleep 0.1; done   # gone before it is restarted on its port
info "[colby demo]\$ ./PhoneManiaEP -h 0.0.0.0 -p 8800 -b 10.77.0.2    # its own back end (8801)"
start_app colby PhoneManiaEP -h 0.0.0.0 -p 8800 -b 10.77.0.2
quote colby 10 8800
check "PhoneMania's customer gets PhoneMania's quote (10@colby -> 10@munster and back)" grep -q "PHONEMANIA: quotation for Ericsson" "$WORK/client.out"
quote colby 20 9000
check "RingBell's customer gets RingBell's quote (20@colby -> 20@munster and back)" grep -q "RINGBELL: quotation for Ericsson" "$WORK/client.out"

say "the second level, on munster: a sender outside DSI on colby (unlabeled packets) tries RingBell's back end"
info "[colby]\$ ./TelecomClient -h 10.77.0.2 -p 9001    # outside every context: colby does not judge it, munster does"
BE_SEEN=$(grep -c processing "$WORK/munster/RingBellBE.log")
for i in 1 2 3; do outside colby ./TelecomClient -h 10.77.0.2 -p 9001 -t 500 >"$WORK/client.out" 2>&1; rc=$?; done
sed 's/^/      client| /' "$WORK/client.out"
check "not delivered (client exit $rc), RingBell's back end saw nothing" \
	[ $rc = 1 -a "$(grep -c processing "$WORK/munster/RingBellBE.log")" = "$BE_SEEN" ]
info "munster's audit journal (dsi:audit --denied):"
MUNSTER_DENY="DENY +\| receive +\| 0@0 +\| 20@2 +\| 0 \(default\).*10.77.0.2:9001"
for _ in $(seq 20); do   # the DSM's events reach the journal asynchronously: wait for the record, not a fixed pause
	kc munster "dsi:audit --denied" >"$WORK/audit-munster.txt"
	grep -Eq "$MUNSTER_DENY" "$WORK/audit-munster.txt" && break
	sleep 0.5
done
sed 's/^/      | /' "$WORK/audit-munster.txt"
check "munster's audit record names the unlabeled source 0@0 -> RingBell 20@2, receive, the default deny" \
	grep -Eq "$MUNSTER_DENY" "$WORK/audit-munster.txt"

say "alarms on the Security Server (dsi:alarms on colby): the auditing detectors of both nodes"
ALARMS=""
for _ in $(seq 10); do
	ALARMS=$(kc colby "dsi:alarms")
	echo "$ALARMS" | grep -q "colby .*Repeated" && echo "$ALARMS" | grep -q "munster .*Repeated" && break
	sleep 1
done
echo "$ALARMS" | sed 's/^/      | /'
check "an alarm on the SS for PhoneMania's repeated denials (10@1 -> 20)" bash -c 'grep -Eq "colby .*context 10 on node 1 .*denied .send. to context 20 on node 2.*rule 7" <<<"$1"' _ "$ALARMS"
check "an alarm on the SS raised by munster (0@0 -> 20 on node 2)" bash -c 'grep -Eq "munster .*context 0 on node 0 was denied .receive. to context 20 on node 2" <<<"$1"' _ "$ALARMS"
SUMMARY=""
for _ in $(seq 20); do
	SUMMARY=$(kc colby "dsi:alarms" | grep "Audit summary of node munster" | grep "most denied" | tail -1)
	[ -n "$SUMMARY" ] && break
	sleep 1
done
info "munster's audit summary on the SS (LOW alarm from auditing-summary):"
info "  $(grep -o 'Audit summary.*' <<<"$SUMMARY" | sed -e 's/ *|.*$//' -e 's/  */ /g')"
check "munster's auditing forwards summaries to the SS (denials counted, most denied flow named)" \
	bash -c 'grep -Eq "Audit summary of node munster.*[0-9]+ denials?.*most denied: DENY receive 0@0 -> 20@2" <<<"$1"' _ "$SUMMARY"

say "the admin zone (ScID 30) reaches both operators"
quote colby 30 8800
check "admin -> PhoneMania: delivered" grep -q "PHONEMANIA: quotation" "$WORK/client.out"
quote colby 30 9000
check "admin -> RingBell: delivered" grep -q "RINGBELL: quotation" "$WORK/client.out"

# ------------------------------------------------------------------ upgrade without downtime
say "upgrade without downtime: munster's auditing, then access control, replaced by newer versions (feature:install -u) under a denied flow of ~1000 packets/s"
# The newer versions are built here from munster's own distribution (scripts/newer-feature.sh: same
# classes, Bundle-Version 0.1.1), one feature repository per step.
for f in dsi-service-auditing dsi-service-access-control; do
	"$ROOT/scripts/newer-feature.sh" "$WORK/munster/karaf" 0.1.1 "$WORK/upgrade-$f" $f >/dev/null || die "cannot build the newer $f"
done
info "built: $(cd "$WORK" && ls upgrade-*/*.jar | tr '\n' ' ')"
den() { "$CTL" counters --pin "${PIN[munster]}" | awk '$1 == "packets_denied" {print $2}'; }
recs() { kc munster "dsi:audit --denied --limit 1000000" | awk -F'|' '$3 ~ /DENY/ {n++; s += $NF} END {printf "%d %d", n, s}'; }
svc_line() { kc munster "dsi:services --no-format" | awk -v t="$1" '$1 == t'; }
sleep 1
D0=$(den); read -r R0 S0 <<<"$(recs)"; BE_SEEN=$(grep -c processing "$WORK/munster/RingBellBE.log")
[ -n "$PROM" ] && P_D0=$(prom_wait 'dsi_dsm_packets_denied_total{snid="2"}')
info "[colby]\$ udpflood.py 10.77.0.2 9001 1000 ...    # outside every context, one flow: denied by munster"
rm -f "$WORK/flood.stop"
outside colby python3 "$ROOT/demo/tools/udpflood.py" 10.77.0.2 9001 1000 "$WORK/flood.stop" >"$WORK/flood.out" 2>&1 &
FLOOD=$!
T_FLOOD=$(now)
sleep 2
for f in dsi-service-auditing dsi-service-access-control; do
	case $f in *auditing) t=auditing ;; *) t=access-control ;; esac
	info "[munster karaf]> feature:repo-add file:$WORK/upgrade-$f/features.xml; feature:install -u $f/0.1.1"
	kc munster "feature:repo-add file:$WORK/upgrade-$f/features.xml" >/dev/null
	T_UP=$(now)
	kshow munster "feature:install -u $f/0.1.1"
	up=0
	for _ in $(seq 40); do
		l=$(svc_line $t)
		[ "$(wc -l <<<"$l")" = 1 ] && grep -q "$f/0.1.1 .*ACTIVE" <<<"$l" && { up=1; break; }
		sleep 0.5
	done
	check "$t replaced: $f 0.1.1 is the only $t and ACTIVE ($(since $T_UP) s after the command)" [ $up = 1 ]
	sleep 2
done
touch "$WORK/flood.stop"; FLOOD_S=$(since $T_FLOOD)
wait $FLOOD   # the flow's last datagram comes 1.5 s after the stop
SENT=$(awk '$1 == "sent" {print $2}' "$WORK/flood.out")
sleep 1
kshow munster "dsi:services"
kshow munster "feature:list -i" | grep -E "dsi-service-(auditing|access-control)"
D1=$(den); read -r R1 S1 <<<"$(recs)"
if [ -n "$PROM" ]; then
	P_D1=""
	for _ in $(seq 20); do   # a scrape after the flood: within a few seconds
		P_D1=$(prom_q 'dsi_dsm_packets_denied_total{snid="2"}')
		awk -v a="${P_D0:-x}" -v b="${P_D1:-0}" -v d="$D1" 'BEGIN { exit !(a != "x" && b >= d && b > a) }' && break
		sleep 0.5
	done
	info "Prometheus: munster's dsi_dsm_packets_denied_total ${P_D0:-?} before the flow, ${P_D1:-?} after (its DSM: $D0 -> $D1)"
	check "Prometheus sees munster's denial counter rise with the denied flow" \
		awk -v a="${P_D0:-x}" -v b="${P_D1:-0}" -v d="$D1" 'BEGIN { exit !(a != "x" && b >= d && b > a) }'
	PV=$(prom_q 'dsi_ss_policy_version'); ACKED=$(prom_all 'dsi_ss_node_acked_policy_version')
	info "Prometheus: policy version ${PV:-?} on the Security Server; acked per node (snid=version): ${ACKED:-none}"
	check "Prometheus has the acked policy version of each node, munster's included, all at the Security Server's ${PV:-?}" \
		bash -c '[ -n "$1" ] && [[ " $2" == *" 2=$1"* ]] && ! tr " " "\n" <<<"$2" | grep -v "=$1\$" | grep -q .' _ "$PV" "$ACKED"
	FLOW_D=$(prom_q 'sum(dsi_audit_denials_total{type="DENY",permission="receive",src_scid="0",src_snid="0",tgt_scid="20",tgt_snid="2"})')
	info "Prometheus: munster's audited denials of the flow 0@0 -> 20@2 (receive): ${FLOW_D:-none}"
	check "Prometheus has munster's denials per flow (dsi_audit_denials_total 0@0 -> 20@2 receive: ${FLOW_D:-none})" \
		awk -v v="${FLOW_D:-0}" 'BEGIN { exit !(v >= 1) }'
	PROP_N=$(prom_q 'sum(dsi_ss_policy_propagation_seconds_count)')
	PROP_P99=$(prom_q 'histogram_quantile(0.99, sum by (le) (dsi_ss_policy_propagation_seconds_bucket))')
	info "Prometheus: ${PROP_N:-0} policy acks timed by the Security Server, p99 command-to-ack <= ${PROP_P99:-?} s (bucket bound)"
	check "Prometheus has the policy propagation histogram (${PROP_N:-0} acks timed)" awk -v v="${PROP_N:-0}" 'BEGIN { exit !(v >= 1) }'
fi
for _ in $(seq 20); do   # the DSM's events reach the journal asynchronously: wait (bounded) until they all did
	[ $((R1 - R0 + S1 - S0)) -ge $((D1 - D0)) ] && break
	sleep 0.5
	read -r R1 S1 <<<"$(recs)"
done
info "denied flow: ${SENT:-?} datagrams sent in ${FLOOD_S} s ($(awk -v n="${SENT:-0}" -v t="$FLOOD_S" 'BEGIN { printf "%d", n / t }') per second); munster's DSM denied $((D1 - D0)); audit records: $((R1 - R0)) (+ $((S1 - S0)) rate-limited suppressions counted in them)"
check "every datagram of the flow was judged and denied by munster's DSM ($((D1 - D0)) of ${SENT:-?})" [ "${SENT:-0}" = $((D1 - D0)) ]
check "no denied packet delivered during the upgrades (RingBell's back end saw none)" [ "$(grep -c processing "$WORK/munster/RingBellBE.log")" = "$BE_SEEN" ]
if [ $((R1 - R0 + S1 - S0)) = $((D1 - D0)) ] && [ $((D1 - D0)) -gt 0 ]; then
	ok "no audit record lost during the upgrades: records + suppressed = DSM denials ($((D1 - D0)))"
else
	ko "audit records lost during the upgrades: $((D1 - D0 - R1 + R0 - S1 + S0)) of $((D1 - D0))"
	KEEP=/tmp/dsi-demo-audit-$ID; mkdir -p $KEEP; cp -r "$WORK/munster/karaf/data/dsi/audit" "$WORK/munster/karaf/data/log" $KEEP/ 2>/dev/null
	info "munster's audit journal and log kept in $KEEP for diagnosis"
fi
V_OUT=$(kc munster "dsi:audit --verify"); info "$V_OUT"
check "munster's audit journal verifies across the upgrades (hash chain intact)" grep -q "Audit journal intact" <<<"$V_OUT"
quote colby 20 9000
check "RingBell's legitimate request still served after the upgrades" grep -q "RINGBELL: quotation for Ericsson" "$WORK/client.out"

# ------------------------------------------------------------------ the live view, in a real browser
say "the live view on the Security Server (feature dsi-web-view), watched by headless Chromium through Selenium"
info "[colby karaf]> feature:install dsi-web-view"
kc colby "feature:install dsi-web-view" >/dev/null
VIEW=http://127.0.0.1:$((SSH[colby] + 300))/dsi/
view_up=0
for _ in $(seq 40); do curl -sf -o /dev/null "$VIEW" && { view_up=1; break; }; sleep 0.5; done
check "colby serves the live view at $VIEW" [ $view_up = 1 ]
check "the view's API refuses a request without a login (401)" \
	[ "$(curl -s -o /dev/null -w '%{http_code}' "${VIEW}api/overview")" = 401 ]
# Debian's python3 (python3-selenium), whatever python3 comes first on PATH
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || ! /usr/bin/python3 -c 'import selenium' 2>/dev/null; then
	info "SKIP the browser checks: chromium, chromium-driver or python3-selenium missing (./dsi setup installs them)"
else
	V=$(policy_version)
	# one burst of datagrams from outside every context on colby to RingBell's back end: munster denies
	# them, its auditing journals them, its Security Manager reports them to the SS within 0.5 s
	BURST="cd '$WORK/colby/demo' && nsenter --net=/run/netns/colby /usr/bin/python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); [s.sendto(b\"view\", (\"10.77.0.2\", 9001)) for _ in range(5)]'"
	info "[browser] log in as admin, wait for colby and munster at version $V, then: $BURST"
	/usr/bin/python3 "$ROOT/scripts/webview-browser-check.py" --url "$VIEW" --user admin \
		--password-file "$WORK/colby/karaf/etc/dsi/console/admin.password" --node 1="$V" --node 2="$V" \
		--command "$BURST" --edge 0@0 20@2 --minutes 15 --timeout 20 >"$WORK/browser.out" 2>&1
	BROWSER_RC=$?
	sed 's/^/      browser| /' "$WORK/browser.out"
	T_VIEW=$(sed -n 's/^INFO time from command start to the edge in the page: \([0-9.]*\) s$/\1/p' "$WORK/browser.out")
	check "the browser logged in and saw both nodes, colby (the Security Server) and munster, at policy version $V" \
		bash -c 'grep -q "^PASS node 1 acked" "$1" && grep -q "^PASS node 2 acked" "$1"' _ "$WORK/browser.out"
	check "the denied burst appeared on the edge 0@0 -> 20@2 of the graph without a reload, ${T_VIEW:-?} s after it was sent (goal <= 2 s)" \
		awk -v t="${T_VIEW:-99}" 'BEGIN { exit !(t <= 2) }'
	check "the browser opened the diff of the newest policy version" grep -qi "^PASS.*diff" "$WORK/browser.out"
	check "every browser check passed (exit $BROWSER_RC)" [ $BROWSER_RC = 0 ]
fi

# ------------------------------------------------------------------ compromise
say "munster is declared compromised on the Security Server: dsi:compromised 2"
# colby's kernel table version, polled every 10 ms: isolation is in force when the amended policy
# (node 2 left out of the node table: its labels count as forged) is loaded into colby's DSM
V0=$("$CTL" counters --pin "${PIN[colby]}" | awk '$1 == "policy_version" {print $2}')
( for _ in $(seq 1500); do   # gives up after about 20 s
	v=$("$CTL" counters --pin "${PIN[colby]}" 2>/dev/null | awk '$1 == "policy_version" {print $2}')
	[ -n "$v" ] && [ "$v" != "$V0" ] && { now >"$WORK/isolated.at"; exit 0; }
	sleep 0.01
done ) &
POLLER=$!; APPS_PIDS+=($POLLER)
# and colby's DSM key list, polled every 10 ms: the key it shares with munster is withdrawn
( for _ in $(seq 1500); do
	"$CTL" keys --pin "${PIN[colby]}" list 2>/dev/null | grep -q "peer 2$" || { now >"$WORK/keys-withdrawn.at"; exit 0; }
	sleep 0.01
done ) &
KPOLLER=$!; APPS_PIDS+=($KPOLLER)
kc colby "dsi:compromised 2" >"$WORK/compromised.out"; sed 's/^/      | /' "$WORK/compromised.out"
wait $POLLER $KPOLLER 2>/dev/null
# from the moment the Security Server began (the instant dsi:compromised prints, this machine's clock)
# to the moment the poller saw colby's kernel table change (same clock, polled every 10 ms)
T_DECLARED=$(grep -o 'declared compromised at [0-9T:.Z-]*' "$WORK/compromised.out" | awk '{print $4}' | sed 's/:$//')
T_DECLARED_S=$(date -d "$T_DECLARED" +%s.%N 2>/dev/null)
ISOLATION=$(awk -v a="${T_DECLARED_S:-0}" -v b="$(cat "$WORK/isolated.at" 2>/dev/null || echo 0)" 'BEGIN { printf "%.3f", b - a }')
info "isolation in force in colby's kernel ${ISOLATION} s after the Security Server began dsi:compromised (at $T_DECLARED)"
check "munster isolated from colby within 1 s (${ISOLATION} s)" \
	awk -v i="$ISOLATION" -v d="${T_DECLARED_S:-}" 'BEGIN { exit !(d != "" && i > 0 && i <= 1.0) }'
check "munster isolated: colby's DSM loaded the amended policy" test -s "$WORK/isolated.at"
KEYS_OUT=$(awk -v a="${T_DECLARED_S:-0}" -v b="$(cat "$WORK/keys-withdrawn.at" 2>/dev/null || echo 0)" 'BEGIN { printf "%.3f", b - a }')
info "the label key colby shared with munster withdrawn from colby's DSM ${KEYS_OUT} s after dsi:compromised began"
check "munster's label key withdrawn from colby's DSM within 1 s (${KEYS_OUT} s)" \
	awk -v i="$KEYS_OUT" -v d="${T_DECLARED_S:-}" 'BEGIN { exit !(d != "" && i > 0 && i <= 1.0) }'
BE_SEEN=$(grep -c processing "$WORK/munster/RingBellBE.log")
quote colby 20 9000 1500
# both directions are cut: colby holds no key for munster any more (its labels towards munster carry
# no valid MAC, so munster's DSM refuses them) and colby refuses munster's labels
check "RingBell's back end on munster no longer answers colby (labels between them no longer verify)" \
	bash -c '! grep -q "^Quote Ericsson:" "$1"' _ "$WORK/client.out"
info "RingBell's back end on munster saw $(( $(grep -c processing "$WORK/munster/RingBellBE.log") - BE_SEEN )) request(s) after the compromise; munster's DSM: labels_bad_mac $("$CTL" counters --pin "${PIN[munster]}" | awk '$1 == "labels_bad_mac" {print $2}')"
info "colby's DSM: forged_labels $("$CTL" counters --pin "${PIN[colby]}" | awk '$1 == "forged_labels" {print $2}')"

# ------------------------------------------------------------------ figures
say "figures"
rss_of() { # RSS (MiB) of the java process under a Karaf launcher pid
	local p=$1 j
	j=$(ps -o pid=,comm= --ppid "$p" | awk '$2 == "java" {print $1}' | head -1)
	[ -z "$j" ] && [ "$(ps -o comm= -p "$p")" = java ] && j=$p
	[ -z "$j" ] && j=$(ps -o pid= --ppid "$(ps -o pid= --ppid "$p" | head -1)" 2>/dev/null | head -1)
	ps -o rss= -p "$j" 2>/dev/null | awk '{printf "%d", $1 / 1024}'
}
info "wall time to the first enforced denial: ${T_DENIAL} s from the start (${T_DENIAL_POLICY} s after dsi:policy-update)"
for n in "${NODES[@]}"; do info "$n: Karaf RSS $(rss_of ${KPID[$n]}) MiB"; done
info "isolation of munster from colby: ${ISOLATION} s after the Security Server began dsi:compromised"
info "total: $(since $T_START) s"
echo "$PASS passed, $FAIL failed"
[ $FAIL = 0 ]
