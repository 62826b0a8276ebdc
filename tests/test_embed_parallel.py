import numpy as np

from storyweave.embed.parallel import ParallelEmbedder


def test_worker_processes_give_the_in_process_vectors_in_order(embedder):
    texts = ["Kim Jong Un oversees a missile test", "Japan approves a record budget", "Kosovo votes early"]
    with ParallelEmbedder(workers=2) as parallel:
        vectors = parallel.embed(texts)
        assert parallel.embed([]).shape == (0, 512)
    assert vectors.shape == (3, 512)
    assert np.allclose(vectors, embedder.embed(texts), atol=1e-4)
