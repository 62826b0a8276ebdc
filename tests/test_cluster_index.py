import numpy as np
import pytest

from storyweave.cluster.index import make_index


@pytest.mark.parametrize("kind", ["exact", "usearch"])
def test_nearest_centroids_with_updates_and_removals(kind):
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((1500, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = make_index(kind, 32)
    for key, vector in enumerate(vectors):
        index.upsert(key, vector)
    assert len(index) == 1500
    assert index.search(vectors[7], 3)[0][0] == 7
    index.upsert(7, vectors[8])
    assert {key for key, _ in index.search(vectors[8], 2)} == {7, 8}
    index.remove(8)
    hits = index.search(vectors[8], 2)
    assert hits[0][0] == 7 and 8 not in {key for key, _ in hits} and len(index) == 1499
    assert hits[0][1] == pytest.approx(1.0, abs=1e-2)


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError):
        make_index("faiss", 8)
