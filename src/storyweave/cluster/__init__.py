"""Cluster stage: the online story engine (`StoryEngine.add(article) -> Decision`), threads, merge, split."""

from storyweave.cluster.engine import Decision, StoryEngine
from storyweave.cluster.model import EngineModel, default_model

__all__ = ["Decision", "EngineModel", "StoryEngine", "default_model"]
