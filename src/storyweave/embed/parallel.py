"""Embedding on several cores: worker processes, each with a single-threaded encoder, share each batch.

The USE encoder is numpy with a pure-Python tokenizer, so threads alone leave cores idle; processes do not.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from storyweave.embed import Embedder, default_spec, embedder_name, make_embedder

_worker_embedder: Embedder | None = None


def _load(spec: str) -> None:
    global _worker_embedder
    _worker_embedder = make_embedder(spec, threads=1)
    _worker_embedder.embed(["warm up"])


def _embed(texts: list[str]) -> np.ndarray:
    assert _worker_embedder is not None
    return _worker_embedder.embed(texts)


def _dim() -> int:
    assert _worker_embedder is not None
    return _worker_embedder.dim


class ParallelEmbedder:
    """Embeddings of `spec` (default: the process's embedder) computed by `workers` processes (default: one
    per core). Use as a context manager."""

    def __init__(self, workers: int | None = None, spec: str | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.spec = spec or default_spec()
        self.name = embedder_name(self.spec)
        self._dim: int | None = None
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ParallelEmbedder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def _workers(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_load, initargs=(self.spec,)
            )
        return self._pool

    @property
    def dim(self) -> int:
        """The encoder's dimension, asked of a worker (the parent never loads the weights)."""
        if self._dim is None:
            self._dim = self._workers().submit(_dim).result()
        return self._dim

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        pool = self._workers()
        # interleaved shares balance long and short texts across workers
        shares = [texts[i :: self.workers] for i in range(self.workers)]
        results = list(pool.map(_embed, [s for s in shares if s]))
        out = np.empty((len(texts), results[0].shape[1]), dtype=np.float32)
        for i, block in enumerate(results):
            out[i :: self.workers] = block
        return out
