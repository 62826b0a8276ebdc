"""A persistent embedding cache, so repeated evaluation and model fitting embed each text only once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from storyweave.embed import Embedder


class CachedEmbedder:
    """Wraps an `Embedder`; vectors are keyed by text hash and kept in one .npz file (`save()` writes it)."""

    def __init__(self, inner: Embedder, path: str | Path) -> None:
        self.inner = inner
        self.dim = inner.dim
        self.path = Path(path)
        self._vectors: dict[str, np.ndarray] = {}
        if self.path.exists():
            with np.load(self.path) as data:
                self._vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
        self._dirty = False

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def embed(self, texts: list[str]) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self._vectors))
        if missing:
            todo = {k: t for k, t in zip(keys, texts, strict=True) if k in set(missing)}
            vectors = self.inner.embed(list(todo.values()))
            self._vectors.update(zip(todo.keys(), vectors, strict=True))
            self._dirty = True
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vectors[k] for k in keys]).astype(np.float32)

    def save(self) -> None:
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self._vectors)
        np.savez(self.path, keys=np.array(keys), vectors=np.stack([self._vectors[k] for k in keys]))
        self._dirty = False
