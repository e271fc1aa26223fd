#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Test of the node's systemd unit (scripts/service.sh): the unit written for a real node directory
# passes `systemd-analyze verify` without a warning, and units with faults do not (so the check can
# fail). Where systemd is PID 1, the unit is also installed, started, its JVM killed with SIGKILL,
# and the test waits for systemd to restart it; elsewhere that part is skipped with the reason.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/dsi-service-test.XXXX)
NAME=dsi-node-test-$$
PASS=0; FAIL=0; SKIP=0
cleanup() {
	if [ "$(cat /proc/1/comm)" = systemd ] && [ -f /etc/systemd/system/$NAME.service ]; then
		"$ROOT/scripts/service.sh" remove $NAME >/dev/null 2>&1
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
ok() { echo "PASS $1"; PASS=$((PASS + 1)); }
ko() { echo "FAIL $1"; FAIL=$((FAIL + 1)); }
skip() { echo "SKIP $1"; SKIP=$((SKIP + 1)); }
finish() { echo "$PASS passed, $FAIL failed, $SKIP skipped"; [ $FAIL = 0 ]; exit $?; }

if ! command -v systemd-analyze >/dev/null; then
	skip "unit verification: systemd-analyze not installed (apt-get install systemd)"
	finish
fi
archive=$(ls "$ROOT"/karaf-distribution/target/dsi-karaf-distribution-*.tar.gz 2>/dev/null | head -n 1)
if [ -z "$archive" ]; then
	ko "no distribution archive: build first (./dsi build)"
	finish
fi
mkdir -p "$TMP/node"
tar xzf "$archive" -C "$TMP/node" --strip-components=1

U=$TMP/$NAME.service
"$ROOT/scripts/service.sh" unit "$TMP/node" >"$U" || { ko "the unit for $TMP/node could not be written"; finish; }
if out=$("$ROOT/scripts/service.sh" verify "$U" 2>&1); then
	ok "the node's unit passes systemd-analyze verify with no warning"
else
	ko "the node's unit: $out"
fi
grep -q "^ExecStart=$TMP/node/bin/karaf daemon$" "$U" && grep -q "^Restart=on-failure$" "$U" &&
	grep -q "^WantedBy=multi-user.target$" "$U" && ok "the unit starts bin/karaf daemon of the node, restarts on failure, starts at boot" ||
	ko "unit content: $(grep -E '^(ExecStart|Restart|WantedBy)=' "$U" | tr '\n' ' ')"
# the check must be able to fail: a misspelt value (systemd only warns) and a missing program
sed 's/^Type=simple$/Type=simpel/' "$U" >"$TMP/bad1.service"
sed "s#^ExecStart=.*#ExecStart=$TMP/node/bin/no-such-program#" "$U" >"$TMP/bad2.service"
for b in bad1 bad2; do
	if "$ROOT/scripts/service.sh" verify "$TMP/$b.service" >/dev/null 2>&1; then
		ko "a faulty unit ($b) passed the verification"
	else
		ok "a faulty unit ($b: $( [ $b = bad1 ] && echo 'Type=simpel' || echo 'missing ExecStart program')) is refused"
	fi
done

if [ "$(cat /proc/1/comm)" != systemd ]; then
	skip "start, kill and restart under systemd: PID 1 is $(cat /proc/1/comm), not systemd"
	finish
fi
if [ "$(id -u)" != 0 ]; then
	skip "start, kill and restart under systemd: not root"
	finish
fi
"$ROOT/scripts/service.sh" install "$TMP/node" $NAME >/dev/null || { ko "install"; finish; }
main_pid() { systemctl show -p MainPID --value $NAME.service; }
for _ in $(seq 60); do systemctl is-active -q $NAME.service && [ "$(main_pid)" != 0 ] && break; sleep 1; done
P1=$(main_pid)
systemctl is-active -q $NAME.service && ok "started by systemd (main pid $P1)" || ko "not active after 60 s"
kill -9 "$P1" 2>/dev/null
for _ in $(seq 60); do P2=$(main_pid); [ "$P2" != 0 ] && [ "$P2" != "$P1" ] && systemctl is-active -q $NAME.service && break; sleep 1; done
[ "${P2:-0}" != 0 ] && [ "$P2" != "$P1" ] && ok "restarted by systemd after SIGKILL (main pid $P1 -> $P2)" || ko "no restart after SIGKILL"
"$ROOT/scripts/service.sh" remove $NAME >/dev/null
[ ! -f /etc/systemd/system/$NAME.service ] && ! systemctl is-active -q $NAME.service && ok "removed" || ko "still installed"
finish
