#!/bin/sh
# Asks this node's DSI authentication service for a process certificate.
# Usage: dsi-auth-request.sh [SOCKET] [OUT_DIR]
#   SOCKET  default $DSI_AUTH_SOCKET, else /opt/karaf/data/dsi/auth.sock
#   OUT_DIR default .  -> key.pem (600, never leaves this machine), chain.pem (leaf, node CA), root.pem
# Needs openssl, and socat or python3. The certificate is for the security context of the process
# that connects (this script's shell and its children: run it inside the context).
set -eu
SOCKET=${1:-${DSI_AUTH_SOCKET:-/opt/karaf/data/dsi/auth.sock}}
OUT=${2:-.}
mkdir -p "$OUT"
umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=dsi process" \
    -keyout "$tmp/key.pem" -out "$tmp/req.pem" 2>/dev/null
if command -v socat >/dev/null 2>&1; then
    socat -t 10 - "UNIX-CONNECT:$SOCKET" < "$tmp/req.pem" > "$tmp/resp.pem"
else
    python3 - "$SOCKET" "$tmp/req.pem" "$tmp/resp.pem" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(open(sys.argv[2], 'rb').read())
s.shutdown(socket.SHUT_WR)
out = b''
while True:
    b = s.recv(8192)
    if not b:
        break
    out += b
open(sys.argv[3], 'wb').write(out)
PY
fi
if ! grep -q -- "-----BEGIN CERTIFICATE-----" "$tmp/resp.pem"; then
    echo "refused: $(sed 's/^ERROR //' "$tmp/resp.pem")" >&2
    exit 2
fi
# the response is leaf, node CA, root
awk -v out="$tmp" '/-----BEGIN CERTIFICATE-----/{n++} {print > (out "/cert" n ".pem")}' "$tmp/resp.pem"
cat "$tmp/cert1.pem" "$tmp/cert2.pem" > "$OUT/chain.pem"
cp "$tmp/cert3.pem" "$OUT/root.pem"
cp "$tmp/key.pem" "$OUT/key.pem"
chmod 600 "$OUT/key.pem"
chmod 644 "$OUT/chain.pem" "$OUT/root.pem"
openssl x509 -in "$OUT/chain.pem" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | sed 's/^ *//'
