"""A persistent embedding cache, so repeated evaluation and model fitting embed each text only once."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from storyweave.embed import Embedder

_LEGACY_NAME = "use"
"""Cache files written before embedders had names hold only USE vectors (arrays `keys` and `vectors`)."""


class CachedEmbedder:
    """Wraps an `Embedder`; vectors are keyed by embedder name and text hash, kept in one .npz file.

    One file may hold several embedders' vectors (one group per name), which never mix. `save()` writes it.
    """

    def __init__(self, inner: Embedder, path: str | Path) -> None:
        self.inner = inner
        self.name: str = getattr(inner, "name", type(inner).__name__)
        self.dim = inner.dim
        self.path = Path(path)
        self._groups: dict[str, dict[str, np.ndarray]] = {}
        if self.path.exists():
            self._groups = _read(self.path)
        self._vectors = self._groups.setdefault(self.name, {})
        self._dirty = False

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def embed(self, texts: list[str]) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._vectors}
        if todo:
            vectors = self.inner.embed(list(todo.values()))
            self._vectors.update(zip(todo.keys(), vectors, strict=True))
            self._dirty = True
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vectors[k] for k in keys]).astype(np.float32)

    def save(self) -> None:
        """Write every group to the file (atomically: a crash leaves the previous file intact)."""
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        groups = [(name, vectors) for name, vectors in self._groups.items() if vectors]
        arrays: dict[str, np.ndarray] = {"names": np.array([name for name, _ in groups])}
        for i, (_, vectors) in enumerate(groups):
            arrays[f"keys{i}"] = np.array(list(vectors))
            arrays[f"vectors{i}"] = np.stack(list(vectors.values()))
        partial = self.path.with_name(self.path.name + ".partial")
        with open(partial, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(partial, self.path)
        self._dirty = False


def _read(path: Path) -> dict[str, dict[str, np.ndarray]]:
    with np.load(path) as data:
        if "names" not in data:
            return {_LEGACY_NAME: dict(zip(data["keys"].tolist(), data["vectors"], strict=True))}
        return {
            name: dict(zip(data[f"keys{i}"].tolist(), data[f"vectors{i}"], strict=True))
            for i, name in enumerate(data["names"].tolist())
        }
