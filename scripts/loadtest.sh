#!/usr/bin/env bash
# Load test of `storyweave serve` on loopback: wrk against story and search endpoints (API and HTML) at a
# paced RATE while an ingest POSTs new articles through the API. Not part of the test suite.
#
#   scripts/loadtest.sh [STORE]          # default storyweave-data/load.db, made with 100k articles if missing
#   scripts/loadtest.sh postgresql://…   # the same on PostgreSQL (built if empty; the ingest writes into it)
#   RATE=200 DURATION=60 CONNECTIONS=20 INGEST_RATE=2 scripts/loadtest.sh storyweave-data/load.db
#   RATE=0 scripts/loadtest.sh            # no pacing: as fast as the server goes
set -euo pipefail
cd "$(dirname "$0")/.."

STORE=${1:-storyweave-data/load.db}
RATE=${RATE:-200}
DURATION=${DURATION:-60}
CONNECTIONS=${CONNECTIONS:-20}
INGEST_RATE=${INGEST_RATE:-2}
ARTICLES=${ARTICLES:-100000}
PORT=${PORT:-8799}
BIN=.venv/bin
WORK=$(mktemp -d)
BASE="http://127.0.0.1:$PORT"

command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
case "$STORE" in
  postgres://*|postgresql://*)
    # PostgreSQL: built if empty; the ingest writes into this database itself (no copy).
    COUNT=$($BIN/python -c "import sys; from storyweave.store import open_store; print(open_store(sys.argv[1]).count_articles())" "$STORE")
    [ "$COUNT" -gt 0 ] || $BIN/python scripts/make_load_store.py "$STORE" --articles "$ARTICLES"
    ;;
  *)
    [ -e "$STORE" ] || $BIN/python scripts/make_load_store.py "$STORE" --articles "$ARTICLES"
    # Each run starts from the same store: the ingest writes into a copy.
    $BIN/python -c "import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))" \
      "$STORE" "$WORK/store.db"
    STORE="$WORK/store.db"
    ;;
esac

export STORYWEAVE_API_TOKEN="loadtest-$RANDOM$RANDOM"
$BIN/storyweave serve --host 127.0.0.1 --port "$PORT" --store "$STORE" >"$WORK/server.log" 2>&1 &
SERVER=$!
INGEST=
cleanup() {
  [ -n "$INGEST" ] && kill "$INGEST" 2>/dev/null || true
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 100); do curl -sf "$BASE/api/stories?limit=1" >/dev/null && break; sleep 0.3; done

# The request mix: 25 of the largest and 25 of the latest stories (JSON and page; the latest are those the
# ingest adds to), 20 searches (JSON and page) and one article of each of the 50 stories (JSON and page).
$BIN/python - "$STORE" >"$WORK/paths.txt" <<'EOF'
import random, sys
from urllib.parse import quote
from storyweave.store import open_store
store = open_store(sys.argv[1])
# Only the load store's own stories: those a previous run's ingest opened (on PostgreSQL, which is not copied)
# may be merged away during this run; their URLs then redirect (308) to the story they became.
own = lambda found: [s.id for s in found if s.id.startswith("load-st-")]
stories = own(store.list_stories(limit=100, sort="size"))[:25]
stories += [s for s in own(store.list_stories(limit=100)) if s not in stories][:50 - len(stories)]
words = [w for s in store.list_stories(limit=20, sort="size") for w in s.title.split()[:3] if len(w) > 3][:20]
paths = [f"/api/stories/{s}" for s in stories] + [f"/stories/{s}" for s in stories]
paths += [f"/api/stories?q={quote(w)}&limit=20" for w in words] + [f"/search?q={quote(w)}" for w in words]
articles = [quote(i, safe="") for s in stories for i in store.get_story(s).article_ids[:1]]
paths += [f"/api/articles/{a}" for a in articles] + [f"/articles/{a}" for a in articles]
random.Random(1).shuffle(paths)
print("\n".join(paths))
EOF
echo "articles: $($BIN/python -c "import sys; from storyweave.store import open_store; print(open_store(sys.argv[1]).count_articles())" "$STORE")," \
  "paths: $(wc -l <"$WORK/paths.txt") (stories, searches and articles, JSON and HTML)"

echo "waiting for the story engine to load its state..."
until curl -sf "$BASE/api/status" | grep -q '"engine":"ready"'; do
  if curl -sf "$BASE/api/status" | grep -q '"engine":"failed'; then
    echo "the story engine could not load: $(curl -sf "$BASE/api/status")" >&2; exit 1
  fi
  sleep 1
done
echo "warming up (each story's analysis is computed once and cached, as for stories people read)..."
while read -r path; do
  case "$path" in /api/stories/*) path="$path?wait=true" ;; esac
  curl -sf -o /dev/null "$BASE$path" || echo "warm-up failed: $path" >&2
done <"$WORK/paths.txt"

$BIN/python scripts/loadtest_ingest.py "$BASE" --rate "$INGEST_RATE" --seconds "$DURATION" >"$WORK/ingest.txt" 2>&1 &
INGEST=$!
echo "wrk: ${DURATION}s, $CONNECTIONS connections, target ${RATE} requests/s (0 = unpaced), ingest ${INGEST_RATE} articles/s"
echo "load before: $(uptime)"
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency --timeout 10s -s scripts/loadtest.lua "$BASE" \
  -- "$WORK/paths.txt" "$RATE" 2
echo "load after: $(uptime)"
wait "$INGEST" || true
INGEST=
cat "$WORK/ingest.txt"
echo "responses other than 200 in the server log:"
grep -o '" [1-5][0-9][0-9] ' "$WORK/server.log" | sort | uniq -c | grep -v '" 200 ' || echo "  none"
if grep -q Traceback "$WORK/server.log"; then
  echo "first server error:"; grep -m1 -A30 Traceback "$WORK/server.log" | grep -m1 -B30 -E '^[A-Za-z.]+(Error|Exception)'
fi
rm -rf "$WORK"
