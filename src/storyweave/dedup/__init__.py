"""Dedup stage: exact copies (content hash) and near-copies (MinHash LSH over word shingles, `datasketch`).

Wire copies and re-posts are kept but linked to the first copy (`duplicate_of`); a new headline over the same
body (a headline variant) is a near-copy too, because bodies are compared without their titles.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash, MinHashLSH

_WORD = re.compile(r"\w+", re.UNICODE)
NUM_PERM = 64
SHINGLE = 3
SHORT_WORDS = 25
"""Below this many words (headlines, teasers) the shingles are single words: 3-word ones are too few."""


_EMPTY = MinHash(num_perm=NUM_PERM, seed=1)


@dataclass(frozen=True)
class Match:
    article_id: str
    similarity: float
    exact: bool


def shingles(title: str, text: str) -> set[str]:
    """Word shingles of the body (title only when there is no body), lower-cased."""
    words = [w.casefold() for w in _WORD.findall(text or "")]
    if len(words) < SHORT_WORDS:
        words = [w.casefold() for w in _WORD.findall(f"{title or ''} {text or ''}")]
        return set(words)
    return {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


class DuplicateIndex:
    """Finds the earlier copy of an article. Keeps the latest `capacity` articles so memory stays bounded."""

    def __init__(self, threshold: float = 0.8, capacity: int = 100_000) -> None:
        self.threshold = threshold
        self.capacity = capacity
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._hashes: dict[str, str] = {}
        self._signatures: OrderedDict[str, np.ndarray] = OrderedDict()
        self._hash_of: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._signatures)

    @staticmethod
    def signature(title: str, text: str) -> MinHash:
        minhash = _EMPTY.copy()  # copying reuses the permutations instead of drawing them again
        minhash.update_batch([s.encode("utf-8") for s in shingles(title, text)])
        return minhash

    def find(self, content_hash: str, title: str, text: str) -> tuple[Match | None, MinHash | None]:
        """The best earlier copy (exact first), plus the signature to pass to `add`."""
        exact = self._hashes.get(content_hash)
        if exact is not None:
            return Match(exact, 1.0, True), None
        if not (title or text):
            return None, None
        minhash = self.signature(title, text)
        best: Match | None = None
        for key in self._lsh.query(minhash):
            similarity = float(np.mean(minhash.hashvalues == self._signatures[key]))
            if similarity >= self.threshold and (best is None or similarity > best.similarity):
                best = Match(key, similarity, False)
        return best, minhash

    def add(self, article_id: str, content_hash: str, minhash: MinHash | None) -> None:
        if article_id in self._signatures or article_id in self._hash_of:
            return
        self._hashes.setdefault(content_hash, article_id)
        self._hash_of[article_id] = content_hash
        if minhash is not None:
            self._lsh.insert(article_id, minhash, check_duplication=False)
            self._signatures[article_id] = minhash.hashvalues
        while len(self._hash_of) > self.capacity:
            self._evict()

    def _evict(self) -> None:
        oldest = next(iter(self._hash_of))
        content_hash = self._hash_of.pop(oldest)
        if self._hashes.get(content_hash) == oldest:
            del self._hashes[content_hash]
        if self._signatures.pop(oldest, None) is not None:
            self._lsh.remove(oldest)


__all__ = ["DuplicateIndex", "Match", "shingles"]
