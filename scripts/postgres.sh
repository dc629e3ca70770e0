#!/usr/bin/env bash
# Used by `make test`: where PostgreSQL 15 is installed, start it (idempotent), create the test
# role and database if missing, and print the test URL on stdout; print nothing where it is not
# installed or cannot be reached (the PostgreSQL tests then skip with a visible reason).
# CLEARANCE_TEST_POSTGRES_URL already set: printed unchanged, nothing started.
set -euo pipefail

if [ -n "${CLEARANCE_TEST_POSTGRES_URL:-}" ]; then
  echo "$CLEARANCE_TEST_POSTGRES_URL"
  exit 0
fi
URL="postgresql+psycopg://clearance:clearance@127.0.0.1:5432/clearance"

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "postgres: PostgreSQL is not installed here: PostgreSQL tests will be skipped" >&2
  exit 0
fi
pg_ctlcluster 15 main start >/dev/null 2>&1 || true
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p 5432 -q && break
  sleep 1
done
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "postgres: PostgreSQL did not start: PostgreSQL tests will be skipped" >&2
  exit 0
fi

as_postgres() {
  if [ "$(id -u)" = "0" ]; then su postgres -c "$1"; else sudo -n -u postgres sh -c "$1"; fi
}
if as_postgres "true" 2>/dev/null; then
  as_postgres "psql -v ON_ERROR_STOP=1 -q" >/dev/null <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'clearance') THEN
    CREATE ROLE clearance LOGIN PASSWORD 'clearance' CREATEDB;
  END IF;
END
$$;
SQL
  if ! as_postgres "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='clearance'\"" | grep -q 1; then
    as_postgres "createdb -O clearance clearance"
  fi
else
  echo "postgres: cannot act as the postgres user; assuming the clearance role and database exist" >&2
fi
echo "$URL"
