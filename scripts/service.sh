#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The DSI node as a systemd service.
#
#   scripts/service.sh unit NODE_DIR [JAVA_HOME]      print the unit for a node directory
#   scripts/service.sh install NODE_DIR [NAME]        write /etc/systemd/system/NAME.service
#                                                     (default dsi-node), verify it, enable and start it
#   scripts/service.sh remove [NAME]                  stop, disable and remove it
#   scripts/service.sh verify UNIT_FILE               systemd-analyze verify: no error, no warning
#
# Where systemd is not PID 1 (containers, this CI), install writes and verifies the unit and says
# that it cannot be started here.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

die() { echo "service: $*" >&2; exit 1; }
systemd_running() { [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; }

unit() {
	local node java
	node=$(readlink -f "$1")
	java=${2:-${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}}
	[ -x "$node/bin/karaf" ] || die "$node is no Karaf node directory (no bin/karaf): './dsi run' makes run/node"
	sed -e "s#@NODE@#$node#g" -e "s#@JAVA_HOME@#$java#g" "$HERE/dsi-node.service.in"
}

verify() {
	command -v systemd-analyze >/dev/null || die "systemd-analyze not found (apt-get install systemd)"
	local err rc=0
	# --man=no: no man pages needed for Documentation=; a warning is a failure too (systemd-analyze
	# exits 0 on values it ignores, e.g. a misspelt Type=)
	err=$(systemd-analyze verify --man=no "$1" 2>&1) || rc=$?
	if [ $rc != 0 ] || [ -n "$err" ]; then
		echo "$err" >&2
		die "systemd-analyze verify $1 failed"
	fi
}

install() {
	local node=$1 name=${2:-dsi-node}
	[ "$(id -u)" = 0 ] || die "installing a system service needs root"
	local f=/etc/systemd/system/$name.service
	unit "$node" >"$f.tmp"
	verify "$f.tmp" || { rm -f "$f.tmp"; exit 1; }
	mv "$f.tmp" "$f"
	echo "wrote $f"
	if systemd_running; then
		systemctl daemon-reload
		systemctl enable --now "$name.service"
		systemctl --no-pager status "$name.service" | head -5
	else
		echo "systemd is not running here (PID 1 is $(cat /proc/1/comm)): the unit is written and verified, not started"
	fi
}

remove() {
	local name=${1:-dsi-node} f
	[ "$(id -u)" = 0 ] || die "removing a system service needs root"
	f=/etc/systemd/system/$name.service
	if systemd_running; then
		systemctl disable --now "$name.service" 2>/dev/null || true
	fi
	rm -f "$f"
	systemd_running && systemctl daemon-reload
	echo "removed $f (the node's directory and its pinned enforcement stay: ./dsi clean-node detaches it)"
}

cmd=${1:-}
shift || true
case "$cmd" in
	unit) unit "$@" ;;
	install) install "$@" ;;
	remove) remove "$@" ;;
	verify) verify "$@" ;;
	*) sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
