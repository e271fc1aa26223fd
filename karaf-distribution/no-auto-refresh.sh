#!/bin/sh
# Sets autoRefresh = false in the assembled etc/org.apache.karaf.features.cfg (KARAF-6953).
# Measured here: with automatic refreshes, a fresh distribution's first boot (Pax Web arriving with
# everything else in the one boot stage) refreshes pax-logging and fileinstall half-way through and
# dies with "Unknown protocol: mvn". Without them it boots every time. A feature install or update
# then never restarts bundles that merely could rewire; bundle:refresh does that on demand.
set -eu
cfg=$1
grep -q '^autoRefresh *=' "$cfg" || { echo "no-auto-refresh: no autoRefresh line in $cfg" >&2; exit 3; }
sed -i 's/^autoRefresh *=.*/autoRefresh = false/' "$cfg"
grep -q '^autoRefresh = false$' "$cfg"
