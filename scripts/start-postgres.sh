#!/usr/bin/env bash
# Start the Debian PostgreSQL cluster on 127.0.0.1 and create the test role and database (idempotent).
set -euo pipefail
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | grep -q online; then
  pg_lsclusters -h | grep -q . || pg_createcluster "$version" main
  pg_ctlcluster "$version" main start
fi
for _ in $(seq 30); do pg_isready -h 127.0.0.1 -q && break; sleep 1; done
su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='storyweave'\"" | grep -q 1 \
  || su postgres -c "psql -qc \"CREATE ROLE storyweave LOGIN PASSWORD 'storyweave' CREATEDB\""
su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='storyweave_test'\"" | grep -q 1 \
  || su postgres -c "createdb -O storyweave storyweave_test"
