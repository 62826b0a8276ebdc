import pytest

from storyweave.eval.pairs import lang_pair, pearson, score_pairs


def test_pearson_sign_is_flipped_so_higher_is_better():
    scores = [0.9, 0.7, 0.2, 0.1]
    overall = [1.0, 2.0, 3.0, 4.0]
    result = score_pairs(scores, overall, ["en", "en", "de-en", "de-en"])
    assert result.pearson == pytest.approx(-pearson(scores, overall))
    assert result.pearson > 0.9
    assert result.by_lang["en"][1] == 2 and result.by_lang["de-en"][1] == 2


def test_same_event_precision_recall_at_threshold():
    # same event = overall <= 2: pairs 0 and 1; predicted (score >= 0.5): pairs 0 and 2
    result = score_pairs([0.8, 0.4, 0.6, 0.1], [1, 2, 3, 4], ["en"] * 4, threshold=0.5)
    assert (result.precision, result.recall) == pytest.approx((0.5, 0.5))


def test_degenerate_inputs():
    assert pearson([1.0], [2.0]) == 0.0
    assert pearson([1.0, 1.0], [1.0, 2.0]) == 0.0
    assert lang_pair("de", "en") == "de-en" and lang_pair("en", "en") == "en"
    assert lang_pair(None, "en") == "?-en"
