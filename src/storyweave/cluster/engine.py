"""The online story engine: one article in, one decision out, with explicit and persistent state.

Per article: exact/near-duplicate check → embed → candidate stories (nearest centroids among active stories) →
learned join probability per candidate → join the best or open a new story (linked into the best candidate's
thread when related but not the same event). Decisions go to the store at once; the summary state is
snapshotted into the store (`put_state`) and, after a restart, rebuilt from the snapshot plus the articles
stored since.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from storyweave.budget import Deadline, budget
from storyweave.cluster.dates import text_date
from storyweave.cluster.index import make_index
from storyweave.cluster.model import EngineModel, default_model
from storyweave.cluster.profile import (
    FEATURE_NAMES,
    Profile,
    TextFeatures,
    background,
    features,
    gap_hours,
    text_features,
    to_hours,
)
from storyweave.dedup import DuplicateIndex
from storyweave.embed import Embedder, default_embedder, default_spec, embedder_name
from storyweave.models import Article, Story
from storyweave.store import Store, merged_key

log = logging.getLogger("storyweave.cluster")

STATE_KEY = "story_engine"
REVISION_KEY = "story_engine_revision"
"""A fresh token per snapshot: an engine that finds another process's token reloads (see `_sync`)."""
STATE_VERSION = 3
"""Bump whenever the pickled state's classes or the embedded text change: an older snapshot is then
rebuilt from the stored decisions instead of being loaded into objects of another shape (version 1
predates `Profile.sources` and the 2,000-character embeddings, version 2 the stories' member titles and
the shipped background word weights)."""
FUTURE_TOLERANCE = timedelta(days=1)
MIN_EVIDENCE = 0.15
"""No join without some shared content: the best member cosine or the tf-idf cosine must reach this. A
learned join model extrapolates badly for short texts far from its training data (a flood report joined a
chess result); this floor blocks such joins and cost under 0.005 B3 on the shared sets when it was set
(uci_headlines .921 -> .918)."""
_EVIDENCE_COLUMNS = [FEATURE_NAMES.index("dense_member"), FEATURE_NAMES.index("tfidf")]


@dataclass
class Decision:
    """Where one article went. `score` is the join probability of the chosen story (1.0 for copies)."""

    article_id: str
    story_id: str
    new_story: bool
    duplicate_of: str | None = None
    score: float = 0.0
    thread_id: str | None = None


@dataclass
class StoryState:
    """In-memory summary of one active story."""

    id: str
    key: int
    profile: Profile
    title: str
    first_seen: datetime | None
    last_seen: datetime | None
    thread_id: str | None = None
    touched: int = 0
    pinned: bool = False
    """Set by a manual split: periodic merging leaves the story alone."""
    title_vec: np.ndarray | None = None
    """Embedding of the report whose headline is `title`: the headline closest to the story's centre."""

    def as_story(self) -> Story:
        return Story(
            self.id, [], self.first_seen, self.last_seen, self.title, self.thread_id, self.profile.cohesion
        )

    def refresh_title(self) -> None:
        """Title the story with the headline closest to its centre: the current one or a recent member's."""
        centre = self.profile.unit
        best = -np.inf
        if self.title.strip() and self.title_vec is not None:
            best = float(centre @ self.title_vec.astype(np.float32))
        for title, vector in zip(self.profile.member_titles, self.profile.members, strict=False):
            if title.strip() and (score := float(centre @ vector.astype(np.float32))) > best:
                best, self.title, self.title_vec = score, title, vector


def story_id_for(seed: str) -> str:
    """Deterministic story ids, so the same input always yields the same output."""
    return "st-" + hashlib.sha1(seed.encode("utf-8")).hexdigest()[:12]


