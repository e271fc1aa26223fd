#!/usr/bin/env bash
# Installs the Debian packages the service tests need beyond the build itself; idempotent.
#   rsyslog, rsyslog-gnutls: a real syslog receiver (RFC 5424 over TCP and TLS) for the
#   dsi-service-auditing forwarding tests. The tests start their own rsyslogd on loopback with a
#   generated config; the system's rsyslog service is neither configured nor started here.
#   systemd: systemd-analyze, which checks the node's service unit (scripts/test-service.sh).
#   prometheus: a real Prometheus server the demo starts on a private port to scrape both nodes
#   (the package's own service is not started: policy-rc.d below).
#   postgresql: a throwaway server (scripts/postgres.sh: as nobody, private port, temp dir) for the
#   Security Server's store (issue 15); the package's own cluster is not started (policy-rc.d below).
#   chromium, chromium-driver, python3-selenium: a real headless browser the demo drives through
#   Selenium to log into the Security Server's live view and watch a denial appear in it.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
    echo "[install-test-deps] not root: skipping (rsyslog tests will be skipped)" >&2
    exit 0
fi
missing=()
for p in rsyslog rsyslog-gnutls openssl systemd prometheus postgresql chromium chromium-driver python3-selenium; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
echo "[install-test-deps] installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d 101: let dpkg install the package without starting the system's rsyslog service
cleanup_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    cleanup_policy=1
fi
trap '[ $cleanup_policy -eq 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
apt-get install -y --no-install-recommends "${missing[@]}" || { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
