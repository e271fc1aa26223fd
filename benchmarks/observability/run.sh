#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What watching a node costs (issue 16's figures), measured in one invocation against a baseline:
#   - the scrape time of one node's /metrics (N scrapes: p50, p99, max);
#   - the heap the metrics and the web view add: two nodes from the same distribution, one as shipped
#     (dsi-metrics installed after the boot, plus dsi-web-view with a browser-like SSE client logged
#     in), one with metrics = false and no view; the live heap after a full GC of each
#     (jcmd GC.run, GC.heap_info), best of 3, and the difference.
# Both nodes run with the DSM disabled (nothing is attached to this machine) on free loopback ports.
# Usage: benchmarks/observability/run.sh [SCRAPES]   (after ./dsi build)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCRAPES=${1:-200}
archive=$(ls "$ROOT"/karaf-distribution/target/dsi-karaf-distribution-*.tar.gz 2>/dev/null | head -n 1)
[ -n "$archive" ] || { echo "no distribution archive: run ./dsi build first" >&2; exit 1; }
command -v jcmd >/dev/null || { echo "jcmd (JDK) not found" >&2; exit 1; }
TMP=$(mktemp -d /tmp/dsi-obs-bench.XXXX)
cleanup() {
	for n in full base; do
		[ -x "$TMP/$n/bin/stop" ] && "$TMP/$n/bin/stop" >/dev/null 2>&1
	done
	sleep 2
	for n in full base; do pkill -9 -f "karaf.home=$TMP/$n" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cfg() { echo "$3 = $4" >>"$TMP/$1/etc/$2.cfg"; }   # later lines win

declare -A HTTP
for n in full base; do
	mkdir -p "$TMP/$n"
	tar xzf "$archive" -C "$TMP/$n" --strip-components=1
	cfg $n org.apache.karaf.shell sshPort "$(free_port)"
	cfg $n org.apache.karaf.management rmiRegistryPort "$(free_port)"
	cfg $n org.apache.karaf.management rmiServerPort "$(free_port)"
	HTTP[$n]=$(free_port)
	cfg $n org.ops4j.pax.web org.osgi.service.http.port "${HTTP[$n]}"
	cfg $n org.opendsi.dsm enabled false
	cfg $n org.opendsi.node listen.port "$(free_port)"   # each its own Security Server
	cfg $n org.opendsi.node join.port "$(free_port)"
done
# the baseline: a node that does not install dsi-metrics after its boot (and no view)
cfg base org.opendsi.node metrics false

for n in full base; do "$TMP/$n/bin/start"; done
kc() { # kc NODE CMD: one console command, logged in with the key the node made at its first start
	local key="$TMP/$1/etc/dsi/console/admin.key" port
	port=$(awk -F' *= *' '$1 == "sshPort" {p=$2} END {print p}' "$TMP/$1/etc/org.apache.karaf.shell.cfg")
	[ -r "$key" ] && echo "$2" | "$TMP/$1/bin/client" -b -r 3 -d 1 -a "$port" -u admin -k "$key" 2>/dev/null
}
up() { kc "$1" "dsi:cluster" | grep -q "policy version"; }
for _ in $(seq 120); do up full && up base && break; sleep 1; done
up full && up base || { echo "the nodes did not come up" >&2; exit 1; }
for _ in $(seq 60); do curl -sf "http://127.0.0.1:${HTTP[full]}/metrics" | grep -q dsi_ss_policy_version && break; sleep 0.5; done

echo "== scrape time of one node's /metrics ($SCRAPES scrapes, loopback, after 20 warm-up scrapes)"
for _ in $(seq 20); do curl -s -o /dev/null "http://127.0.0.1:${HTTP[full]}/metrics"; done
for _ in $(seq "$SCRAPES"); do curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:${HTTP[full]}/metrics"; done |
	sort -n | awk '{a[NR]=$1} END {printf "p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", a[int(NR*0.5)]*1000, a[int(NR*0.99)]*1000, a[NR]*1000}'
echo "exposition size: $(curl -s "http://127.0.0.1:${HTTP[full]}/metrics" | wc -c) bytes, $(curl -s "http://127.0.0.1:${HTTP[full]}/metrics" | grep -vc '^#') samples"

# a logged-in viewer with its live stream open, as a browser would hold it
kc full "feature:install dsi-web-view" >/dev/null
for _ in $(seq 40); do curl -sf -o /dev/null "http://127.0.0.1:${HTTP[full]}/dsi/" && break; sleep 0.5; done
VIEW=""
if curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${HTTP[full]}/dsi/" | grep -q '^[23]'; then
	jar=$TMP/cookies
	code=$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" --data-urlencode "username=admin" \
		--data-urlencode "password=$(cat "$TMP/full/etc/dsi/console/admin.password")" "http://127.0.0.1:${HTTP[full]}/dsi/login")
	curl -s -N -b "$jar" "http://127.0.0.1:${HTTP[full]}/dsi/api/events" >/dev/null 2>&1 &
	VIEW=$!
	curl -s -o /dev/null -b "$jar" "http://127.0.0.1:${HTTP[full]}/dsi/api/overview"
	curl -s -o /dev/null -b "$jar" "http://127.0.0.1:${HTTP[full]}/dsi/api/graph"
	echo "== the live view: login answered $code, an SSE client is connected"
else
	echo "== the live view is not served on this node (feature dsi-web-view absent)"
fi
sleep 5

live_heap() { # live heap (KiB) after a full GC, best of 3
	local pid best="" u
	pid=$(pgrep -f "karaf.home=$TMP/$1" | head -n 1)
	for _ in 1 2 3; do
		jcmd "$pid" GC.run >/dev/null
		sleep 1
		u=$(jcmd "$pid" GC.heap_info | grep -oE 'used [0-9]+K' | head -n 1 | grep -oE '[0-9]+')
		[ -z "$best" ] || [ "$u" -lt "$best" ] && best=$u
	done
	echo "$best"
}
F=$(live_heap full); B=$(live_heap base)
echo "== live heap after a full GC: shipped $((F / 1024)) MiB, without metrics and view $((B / 1024)) MiB: added $(((F - B) / 1024)) MiB (goal <= 32 MiB)"
[ -n "$VIEW" ] && kill "$VIEW" 2>/dev/null
exit 0