class StoryEngine:
    """Online clustering of articles into stories (see module docstring).

    `window_days` bounds the active stories by time (older stories stay stored but take no new articles);
    `max_active` bounds them by count, for undated streams.
    """

    def __init__(
        self,
        store: Store,
        embedder: Embedder | None = None,
        *,
        model: EngineModel | None = None,
        index: str = "usearch",
        candidates: int = 10,
        window_days: float = 7.0,
        max_active: int = 20_000,
        merge_every: int = 200,
        snapshot_every: int = 1000,
        sync_seconds: float = 1.0,
    ) -> None:
        self.store = store
        self._embedder = embedder
        self.embedder_name = getattr(embedder, "name", "use") if embedder else embedder_name(default_spec())
        """Which vector space the state lives in; a snapshot made with another embedder is rebuilt."""
        self.model = model or default_model(self.embedder_name)
        self.index_kind = index
        self.candidates = candidates
        self.window_hours = window_days * 24.0
        self.max_active = max_active
        self.merge_every = merge_every
        self.snapshot_every = snapshot_every
        self.sync_seconds = sync_seconds
        self._revision: bytes | None = None
        self._synced_at = time.monotonic()
        self._pending: dict[str, np.ndarray] = {}
        self._warned: set[str] = set()
        self._reset()
        self._restore()

    # -- state -------------------------------------------------------------------------------------------
    def _reset(self) -> None:
        self.stories: dict[str, StoryState] = {}
        self._by_key: dict[int, StoryState] = {}
        self._next_key = 0
        self.df = background()
        self.dups = DuplicateIndex()
        self.processed = 0
        self.now_hours: float | None = None
        self._dim: int | None = None
        self._index = None
        self._since_snapshot = 0

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = default_embedder()
        return self._embedder

    def _index_for(self, dim: int):
        if self._index is None:
            self._dim = dim
            self._index = make_index(self.index_kind, dim)
        return self._index

    def snapshot(self) -> None:
        """Write the summary state into the store (decisions are already there)."""
        state = {
            "version": STATE_VERSION,
            "embedder": self.embedder_name,
            "stories": self.stories,
            "next_key": self._next_key,
            "dups": self.dups,
            "processed": self.processed,
            "now_hours": self.now_hours,
        }
        revision = uuid.uuid4().hex.encode()
        with self.store.transaction():
            self.store.put_state(STATE_KEY, pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
            self.store.put_state(REVISION_KEY, revision)
        self._revision = revision
        self._since_snapshot = 0

    def _restore(self) -> None:
        self._revision = self.store.get_state(REVISION_KEY)
        raw = self.store.get_state(STATE_KEY)
        if raw is not None:
            try:
                state = pickle.loads(raw)
                if state.get("version") != STATE_VERSION:
                    raise ValueError(f"state version {state.get('version')}")
                if state.get("embedder", "use") != self.embedder_name:  # version 2 snapshots: USE
                    raise ValueError(f"made with embedder {state.get('embedder')}, now {self.embedder_name}")
            except Exception as exc:  # a corrupt or foreign snapshot must not stop the engine
                log.warning("story engine snapshot unreadable (%s); rebuilding from stored articles", exc)
            else:
                self.stories = state["stories"]
                self._next_key = state["next_key"]
                self.dups = state["dups"]
                self.processed, self.now_hours = state["processed"], state["now_hours"]
                for story in self.stories.values():
                    self._by_key[story.key] = story
                    self._index_for(len(story.profile.vec_sum)).upsert(story.key, story.profile.unit)
        self._catch_up()

    def _catch_up(self) -> None:
        """Fold in articles stored after the last snapshot; place those the engine never saw."""
        behind = list(self.store.iter_articles(offset=self.processed))
        if not behind:
            return
        log.info("story engine catching up on %d stored articles", len(behind))
        # Vectors stored with the articles (Pipeline.add) are replayed, not embedded again: a restart after
        # a crash costs milliseconds per article instead of an embedding each.
        self.prepare(behind, self.store.get_vectors(self.embedder_name, [a.id for a in behind]))
        for article in behind:
            if article.story_id is None:
                self.add(article)
            else:
                self.replay(article)
                if self.merge_every and self.processed % self.merge_every == 0:
                    # The live engine retired stories here (see `_housekeeping`); its merges are in the
                    # stored story ids already. Without this, a restarted engine keeps stories active that
                    # the uninterrupted one had retired, and later articles may join them.
                    self.evict()

    def _sync(self) -> bool:
        """Reload when another process (a `storyweave merge` next to a running server, a second ingest)
        wrote a snapshot since ours: otherwise its edits would be undone by our next snapshot. Checked at most
        every `sync_seconds`, one small read. True when the state was reloaded.
        """
        now = time.monotonic()
        if now - self._synced_at < self.sync_seconds:
            return False
        self._synced_at = now
        if self.store.get_state(REVISION_KEY) == self._revision:
            return False
        log.info("stories were changed by another process; reloading the story engine state")
        self._reset()
        self._restore()
        return True

    def replay(self, article: Article) -> None:
        """Replay a decision already in the store into the in-memory state."""
        profile, feats, moment = self._profile(article)
        self._advance_clock(self._checked_date(article, quiet=True))
        self.dups.add(article.id, article.hash, self.dups.signature(article.title, article.text))
        state = self.stories.get(article.story_id)
        if state is None:
            stored = self.store.get_story(article.story_id)
            state = self._new_state(article.story_id, article, profile, moment)
            if stored is not None:
                state.thread_id, state.title = stored.thread_id, stored.title or state.title
        else:
            self._join_state(state, article, profile, moment)
        self.processed += 1

    # -- the decision ------------------------------------------------------------------------------------
    def embed_articles(self, articles: Iterable[Article]) -> dict[str, np.ndarray]:
        """Vectors of the articles that have content, by id, embedded in one batch."""
        return article_vectors(self.embedder, articles)

    def prepare(self, articles: Iterable[Article], vectors: dict[str, np.ndarray] | None = None) -> None:
        """Embed a batch ahead of `add` (much faster than one by one), or take `vectors` embedded elsewhere.

        Vectors prepared earlier for articles not in this batch (e.g. copies the store refused) are dropped.
        """
        articles = list(articles)
        wanted = {a.id for a in articles}
        self._pending = {k: v for k, v in self._pending.items() if k in wanted}
        if vectors is not None:
            self._pending.update(vectors)
        todo = [a for a in articles if a.id not in self._pending]
        self._pending.update(self.embed_articles(todo))

    def add(self, article: Article, vector: np.ndarray | None = None) -> Decision:
        """Place one stored article: join a story or open one, and record the decision in the store."""
        reloaded = self._sync()  # a reload's catch-up may place this very article (stored, not yet placed)
        stored = self.store.get_article(article.id)
        if stored is not None and stored.story_id is not None:
            if not reloaded:
                self._warn(
                    f"dup-id:{article.id}", "article id %s was already placed; keeping its story", article.id
                )
            self._pending.pop(article.id, None)
            return Decision(article.id, stored.story_id, False, stored.duplicate_of, 1.0)
        published = self._checked_date(article)
        moment = published or self._stated_date(article)
        if not _has_content(article):
            self._warn(
                "empty", "article %s has neither title nor text; it becomes a story of its own", article.id
            )
            empty = _empty_profile(self._dim or self.embedder.dim)
            return self._record(article, None, moment, empty, 0.0, None, published=published)
        prepared = self._pending.pop(article.id, None)
        if vector is None:
            vector = prepared if prepared is not None else self.embedder.embed([embed_text(article)])[0]
        deadline = Deadline(budget("decision"))  # the decision proper: embedding is batched ahead normally
        if not article.lang:
            self._warn(
                "no-lang", "article %s has no language; language features are not used for it", article.id
            )
        feats = text_features(article.title, article.text)
        profile = Profile.of_article(
            vector, feats, moment, article.lang, article.source, article.title or "",
            has_published=published is not None,
        )  # fmt: skip
        match, minhash = self.dups.find(article.hash, article.title, article.text)
        target, score, duplicate_of, related = None, 0.0, None, None
        if match is not None:
            original = self.store.get_article(match.article_id)
            if original is not None and original.story_id in self.stories:
                target = self.stories[original.story_id]
                duplicate_of, score = original.duplicate_of or original.id, 1.0
        if target is None and deadline.passed():
            log.warning(
                "article %s: the story decision took %.1f s before scoring candidates, over its %g s budget"
                " (STORYWEAVE_BUDGET_DECISION); placed as a story of its own",
                article.id, deadline.elapsed, deadline.seconds,
            )  # fmt: skip
        elif target is None:
            ranked = self._score_candidates(profile)
            if ranked:
                best, score = ranked[0]
                if score >= self.model.join_threshold:
                    target = best
                elif score >= self.model.thread_threshold:
                    related = best
        self.dups.add(article.id, article.hash, minhash)
        decision = self._record(
            article, target, moment, profile, score, duplicate_of, related, published=published
        )
        self._housekeeping()
        return decision

    def _score_candidates(self, profile: Profile) -> list[tuple[StoryState, float]]:
        if self._index is None or not len(self._index):
            return []
        hits = self._index.search(profile.unit, self.candidates)
        states = [self._by_key[key] for key, _ in hits if key in self._by_key]
        if not states:
            return []
        rows = np.stack([features(profile, s.profile, self.df) for s in states])
        probabilities = self.model.join.probability(rows)
        evidence = rows[:, _EVIDENCE_COLUMNS].max(axis=1)
        apart = np.array([self._apart(profile, s.profile) for s in states])
        probabilities = np.where((evidence < MIN_EVIDENCE) | apart, 0.0, probabilities)
        order = np.argsort(-probabilities)
        return [(states[i], float(probabilities[i])) for i in order]

    def _apart(self, a: Profile, b: Profile) -> bool:
        """Time coherence: a story's reports lie within one window; spans further apart never join or merge,
        whatever the arrival order."""
        hours = gap_hours(a, b)
        if hours is None:
            # A report with a publication date and a story with no date at all (or the reverse): nothing shows
            # they are of one time, and the same actors years apart (a 2016 launch, an undated 2023 meeting
            # about North Korea) look like one event to every other signal. Near-copies still join.
            return bool(a.published or b.published) and (a.t_first is None) != (b.t_first is None)
        return hours > self.model.time_window_days * 24.0

    def _record(
        self,
        article: Article,
        target: StoryState | None,
        moment: datetime | None,
        profile: Profile,
        score: float,
        duplicate_of: str | None,
        related: StoryState | None = None,
        *,
        published: datetime | None = None,
    ) -> Decision:
        """Store the decision; `moment` is the article's date (stated in its text when it has no
        `published`), `published` alone moves the engine's clock."""
        self._advance_clock(published)
        if target is None:
            target = self._new_state(story_id_for(article.id), article, profile, moment)
            if related is not None:
                target.thread_id = self._thread_of(related)
            new = True
        else:
            self._join_state(target, article, profile, moment)
            new = False
        self.store.save_story(target.as_story())
        self.store.set_article_story(article.id, target.id, duplicate_of=duplicate_of)
        self.processed += 1
        self._since_snapshot += 1
        return Decision(article.id, target.id, new, duplicate_of, score, target.thread_id)

    def _thread_of(self, related: StoryState) -> str:
        if related.thread_id is None:
            related.thread_id = related.id
            self.store.save_story(related.as_story())
        return related.thread_id

    def _new_state(
        self, story_id: str, article: Article, profile: Profile, moment: datetime | None
    ) -> StoryState:
        state = StoryState(story_id, self._next_key, profile, article.title or "", moment, moment)
        if profile.n and (article.title or "").strip():
            state.title_vec = profile.unit.astype(np.float16)
        self._next_key += 1
        state.touched = self.processed
        self.stories[story_id] = state
        self._by_key[state.key] = state
        if profile.n:
            self._index_for(len(profile.vec_sum)).upsert(state.key, profile.unit)
        return state

    def _join_state(
        self, state: StoryState, article: Article, profile: Profile, moment: datetime | None
    ) -> None:
        state.profile.absorb(profile)
        state.refresh_title()
        if moment is not None:
            state.first_seen = min(filter(None, (state.first_seen, moment)))
            state.last_seen = max(filter(None, (state.last_seen, moment)))
        state.touched = self.processed
        if state.profile.n:
            self._index_for(len(state.profile.vec_sum)).upsert(state.key, state.profile.unit)

    def _advance_clock(self, published: datetime | None) -> None:
        """The clock that retires old stories follows publication dates only: a date stated in a text may be
        years old (an undated page about 2005) and must not retire today's stories."""
        hours = to_hours(published)
        if hours is not None and (self.now_hours is None or hours > self.now_hours):
            self.now_hours = hours

    def _profile(self, article: Article) -> tuple[Profile, TextFeatures, datetime | None]:
        """Profile of a stored article, its text features and its usable date (no warnings: replay)."""
        published = self._checked_date(article, quiet=True)
        moment = published or self._stated_date(article, quiet=True)
        feats = text_features(article.title, article.text)
        if not _has_content(article):
            return _empty_profile(self._dim or self.embedder.dim), feats, moment
        vector = self._pending.pop(article.id, None)
        if vector is None:
            vector = self.embedder.embed([embed_text(article)])[0]
        profile = Profile.of_article(
            vector, feats, moment, article.lang, article.source, article.title or "",
            has_published=published is not None,
        )  # fmt: skip
        return profile, feats, moment

    def _checked_date(self, article: Article, quiet: bool = False) -> datetime | None:
        published = article.published
        if published is None:
            return None
        if published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
        if published > datetime.now(UTC) + FUTURE_TOLERANCE:
            if not quiet:
                self._warn(
                    "future", "article %s is dated in the future (%s); date ignored", article.id, published
                )
            return None
        return published

    def _stated_date(self, article: Article, quiet: bool = False) -> datetime | None:
        """An undated article takes the date its text states in its opening, when it states one."""
        stated = text_date(article.text or "")
        if not quiet:
            if stated is None:
                self._warn(
                    "no-date",
                    "article %s has no publication date and states none; time features are not used",
                    article.id,
                )
            else:
                self._warn(
                    "stated-date",
                    "article %s has no publication date; using the date its text states (%s)",
                    article.id,
                    stated.date(),
                )
        return stated

    def _warn(self, key: str, message: str, *args: object) -> None:
        """Warn once per kind of problem (duplicate ids: each), so a bad feed does not flood the log."""
        kind = key.split(":", 1)[0]
        if kind in self._warned and kind != "dup-id":
            return
        self._warned.add(kind)
        log.warning(message + ("" if kind == "dup-id" else " (further cases not reported)"), *args)

    # -- periodic work -----------------------------------------------------------------------------------
    def _housekeeping(self) -> None:
        if self.merge_every and self.processed % self.merge_every == 0:
            self.evict()
            self.merge_similar()
        if self.snapshot_every and self._since_snapshot >= self.snapshot_every:
            self.snapshot()

    def evict(self) -> None:
        """Retire stories that left the time window, and the least recently touched beyond `max_active`."""
        retired = []
        if self.now_hours is not None:
            horizon = self.now_hours - self.window_hours
            retired = [
                s
                for s in self.stories.values()
                if s.profile.t_last is not None and s.profile.t_last < horizon
            ]
        overflow = len(self.stories) - len(retired) - self.max_active
        if overflow > 0:
            retired_ids = {s.id for s in retired}
            rest = sorted(
                (s for s in self.stories.values() if s.id not in retired_ids), key=lambda s: s.touched
            )
            retired.extend(rest[:overflow])
        for state in retired:
            self._forget(state)

    def _forget(self, state: StoryState) -> None:
        self.stories.pop(state.id, None)
        self._by_key.pop(state.key, None)
        if self._index is not None:
            self._index.remove(state.key)

    def merge_similar(self, since: int | None = None) -> int:
        """Merge recently touched stories into a neighbour now scoring as the same event; returns merges."""
        since = self.processed - self.merge_every if since is None else since
        merged = 0
        for state in [s for s in self.stories.values() if s.touched >= since and not s.pinned]:
            if state.id not in self.stories or self._index is None:
                continue
            hits = self._index.search(state.profile.unit, 4)
            for key, _ in hits:
                other = self._by_key.get(key)
                if other is None or other is state or other.pinned:
                    continue
                if self._apart(state.profile, other.profile):
                    continue
                row = features(state.profile, other.profile, self.df)
                if float(self.model.join.probability(row)) >= self.model.merge_threshold:
                    keep, drop = (other, state) if other.profile.n >= state.profile.n else (state, other)
                    self._merge(keep.id, drop.id)
                    merged += 1
                    break
        return merged

    # -- manual edits ------------------------------------------------------------------------------------
    def merge(self, story_a: str, story_b: str) -> str:
        """Move every article of `story_b` into `story_a`, delete `story_b`; returns the surviving id."""
        with self.store.transaction():
            survivor = self._merge(story_a, story_b)
            self.snapshot()
        return survivor

    def _merge(self, story_a: str, story_b: str) -> str:
        if story_a == story_b:
            return story_a
        a, b = self.store.get_story(story_a), self.store.get_story(story_b)
        if a is None or b is None:
            raise KeyError(story_a if a is None else story_b)
        with self.store.transaction():
            for article_id in b.article_ids:
                article = self.store.get_article(article_id)
                self.store.set_article_story(
                    article_id, a.id, duplicate_of=article.duplicate_of if article else None
                )
            a.first_seen = min(filter(None, (a.first_seen, b.first_seen)), default=None)
            a.last_seen = max(filter(None, (a.last_seen, b.last_seen)), default=None)
            a.thread_id = a.thread_id or b.thread_id
            self.store.save_story(a)
            self.store.delete_story(b.id)
            # Links to the merged story keep working: the server redirects them to the survivor.
            self.store.put_state(merged_key(b.id), a.id.encode())
            keep, drop = self.stories.get(a.id), self.stories.pop(b.id, None)
            if drop is not None:
                self._forget(drop)
                if keep is not None:
                    keep.profile.absorb(drop.profile)
                    keep.refresh_title()
                    keep.first_seen, keep.last_seen, keep.thread_id = a.first_seen, a.last_seen, a.thread_id
                    a.title, a.cohesion = keep.title, keep.profile.cohesion
                    self.store.save_story(a)
                    self._index_for(len(keep.profile.vec_sum)).upsert(keep.key, keep.profile.unit)
        return a.id

    def split(self, story_id: str, article_ids: list[str]) -> str:
        """Move `article_ids` out of `story_id` into a new story of the same thread; returns the new id."""
        story = self.store.get_story(story_id)
        if story is None:
            raise KeyError(story_id)
        members = set(story.article_ids)
        moving = [i for i in dict.fromkeys(article_ids) if i in members]
        if not moving or len(moving) == len(story.article_ids):
            raise ValueError("split needs some, but not all, of the story's articles")
        new_id = story_id_for("split:" + "\n".join(sorted(moving)))
        with self.store.transaction():
            story.thread_id = story.thread_id or story.id
            parts: dict[str, StoryState | None] = {}
            for part_id, ids in (
                (story_id, [i for i in story.article_ids if i not in moving]),
                (new_id, moving),
            ):
                articles = [a for a in (self.store.get_article(i) for i in ids) if a is not None]
                self.prepare(articles)
                state = None
                for article in articles:
                    profile, _, moment = self._profile(article)
                    if state is None:
                        state = StoryState(
                            part_id,
                            self._next_key,
                            profile,
                            article.title or "",
                            moment,
                            moment,
                            story.thread_id,
                            self.processed,
                            pinned=True,
                            title_vec=profile.unit.astype(np.float16) if profile.n else None,
                        )
                        self._next_key += 1
                    else:
                        self._join_state(state, article, profile, moment)
                    if part_id == new_id:
                        self.store.set_article_story(article.id, new_id, duplicate_of=article.duplicate_of)
                parts[part_id] = state
            old = self.stories.pop(story_id, None)
            if old is not None:
                self._forget(old)
            for state in parts.values():
                if state is None:
                    continue
                self.stories[state.id] = state
                self._by_key[state.key] = state
                if state.profile.n:
                    self._index_for(len(state.profile.vec_sum)).upsert(state.key, state.profile.unit)
                self.store.save_story(state.as_story())
            self.snapshot()
        return new_id


def _has_content(article: Article) -> bool:
    return bool((article.title or "").strip() or (article.text or "").strip())


EMBED_CHARS = 2000
"""Encoder cost grows with length. 2000 characters (title and first paragraphs) scored better B3 than 700
and 1500 on all four shared clustering sets after refitting, and `storyweave cluster` keeps ~80 full-text
articles/s on 2 cores; the sparse features see the whole text."""


def embed_text(article: Article) -> str:
    """What the dense encoder sees: the title and the start of the text, cut at a word boundary."""
    body = article.body
    if len(body) <= EMBED_CHARS:
        return body
    cut = body.rfind(" ", 0, EMBED_CHARS)
    return body[: cut if cut > EMBED_CHARS // 2 else EMBED_CHARS]


def article_vectors(embedder: Embedder, articles: Iterable[Article]) -> dict[str, np.ndarray]:
    """What `StoryEngine.prepare` takes: the vectors of the articles that have content, by id, in one batch.
    A function of its own so that workers without an engine (a distributed run) embed exactly the same way."""
    todo = [a for a in articles if _has_content(a)]
    if not todo:
        return {}
    return dict(zip((a.id for a in todo), embedder.embed([embed_text(a) for a in todo]), strict=True))


def _empty_profile(dim: int) -> Profile:
    from collections import Counter

    return Profile(np.zeros(dim, dtype=np.float32), 0, Counter(), Counter(), Counter())
