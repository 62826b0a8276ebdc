"""Distributed runs on Ray (`--ray [ADDRESS]`, the optional `storyweave[ray]` extra): a second driver of the
same stages, not a copy of them. Importing this package does not import Ray; starting a run does."""

from storyweave.distributed.driver import (
    RayEmbedder,
    RayFeedStages,
    RayIngestor,
    RayRunner,
    RunStats,
    StageTimes,
    cluster_on_ray,
)
from storyweave.distributed.runtime import LOCAL, DistributedError, connect, is_shared_store

__all__ = [
    "LOCAL",
    "DistributedError",
    "RayEmbedder",
    "RayFeedStages",
    "RayIngestor",
    "RayRunner",
    "RunStats",
    "StageTimes",
    "cluster_on_ray",
    "connect",
    "is_shared_store",
]
