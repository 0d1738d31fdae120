#!/usr/bin/env bash
# Run the register's tests against a real PostgreSQL server on localhost.
#
# Installs Debian's postgresql when missing, starts a private server (a fresh
# cluster in a temporary folder, port 54329, trust authentication on localhost
# only), runs tests/register with HADPLANNER_TEST_DB pointing at it, and stops
# and removes the server whatever happens. Needs root (apt-get) or sudo.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq postgresql >/dev/null
fi
VER=$(ls /usr/lib/postgresql | sort -V | tail -1)
BIN=/usr/lib/postgresql/$VER/bin
PORT=${PGPORT_TEST:-54329}
DIR=$(mktemp -d /tmp/hadplanner-pg.XXXXXX)
$SUDO chown postgres "$DIR"
as_pg() { if [ -z "$SUDO" ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
stop() {
  as_pg "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true
  $SUDO rm -rf "$DIR"
}
trap stop EXIT
as_pg "$BIN/initdb" -D "$DIR/data" -A trust -U postgres >/dev/null
as_pg "$BIN/pg_ctl" -D "$DIR/data" -w -l "$DIR/server.log" \
  -o "-p $PORT -k $DIR -c listen_addresses=localhost" start >/dev/null
as_pg "$BIN/createdb" -h localhost -p "$PORT" -U postgres hadplanner_test
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -e '.[dev,postgres]'
HADPLANNER_TEST_DB="postgresql://postgres@localhost:$PORT/hadplanner_test" \
  .venv/bin/python -m pytest -q tests/register
