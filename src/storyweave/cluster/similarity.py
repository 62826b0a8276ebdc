"""Pair similarity: how likely two articles report the same event, from the engine's own features."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from storyweave.cluster.engine import embed_text
from storyweave.cluster.model import EngineModel, default_model
from storyweave.cluster.profile import Profile, background, features, text_features
from storyweave.embed import Embedder, default_embedder
from storyweave.models import Article


def pair_feature_rows(pairs: Sequence[tuple[Article, Article]], embedder: Embedder) -> np.ndarray:
    """Symmetric features per pair; word weights from the shipped background corpus."""
    articles = [a for pair in pairs for a in pair]
    vectors = embedder.embed([embed_text(a) for a in articles]) if articles else np.zeros((0, embedder.dim))
    df = background()
    feats = [text_features(a.title, a.text) for a in articles]
    profiles = [
        Profile.of_article(v, f, a.published, a.lang)
        for a, v, f in zip(articles, vectors, feats, strict=True)
    ]
    rows = [
        (features(profiles[i], profiles[i + 1], df) + features(profiles[i + 1], profiles[i], df)) / 2.0
        for i in range(0, len(profiles), 2)
    ]
    return np.stack(rows) if rows else np.zeros((0, 0))


def pair_scores(
    pairs: Sequence[tuple[Article, Article]],
    embedder: Embedder | None = None,
    model: EngineModel | None = None,
) -> np.ndarray:
    """Scores in [0, 1], higher = same event; `model.pair_threshold` is the default decision point."""
    if not pairs:
        return np.zeros(0)
    embedder = embedder or default_embedder()
    model = model or default_model(getattr(embedder, "name", "use"))
    return model.pair.probability(pair_feature_rows(pairs, embedder))
