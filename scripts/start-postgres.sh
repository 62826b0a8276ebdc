#!/usr/bin/env bash
# Start the Debian PostgreSQL cluster on 127.0.0.1 and create the role `storyweave` (password `storyweave`) with
# databases `storyweave` and `storyweave_test` (idempotent; run as root, e.g. from .ci/run).
set -euo pipefail
cd /tmp  # psql run as user postgres warns when it cannot enter the caller's directory
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "start-postgres: PostgreSQL is not installed (apt-get install -y postgresql)" >&2
  exit 1
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | grep -q online; then
  pg_lsclusters -h | grep -q . || pg_createcluster "$version" main
  cluster=$(pg_lsclusters -h | awk 'NR == 1 {print $1, $2}')
  pg_ctlcluster $cluster start
fi
for _ in $(seq 30); do pg_isready -h 127.0.0.1 -q && break; sleep 1; done
pg_isready -h 127.0.0.1 || { echo "start-postgres: server did not come up on 127.0.0.1" >&2; exit 1; }

sql() { su postgres -c "psql -tAc \"$1\""; }
[ "$(sql "SELECT 1 FROM pg_roles WHERE rolname='storyweave'")" = 1 ] \
  || sql "CREATE ROLE storyweave LOGIN PASSWORD 'storyweave' CREATEDB"
for db in storyweave storyweave_test; do
  [ "$(sql "SELECT 1 FROM pg_database WHERE datname='$db'")" = 1 ] || su postgres -c "createdb -O storyweave $db"
done
