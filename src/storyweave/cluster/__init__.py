"""Cluster stage: the online story engine, threads, merge and split.

    engine = StoryEngine(store)            # restores its snapshot from the store and catches up
    decision = engine.add(article)         # article already stored; decision persisted at once
    engine.merge(story_a, story_b); engine.split(story_id, article_ids)   # manual edits

Per article: exact/near-copy check (`storyweave.dedup`) → USE embedding of title + lead → nearest active
stories (`index`) → time coherence (no join across more than `time_window_days` between the article's date,
or the date its text states, and the story's span) → boosted-tree join probability over dense, tf-idf, name,
number, stated-date, outlet, language and time features (`profile`, `dates`, `model`) → join the best story or
open one, linked into the best candidate's thread when related. Stories carry their representative title and a
cohesion score.
The shipped decision model is `engine_model.json`, refitted by `scripts/fit_engine.py`.
"""

from storyweave.cluster.engine import Decision, StoryEngine
from storyweave.cluster.model import EngineModel, default_model

__all__ = ["Decision", "EngineModel", "StoryEngine", "default_model"]
