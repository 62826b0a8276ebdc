"""The ingest half of scripts/loadtest.sh: POST generated articles to /api/ingest/articles at a steady rate
(half about recent stories of the load store, half about new events) and report what happened.

    STORYWEAVE_API_TOKEN=... .venv/bin/python scripts/loadtest_ingest.py http://127.0.0.1:8799 --rate 2
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from make_load_store import LANGS, VERBS, article_text, event_words  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("--rate", type=float, default=2.0, help="articles per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--events", type=int, default=10_000, help="events in the load store")
    args = parser.parse_args()
    token = os.environ["STORYWEAVE_API_TOKEN"]
    rng = random.Random(time.time_ns())
    with httpx.Client(base_url=args.base_url) as client:  # the news goes on where the store's ends
        latest = client.get("/api/stories", params={"limit": 1}).json()["items"]
    clock = datetime.fromisoformat(latest[0]["last_seen"]) if latest else datetime.now(UTC)
    latencies, statuses, errors = [], {}, 0
    start = time.monotonic()
    with httpx.Client(
        base_url=args.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        n = 0
        while time.monotonic() - start < args.seconds:
            event = (
                args.events - 1 - rng.randrange(50)
                if rng.random() < 0.5
                else args.events + rng.randrange(10**6)
            )
            headline, words = event_words(random.Random(7 * 1_000_003 + event), event)
            outlet = f"outlet{rng.randrange(300):03d}.example"
            article = {
                "title": f"{headline.title()}: {rng.choice(VERBS)} {rng.choice(words)}",
                "text": article_text(rng, words),
                "source": outlet,
                "lang": rng.choice(LANGS),
                "url": f"https://{outlet}/live/{time.time_ns()}",
                "published": clock.isoformat(),
            }
            clock += timedelta(seconds=rng.expovariate(1 / 50))
            t0 = time.monotonic()
            try:
                response = client.post("/api/ingest/articles", json=[article])
                response.raise_for_status()
                for result in response.json():
                    statuses[result["status"]] = statuses.get(result["status"], 0) + 1
            except httpx.HTTPError as exc:
                errors += 1
                print(f"ingest error: {exc}", file=sys.stderr)
            latencies.append(time.monotonic() - t0)
            n += 1
            time.sleep(max(0.0, start + n / args.rate - time.monotonic()))
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    elapsed = time.monotonic() - start
    print(
        f"ingest: {len(latencies)} articles in {elapsed:.0f} s ({len(latencies) / elapsed:.1f}/s),"
        f" {statuses}, "
        f"{errors} errors; POST latency p50 {p(0.5):.0f} ms, p99 {p(0.99):.0f} ms, max {p(1.0):.0f} ms"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
