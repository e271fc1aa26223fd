#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Gives a second Security Server the cluster's root CA key, before its first start, so that it can sign
# policies and issue certificates after taking over. Copies the root keystore (ca.p12) and its secret
# (ca.pass) of the first server's data/dsi/keys/ca to the second's, owner-only, and removes the first
# server's own TLS key (aliases server-N) from the copy: each server then gets its own server key,
# issued by the root at its first takeover (the shared store records every certificate the root issued).
#   scripts/ss-copy-root.sh FIRST_KARAF_HOME SECOND_KARAF_HOME
# Between hosts: copy the two files over a channel you trust (scp), then run this on the second host
# with the copy as FIRST_KARAF_HOME/data/dsi/keys/ca. The root key is the cluster's most valuable
# secret: both hosts must be hardened alike (seed 000: "an equally hardened secondary security server").
set -euo pipefail
[ $# = 2 ] || { sed -n '3,12p' "$0" >&2; exit 2; }
src=$1/data/dsi/keys/ca dst=$2/data/dsi/keys/ca
[ -s "$src/ca.p12" ] && [ -s "$src/ca.pass" ] || { echo "ss-copy-root.sh: no root keystore in $src (has the first Security Server started?)" >&2; exit 1; }
[ ! -e "$dst/ca.p12" ] || { echo "ss-copy-root.sh: $dst/ca.p12 exists: refusing to replace a root key" >&2; exit 1; }
keytool=${JAVA_HOME:+$JAVA_HOME/bin/}keytool
umask 077
mkdir -p "$dst"
chmod 700 "$2/data/dsi/keys" "$dst" 2>/dev/null || true
cp "$src/ca.p12" "$src/ca.pass" "$dst/"
chmod 600 "$dst/ca.p12" "$dst/ca.pass"
export SS_COPY_ROOT_PASS=$(cat "$dst/ca.pass")
for alias in $("$keytool" -list -keystore "$dst/ca.p12" -storetype PKCS12 -storepass:env SS_COPY_ROOT_PASS 2>/dev/null |
		sed -n 's/^\(server-[0-9]*\),.*/\1/p'); do
	"$keytool" -delete -alias "$alias" -keystore "$dst/ca.p12" -storetype PKCS12 -storepass:env SS_COPY_ROOT_PASS
done
echo "root key copied to $dst (own server key to be issued at its first takeover)"
