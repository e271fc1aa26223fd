#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A throwaway PostgreSQL server for tests (Debian's package): its own directory, a free loopback port,
# run as nobody (initdb refuses root), password logins only (scram-sha-256), removed by `stop`.
#   scripts/postgres.sh start DIR                  -> prints the port; DIR/admin.password (0600) holds
#                                                     the password of the superuser "dsiadmin"
#   scripts/postgres.sh database DIR NAME USER PWFILE
#                                                  -> role USER (password: the first line of PWFILE) owning database NAME
#   scripts/postgres.sh psql DIR [psql args...]    -> psql as dsiadmin over TCP
#   scripts/postgres.sh restart DIR [DOWN]         -> fast shutdown, DOWN seconds without a server (default 0),
#                                                     start again on the same port (clients riding out an outage)
#   scripts/postgres.sh stop DIR                   -> fast shutdown, DIR removed
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] && [ -x "$bin/initdb" ] || { echo "postgres.sh: no PostgreSQL server (apt-get install postgresql; ./dsi setup installs it)" >&2; exit 3; }
[ "$(id -u)" = 0 ] || { echo "postgres.sh: needs root (to run the server as nobody)" >&2; exit 3; }
as_nobody() { runuser -u nobody -- "$@"; }
port_of() { cat "$1/port"; }
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '3,12p' "$0" >&2; exit 2; }
case $cmd in
start)
	mkdir -p "$dir"; chmod 700 "$dir"
	head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$dir/admin.password"
	chmod 600 "$dir/admin.password"
	mkdir -p "$dir/sock"
	cp "$dir/admin.password" "$dir/sock/.pw"; chown -R nobody:nogroup "$dir/sock"; chmod 600 "$dir/sock/.pw"
	chown nobody:nogroup "$dir"
	as_nobody "$bin/initdb" -D "$dir/data" -U dsiadmin --pwfile="$dir/sock/.pw" \
		--auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	rm -f "$dir/sock/.pw"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	echo "$port" > "$dir/port"
	as_nobody "$bin/pg_ctl" -D "$dir/data" -l "$dir/sock/server.log" -w -t 30 \
		-o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1" start >/dev/null ||
		{ cat "$dir/sock/server.log" >&2; exit 1; }
	echo "$port"
	;;
psql)
	shift 2
	PGPASSWORD=$(cat "$dir/admin.password") "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(port_of "$dir")" \
		-U dsiadmin -d postgres "$@"
	;;
database)
	name=$3 user=$4 pw=$(head -n 1 "$5")
	"$0" psql "$dir" -v "u=$user" -v "p=$pw" -v "d=$name" <<'SQL'
CREATE ROLE :"u" LOGIN PASSWORD :'p';
CREATE DATABASE :"d" OWNER :"u";
SQL
	;;
restart)
	as_nobody "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null
	sleep "${3:-0}"
	as_nobody "$bin/pg_ctl" -D "$dir/data" -l "$dir/sock/server.log" -w -t 30 \
		-o "-p $(port_of "$dir") -k $dir/sock -c listen_addresses=127.0.0.1" start >/dev/null ||
		{ cat "$dir/sock/server.log" >&2; exit 1; }
	;;
stop)
	if [ -d "$dir/data" ]; then
		as_nobody "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
	;;
*) sed -n '3,12p' "$0" >&2; exit 2 ;;
esac
