"""The join model as shipped: the exported logistic join must score exactly as the model it was fitted as."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from storyweave.cluster.model import scorer
from storyweave.cluster.profile import FEATURE_NAMES

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "fit_engine.py"


def _fit_engine():
    spec = importlib.util.spec_from_file_location("fit_engine", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_exported_logistic_join_scores_as_the_fitted_pipeline():
    rng = np.random.default_rng(0)
    short = FEATURE_NAMES.index("short")
    x = rng.random((400, len(FEATURE_NAMES)))
    x[:, short] = rng.random(400) < 0.3
    # Headline-only rows follow another rule than full-text rows: only the interaction can learn both.
    dense, tfidf = FEATURE_NAMES.index("dense_centroid"), FEATURE_NAMES.index("tfidf")
    y = np.where(x[:, short] == 1, x[:, dense] > 0.5, x[:, tfidf] > 0.5).astype(int)
    weights = np.ones(len(y))

    exported = scorer(_fit_engine().fit_logistic_join(x, y, weights))

    extended = np.hstack([x, x * x[:, [short]]])
    reference = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000))
    reference.fit(extended, y, logisticregression__sample_weight=weights)
    expected = reference.predict_proba(extended)[:, 1]
    np.testing.assert_allclose(exported.probability(x), expected, atol=1e-4)
    assert exported.probability(x[0]) == np.float64(exported.probability(x[:1])[0])
    assert ((exported.probability(x) > 0.5) == y).mean() > 0.9
