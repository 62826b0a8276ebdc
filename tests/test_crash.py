"""Progress under a crash loop: `storyweave ingest` and `storyweave watch` SIGKILLed at random moments and
restarted.

CI-sized (400 articles and 48 pages, 3 kills each); the 10,000-article version is the benchmark
`python -m storyweave.bench.crashloop --articles 10000 --kills 5 --reference`.
"""

from __future__ import annotations

from pathlib import Path

from newsweb import NewsWeb, load_pages

from storyweave.bench.crashloop import Outcome, run, watch_loop

RESTART_PROGRESS_S = 10.0
"""On an idle machine. A loaded one (CI runners, shared cores) is slower at everything, so a restart may also
take up to twice as long as the fresh start of the same run took to store its first article."""


def test_every_restart_progresses_and_the_end_state_is_complete(
    tmp_path: Path, shared_data: Path
) -> None:
    outcome = run(
        tmp_path, shared_data / "clustering", 400, 3, seed=7, min_life=8.0, max_life=12.0, reference=True,
        by_progress=True,
    )
    print(outcome)
    assert_progress_and_complete(outcome)
    # The same stories as one uninterrupted run: a restart replays the stored decisions and the live engine's
    # evictions at the same points (0 of 400 differ here; a margin of 1 % for any decision near a tie).
    assert outcome.different_story <= 0.01 * outcome.articles


def assert_progress_and_complete(outcome: Outcome) -> None:
    """Every restart that had work left stored new articles soon after it started, and the completed run
    holds every input article exactly once, each in a story."""
    fresh, *restarts = outcome.lives
    assert fresh.stored_at_start == 0 and fresh.first_new_after_s is not None, fresh
    bound = max(RESTART_PROGRESS_S, 2 * fresh.first_new_after_s)
    working = [r for r in restarts if r.stored_at_start < outcome.articles]  # some work was left for it
    assert working, "every restart found the work done: the kills came too late"
    for life in working:
        assert life.first_new_after_s is not None and life.first_new_after_s <= bound, (life, bound)
        assert life.stored_at_end > life.stored_at_start, life
    assert outcome.stored == outcome.articles and not outcome.missing  # exactly once: keys are unique
    assert outcome.unplaced == 0


def test_watch_under_a_crash_loop_progresses_and_ends_with_every_page_once(
    tmp_path: Path, shared_data: Path
) -> None:
    pages = load_pages(shared_data, real=0, rendered=48)
    with NewsWeb(pages) as web:
        feeds = [web.add_feed("north", [p.slug for p in pages[::2]]),
                 web.add_feed("south", [p.slug for p in pages[1::2]], fmt="atom")]  # fmt: skip
        outcome = watch_loop(
            tmp_path / "watch.db", feeds, [web.url(f"/a/{p.slug}") for p in pages], 3, seed=3,
            min_life=20.0, max_life=40.0, by_progress=True,
        )
    print(outcome)
    assert outcome.articles == 48
    assert_progress_and_complete(outcome)


class _Counting:
    """The session's encoder, counting the texts it embeds."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim, self.texts = inner, inner.name, inner.dim, 0

    def embed(self, texts: list[str]):
        self.texts += len(texts)
        return self.inner.embed(texts)


def test_restart_replays_stored_vectors_without_embedding(tmp_path: Path, embedder) -> None:
    from storyweave.cluster import StoryEngine
    from storyweave.models import Article
    from storyweave.pipeline import Pipeline
    from storyweave.store import SQLiteStore

    counting = _Counting(embedder)
    articles = [
        Article(f"a{n}", f"Harbour bridge reopens, report {n}", "The bridge reopened on Monday.")
        for n in range(5)
    ]
    with SQLiteStore(tmp_path / "s.db") as store:
        Pipeline(store, StoryEngine(store, counting)).add_many(articles)  # no snapshot: as after a kill
        assert counting.texts == 5 and len(store.get_vectors(counting.name, [a.id for a in articles])) == 5
    with SQLiteStore(tmp_path / "s.db") as store:
        restarted = StoryEngine(store, counting)
        assert restarted.processed == 5 and counting.texts == 5  # caught up from the stored vectors
