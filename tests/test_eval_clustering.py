import pytest

from storyweave.eval.clustering import score_clustering


def test_b3_and_pairwise_on_hand_example():
    # gold: {1,2} {3,4}; predicted: {1,2,3} {4}
    s = score_clustering(["x", "x", "x", "y"], ["a", "a", "b", "b"])
    assert s.b3_precision == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1) / 4)
    assert s.b3_recall == pytest.approx((1 + 1 + 0.5 + 0.5) / 4)
    assert s.b3_f1 == pytest.approx(12 / 17)
    assert (s.pair_precision, s.pair_recall) == pytest.approx((1 / 3, 1 / 2))
    assert (s.n_predicted, s.n_gold, s.n_items) == (2, 2, 4)


def test_b3_extremes():
    gold = ["a", "a", "b", "c"]
    perfect = score_clustering(["p", "p", "q", "r"], gold)
    assert perfect.b3_f1 == pytest.approx(1.0) and perfect.pair_f1 == pytest.approx(1.0)
    singletons = score_clustering(["1", "2", "3", "4"], gold)
    assert singletons.b3_precision == pytest.approx(1.0)
    assert singletons.b3_recall == pytest.approx((0.5 + 0.5 + 1 + 1) / 4)
    one = score_clustering(["z"] * 4, gold)
    assert one.b3_recall == pytest.approx(1.0)
    assert one.b3_precision == pytest.approx((0.5 + 0.5 + 0.25 + 0.25) / 4)


def test_labels_are_only_compared_as_partitions():
    assert score_clustering(["b", "b", "a"], ["x", "x", "y"]).b3_f1 == pytest.approx(1.0)


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError):
        score_clustering(["a"], ["a", "b"])


def test_tfidf_single_pass_joins_same_event_and_opens_new_ones():
    from storyweave.eval.clustering import tfidf_single_pass
    from storyweave.models import Article

    articles = [
        Article("a", "Volcano erupts on Iceland", "Lava flows near Grindavik after the eruption."),
        Article("b", "Iceland volcano eruption", "The eruption near Grindavik sends lava flowing."),
        Article("c", "Central bank raises rates", "The bank raised its key rate by a quarter point."),
    ]
    labels = tfidf_single_pass(articles)
    assert labels[0] == labels[1] != labels[2]
    assert tfidf_single_pass(articles, threshold=1.01) == ["tfidf-0", "tfidf-1", "tfidf-2"]
    assert tfidf_single_pass([]) == []
