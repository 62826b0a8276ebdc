from storyweave.dedup import DuplicateIndex, shingles
from storyweave.models import content_hash

BODY = (
    "North Korean leader Kim Jong-un called for a strengthening of the country's war deterrence during a "
    "meeting with his senior military officials. The calls come at a time when tensions in the region remain "
    "high as the United States and South Korea held military drills, state media KCNA said on Tuesday."
)


def _add(index, article_id, title, text):
    match, signature = index.find(content_hash(title, text), title, text)
    index.add(article_id, content_hash(title, text), signature)
    return match


def test_exact_copy_is_found_by_hash():
    index = DuplicateIndex()
    assert _add(index, "a", "Kim calls for deterrence", BODY) is None
    match = _add(index, "b", "Kim  calls for deterrence", BODY)
    assert match is not None and match.article_id == "a" and match.exact


def test_headline_variant_and_near_copy_are_found():
    index = DuplicateIndex()
    _add(index, "a", "Kim calls for deterrence", BODY)
    variant = _add(index, "b", "North Korea's Kim urges stronger war deterrent", BODY + " (Reuters)")
    assert variant is not None and variant.article_id == "a" and not variant.exact
    assert variant.similarity >= 0.8


def test_different_reports_are_not_copies():
    index = DuplicateIndex()
    _add(index, "a", "Kim calls for deterrence", BODY)
    other = (
        "Washington and Seoul have repeatedly described their drills as defensive in nature and said that an "
        "expansion of drills is necessary to cope with North Korea's expanding nuclear and missile programs."
    )
    assert _add(index, "b", "Drills defensive, allies say", other) is None


def test_short_texts_use_word_shingles_and_capacity_bounds_memory():
    assert shingles("Kim meets Putin", "") == {"kim", "meets", "putin"}
    index = DuplicateIndex(capacity=2)
    for i in range(4):
        _add(index, str(i), f"headline number {i}", f"{BODY} {i}")
    assert len(index) == 2
    assert _add(index, "x", "headline number 0", f"{BODY} 0").article_id in {"2", "3"}
