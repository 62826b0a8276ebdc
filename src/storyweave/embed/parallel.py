"""Embedding on several cores: worker processes, each with a single-threaded encoder, share each batch.

The USE encoder is numpy with a pure-Python tokenizer, so threads alone leave cores idle; processes do not.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np

_worker_embedder = None


def _load() -> None:
    global _worker_embedder
    from storyweave.embed import USEEmbedder

    _worker_embedder = USEEmbedder(threads=1)
    _worker_embedder.embed(["warm up"])


def _embed(texts: list[str]) -> np.ndarray:
    return _worker_embedder.embed(texts)


class ParallelEmbedder:
    """USE embeddings computed by `workers` processes (default: one per core). Use as a context manager."""

    dim = 512

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ParallelEmbedder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_load)
        # interleaved shares balance long and short texts across workers
        shares = [texts[i :: self.workers] for i in range(self.workers)]
        results = list(self._pool.map(_embed, [s for s in shares if s]))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, block in enumerate(results):
            out[i :: self.workers] = block
        return out
