import numpy as np

from storyweave.embed.cache import CachedEmbedder


class CountingEmbedder:
    dim = 3

    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        return np.array([[len(t), 1.0, 0.0] for t in texts], dtype=np.float32)


def test_each_text_is_embedded_once_and_survives_a_reload(tmp_path):
    inner = CountingEmbedder()
    cache = CachedEmbedder(inner, tmp_path / "vectors.npz")
    first = cache.embed(["a", "bb", "a"])
    assert inner.seen == ["a", "bb"] and first.shape == (3, 3) and first[0, 0] == first[2, 0] == 1
    cache.save()
    again = CachedEmbedder(CountingEmbedder(), tmp_path / "vectors.npz")
    assert np.array_equal(again.embed(["bb"]), first[1:2]) and again.inner.seen == []
    assert cache.embed([]).shape == (0, 3)
