"""What a story shows: its representative title (closest to the centre) and its cohesion, stored with it."""

from __future__ import annotations

import sqlite3
from collections import Counter

import numpy as np
import pytest

from storyweave.cluster.engine import StoryState
from storyweave.cluster.profile import Profile
from storyweave.models import Article, Story
from storyweave.store import SQLiteStore
from storyweave.store.sqlite import MIGRATIONS


def _unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def _profile(vector: np.ndarray, title: str = "") -> Profile:
    members = [vector.astype(np.float16)]
    return Profile(vector.copy(), 1, Counter(), Counter(), Counter(), members=members, member_titles=[title])


def test_cohesion_is_the_mean_pairwise_cosine():
    a, b, c = _unit(1, 0, 0), _unit(0, 1, 0), _unit(1, 1, 0)
    story = _profile(a)
    assert story.cohesion == 1.0
    story.absorb(_profile(a))
    assert story.cohesion == pytest.approx(1.0)
    story.absorb(_profile(b))  # pairs: a·a = 1, a·b = 0 twice
    assert story.cohesion == pytest.approx(1 / 3)
    story.absorb(_profile(c))
    cosines = [1, 0, 0, 2**-0.5, 2**-0.5, 2**-0.5]
    assert story.cohesion == pytest.approx(np.mean(cosines), abs=1e-6)


def test_title_is_the_headline_closest_to_the_centre():
    outlier, x, y = _unit(0, 0, 1), _unit(1, 0, 0.3), _unit(1, 0.4, 0)
    state = StoryState("s", 0, _profile(outlier), "Sidebar: more news", None, None, title_vec=outlier)
    for title, vector in (("Quake hits the coast", x), ("Coastal quake kills 3", y), ("", _unit(1, 0, 0))):
        state.profile.absorb(_profile(vector, title))
        state.refresh_title()
    assert state.title == "Quake hits the coast"  # closer to the centre than the other; blank never wins
    story = state.as_story()
    assert story.title == state.title and 0.0 <= story.cohesion < 1.0


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    if request.param == "postgres":
        from storyweave.store.postgres import PostgresStore

        backend = PostgresStore(request.getfixturevalue("postgres_url"))
    else:
        backend = SQLiteStore(tmp_path / "s.db")
    yield backend
    backend.close()


def test_cohesion_is_stored_with_the_story(store):
    store.add_article(Article(id="a", title="Quake", text="A quake hit the coast."))
    store.save_story(Story("loose", title="Two events", cohesion=0.31))
    store.set_article_story("a", "loose")
    store.save_story(Story("unknown"))
    assert store.get_story("loose").cohesion == pytest.approx(0.31)
    assert store.get_story("unknown").cohesion is None
    store.save_story(Story("loose", title="Two events", cohesion=0.52))
    assert [s.cohesion for s in store.list_stories(sort="size") if s.id == "loose"] == [pytest.approx(0.52)]


def test_a_store_made_before_cohesion_is_migrated(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0])
        db.execute("PRAGMA user_version = 1")
        db.execute("INSERT INTO stories (id, title) VALUES ('s', 'old story')")
    with SQLiteStore(path) as store:
        old = store.get_story("s")
        assert old.title == "old story" and old.cohesion is None
