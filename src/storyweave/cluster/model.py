"""The learned "join or new story" decision over `profile.FEATURE_NAMES`, shipped as JSON.

Join: a logistic model over the features and their products with `short` (a headline-only report weighs the
evidence differently), or gradient-boosted trees; both fitted with scikit-learn, exported, evaluated here with
numpy: no pickles, no version lock-in. The logistic join carried over to sets it never saw far better than
the trees (README, "Story engine quality"). Pair similarity: a logistic model, whose smooth scores correlate
best with human ratings.

`scripts/fit_engine.py` fits them on the shared training data and writes `engine_model.json` (USE) or
`engine_model-<embedder>.json`.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from storyweave.cluster.profile import FEATURE_NAMES

MODEL_FILE = "engine_model.json"
"""The model for the default USE embedder; other embedders' models sit beside it (`model_file`)."""
log = logging.getLogger("storyweave.cluster")


@dataclass(frozen=True)
class Logistic:
    coef: np.ndarray
    intercept: float
    interact: tuple[int, ...] = ()
    """Columns whose products with every feature extend the rows before the dot product."""

    def probability(self, x: np.ndarray) -> np.ndarray:
        """P(same story) for one feature row (1-D) or many (2-D)."""
        if self.interact:
            x = np.concatenate([x] + [x * x[..., c : c + 1] for c in self.interact], axis=-1)
        return 1.0 / (1.0 + np.exp(-(x @ self.coef + self.intercept)))


@dataclass(frozen=True)
class Trees:
    """Boosted binary trees as padded node arrays (one row per tree); leaf values are logits."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    leaf: np.ndarray
    baseline: float
    depth: int

    @classmethod
    def from_dict(cls, data: dict) -> Trees:
        return cls(
            feature=np.asarray(data["feature"], dtype=np.intp),
            threshold=np.asarray(data["threshold"], dtype=np.float64),
            left=np.asarray(data["left"], dtype=np.intp),
            right=np.asarray(data["right"], dtype=np.intp),
            value=np.asarray(data["value"], dtype=np.float64),
            leaf=np.asarray(data["leaf"], dtype=bool),
            baseline=float(data["baseline"]),
            depth=int(data["depth"]),
        )

    def probability(self, x: np.ndarray) -> np.ndarray:
        """P(same story) for one feature row (1-D) or many (2-D); all trees walked at once."""
        rows = np.atleast_2d(x)
        trees = np.arange(len(self.feature))[:, None]
        cols = np.arange(len(rows))[None, :]
        node = np.zeros((len(self.feature), len(rows)), dtype=np.intp)
        for _ in range(self.depth):
            go_left = rows[cols, self.feature[trees, node]] <= self.threshold[trees, node]
            step = np.where(go_left, self.left[trees, node], self.right[trees, node])
            node = np.where(self.leaf[trees, node], node, step)
        logit = self.baseline + self.value[trees, node].sum(axis=0)
        probability = 1.0 / (1.0 + np.exp(-logit))
        return probability if np.ndim(x) == 2 else probability[0]


def scorer(part: dict) -> Logistic | Trees:
    if part.get("kind") == "trees":
        return Trees.from_dict(part)
    interact = part.get("interact") or []
    return Logistic(
        np.asarray(part["coef"], dtype=np.float64),
        float(part["intercept"]),
        tuple(FEATURE_NAMES.index(name) for name in ([interact] if isinstance(interact, str) else interact)),
    )


@dataclass(frozen=True)
class EngineModel:
    """Everything the engine decides with: join/pair models and the decision points."""

    join: Logistic | Trees
    pair: Logistic | Trees
    join_threshold: float = 0.5
    thread_threshold: float = 0.15
    merge_threshold: float = 0.9
    pair_threshold: float = 0.5
    time_window_days: float = 7.0
    """Time coherence: no join or merge across a gap longer than this between an article and a story."""

    @classmethod
    def from_dict(cls, data: dict) -> EngineModel:
        if data.get("features") != FEATURE_NAMES:
            raise ValueError(
                "engine model was fitted on a different feature set; rerun scripts/fit_engine.py"
            )
        return cls(
            join=scorer(data["join"]),
            pair=scorer(data["pair"]),
            **{
                k: float(data[k])
                for k in (
                    "join_threshold",
                    "thread_threshold",
                    "merge_threshold",
                    "pair_threshold",
                    "time_window_days",
                )
                if k in data
            },
        )


def model_file(embedder: str = "use") -> str:
    """Where the model fitted for `embedder` ships: the join model reads that embedder's cosines."""
    if embedder == "use":
        return MODEL_FILE
    slug = re.sub(r"[^a-z0-9]+", "-", embedder.lower()).strip("-")
    return MODEL_FILE.replace(".json", f"-{slug}.json")


@lru_cache(maxsize=4)
def default_model(embedder: str = "use") -> EngineModel:
    """The shipped default configuration for `embedder`; the USE model (with a warning) when none was fitted.

    Dense similarities of another encoder sit on another scale, so the USE model's decisions are then only a
    starting point: `scripts/fit_engine.py --embedder SPEC` fits and writes the matching file.
    """
    package = resources.files("storyweave.cluster")
    name = model_file(embedder)
    if not package.joinpath(name).is_file():
        log.warning(
            "no join model fitted for embedder %s; using the USE model (fit one with "
            "scripts/fit_engine.py --embedder %s)",
            embedder,
            embedder,
        )
        name = MODEL_FILE
    return EngineModel.from_dict(json.loads(package.joinpath(name).read_text(encoding="utf-8")))
