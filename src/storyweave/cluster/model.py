"""The learned "join or new story" decision: logistic models over `profile.FEATURE_NAMES`, shipped as JSON.

`scripts/fit_engine.py` fits them on the shared training data and writes `engine_model.json`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from storyweave.cluster.profile import FEATURE_NAMES

MODEL_FILE = "engine_model.json"


@dataclass(frozen=True)
class Logistic:
    coef: np.ndarray
    intercept: float

    def probability(self, x: np.ndarray) -> np.ndarray:
        """P(same story) for one feature row (1-D) or many (2-D)."""
        return 1.0 / (1.0 + np.exp(-(x @ self.coef + self.intercept)))


@dataclass(frozen=True)
class EngineModel:
    """Everything the engine decides with: join/pair models and the decision points."""

    join: Logistic
    pair: Logistic
    join_threshold: float = 0.5
    thread_threshold: float = 0.15
    merge_threshold: float = 0.9
    pair_threshold: float = 0.5

    @classmethod
    def from_dict(cls, data: dict) -> EngineModel:
        if data.get("features") != FEATURE_NAMES:
            raise ValueError(
                "engine model was fitted on a different feature set; rerun scripts/fit_engine.py"
            )

        def logistic(part: dict) -> Logistic:
            return Logistic(np.asarray(part["coef"], dtype=np.float64), float(part["intercept"]))

        return cls(
            join=logistic(data["join"]),
            pair=logistic(data["pair"]),
            **{
                k: float(data[k])
                for k in ("join_threshold", "thread_threshold", "merge_threshold", "pair_threshold")
                if k in data
            },
        )


@lru_cache(maxsize=1)
def default_model() -> EngineModel:
    """The one shipped default configuration."""
    text = resources.files("storyweave.cluster").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return EngineModel.from_dict(json.loads(text))
