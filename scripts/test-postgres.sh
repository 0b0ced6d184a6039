#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback for the store contract and multi-instance tests.
#   scripts/test-postgres.sh start   → prints the connection URL (trust auth, loopback only)
#   scripts/test-postgres.sh stop
set -euo pipefail
DIR="${ORG_POLICY_PG_DIR:-/tmp/org-policy-test-pg}"
PORT="${ORG_POLICY_PG_PORT:-55432}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -x "$BIN/initdb" ] || { echo "PostgreSQL server binaries not found: apt-get install postgresql" >&2; exit 2; }
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
	start)
		if [ ! -f "$DIR/data/PG_VERSION" ]; then
			mkdir -p "$DIR"
			[ "$(id -u)" = 0 ] && chown postgres "$DIR"
			as_postgres "$BIN/initdb" -D "$DIR/data" --auth=trust --username=postgres --encoding=UTF8 >/dev/null
		fi
		if ! as_postgres "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
			as_postgres "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
				-o "-p $PORT -c listen_addresses=127.0.0.1 -k $DIR -c fsync=off -c max_connections=200" start >/dev/null
		fi
		echo "postgres://postgres@127.0.0.1:$PORT/postgres"
		;;
	stop)
		as_postgres "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true
		;;
	*)
		sed -n '2,4p' "$0"
		exit 2
		;;
esac
