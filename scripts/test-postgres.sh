#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Test of the throwaway PostgreSQL the store tests use (scripts/postgres.sh): it starts as nobody on a
# private loopback port, takes password logins only (a wrong password is refused), gives a role its
# own database, and leaves nothing behind (directory, process) after stop, also when a check fails.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PG=$ROOT/scripts/postgres.sh
DIR=$(mktemp -d /tmp/dsi-pg-test.XXXX)
PW=$(mktemp /tmp/dsi-pg-pw.XXXX)
PASS=0; FAIL=0
cleanup() { "$PG" stop "$DIR" >/dev/null 2>&1; rm -f "$PW"; }
trap cleanup EXIT
ok() { echo "PASS $1"; PASS=$((PASS + 1)); }
ko() { echo "FAIL $1"; FAIL=$((FAIL + 1)); }
finish() { echo "$PASS passed, $FAIL failed"; [ $FAIL = 0 ]; exit $?; }
if [ "$(id -u)" != 0 ] || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	echo "SKIP PostgreSQL tests: need root and Debian's postgresql package (./dsi setup installs it)"
	exit 0
fi
psql_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql
t0=$(date +%s.%N)
if port=$("$PG" start "$DIR"); then
	ok "a server started on 127.0.0.1:$port in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
else
	ko "the server did not start"; finish
fi
[ "$(stat -c %U "$DIR/data")" = nobody ] && ok "it runs as nobody" || ko "its data belongs to $(stat -c %U "$DIR/data")"
[ "$(stat -c %a "$DIR/admin.password")" = 600 ] && ok "the admin password file is 0600" || ko "admin password file mode $(stat -c %a "$DIR/admin.password")"
ss -ltnH "sport = :$port" | grep -q "127.0.0.1:$port" && ! ss -ltnH "sport = :$port" | grep -qv "127.0.0.1:$port" &&
	ok "it listens on loopback only" || ko "it listens beyond loopback: $(ss -ltnH "sport = :$port")"
printf 'store-%s\n' "$RANDOM$RANDOM" > "$PW"
"$PG" database "$DIR" ssstate ss "$PW" && ok "role ss owns database ssstate" || ko "role and database not created"
got=$(PGPASSWORD=$(head -n 1 "$PW") "$psql_bin" -X -h 127.0.0.1 -p "$port" -U ss -d ssstate -tAc "select current_user || '@' || current_database()" 2>&1)
[ "$got" = "ss@ssstate" ] && ok "ss logs in with its password" || ko "ss could not log in: $got"
got=$(PGPASSWORD=not-the-password "$psql_bin" -X -h 127.0.0.1 -p "$port" -U ss -d ssstate -tAc "select 1" 2>&1)
grep -q "password authentication failed" <<<"$got" && ok "a wrong password is refused" || ko "a wrong password was not refused: $got"
got=$("$psql_bin" -X -w -h 127.0.0.1 -p "$port" -U ss -d ssstate -tAc "select 1" 2>&1)
grep -qiE "password|authentication" <<<"$got" && ok "no password, no login" || ko "a login without password got: $got"
"$PG" stop "$DIR"
[ ! -e "$DIR" ] && ok "stop removed its directory" || ko "$DIR is still there"
sleep 0.5
pgrep -f "postgres -D $DIR/data" >/dev/null && ko "a server process is left" || ok "no server process is left"
finish
