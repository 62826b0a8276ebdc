"""Candidate retrieval: the active stories whose centroids are nearest to an article's vector.

Two interchangeable backends: `USearchIndex` (HNSW via `usearch`, the default) and `ExactIndex` (numpy
brute force). Measured with `storyweave bench` at 10k/100k stored articles (~6k active stories): usearch
p50 1.4-1.8 ms / p99 3-6 ms per placement against 7.4 ms / 15.6 ms for brute force, with the same B³ on
every evaluation set (within 0.002).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class CentroidIndex(Protocol):
    def upsert(self, key: int, vector: np.ndarray) -> None: ...

    def remove(self, key: int) -> None: ...

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]: ...

    def __len__(self) -> int: ...


class ExactIndex:
    """Brute-force cosine over a growable float32 matrix (BLAS) with a free list: removed rows are reused."""

    def __init__(self, dim: int, capacity: int = 1024) -> None:
        self.dim = dim
        self._matrix = np.zeros((capacity, dim), dtype=np.float32)
        self._keys = np.full(capacity, -1, dtype=np.int64)
        self._row: dict[int, int] = {}
        self._free: list[int] = list(range(capacity - 1, -1, -1))
        self._high = 0

    def __len__(self) -> int:
        return len(self._row)

    def upsert(self, key: int, vector: np.ndarray) -> None:
        row = self._row.get(key)
        if row is None:
            if not self._free:
                self._grow()
            row = self._free.pop()
            self._high = max(self._high, row + 1)
            self._row[key] = row
            self._keys[row] = key
        self._matrix[row] = vector

    def _grow(self) -> None:
        old = len(self._keys)
        self._matrix = np.vstack([self._matrix, np.zeros((old, self.dim), dtype=np.float32)])
        self._keys = np.concatenate([self._keys, np.full(old, -1, dtype=np.int64)])
        self._free.extend(range(2 * old - 1, old - 1, -1))

    def remove(self, key: int) -> None:
        row = self._row.pop(key, None)
        if row is not None:
            self._keys[row] = -1
            self._matrix[row] = 0
            self._free.append(row)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        if not self._row:
            return []
        used = self._high
        scores = self._matrix[:used] @ vector.astype(np.float32)
        scores[self._keys[:used] < 0] = -2.0
        k = min(k, len(self._row))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(self._keys[i]), float(scores[i])) for i in top if self._keys[i] >= 0]


class USearchIndex:
    """Approximate search with usearch HNSW over float16 vectors (cosine)."""

    def __init__(self, dim: int) -> None:
        from usearch.index import Index

        self._index = Index(ndim=dim, metric="cos", dtype="f16")
        self._keys: set[int] = set()

    def __len__(self) -> int:
        return len(self._keys)

    def upsert(self, key: int, vector: np.ndarray) -> None:
        if key in self._keys:
            self._index.remove(key)
        self._index.add(key, vector.astype(np.float32))
        self._keys.add(key)

    def remove(self, key: int) -> None:
        if key in self._keys:
            self._index.remove(key)
            self._keys.discard(key)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        if not self._keys:
            return []
        matches = self._index.search(vector.astype(np.float32), min(k, len(self._keys)))
        return [
            (int(key), 1.0 - float(dist)) for key, dist in zip(matches.keys, matches.distances, strict=True)
        ]


def make_index(kind: str, dim: int) -> CentroidIndex:
    if kind == "exact":
        return ExactIndex(dim)
    if kind == "usearch":
        return USearchIndex(dim)
    raise ValueError(f"unknown index kind {kind!r} (use 'exact' or 'usearch')")
