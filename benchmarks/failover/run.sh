#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Failover benchmark of two Security Servers on PostgreSQL (issue 15): kills the active one KILLS times
# (default 20), alternately, with a burst of alarms from a manager each time, and prints the takeover
# times (kill -> the standby active; kill -> the first and the last of 3 managers served by it, p50/p99)
# and the alarms lost and duplicated. Real processes: 2 SS + 3 SM Karaf nodes and a PostgreSQL server
# (scripts/postgres.sh), as FailoverIT starts them. Needs root and a built tree (./dsi build).
#   benchmarks/failover/run.sh [KILLS]
set -euo pipefail
cd "$(dirname "$0")/../.."
kills=${1:-20}
log=$(mktemp /tmp/dsi-failover-bench.XXXX.log)
mvn -B -ntp -o -pl itests verify -Dit.test=FailoverIT -Ddsi.failover.kills="$kills" >"$log" 2>&1 || status=$?
out=itests/target/failsafe-reports/org.opendsi.itests.FailoverIT-output.txt
sed -n '/FailoverIT figures/,$p' "$out" 2>/dev/null || true
grep -E "Tests run:|FAIL" "$log" | tail -3
exit "${status:-0}"
