"""Property-based tests (Hypothesis) of every reader of untrusted input, and a 500-case sample of the fuzz
corpus (`storyweave.bench.fuzz`; the full 10,000-case sweep is `python -m storyweave.bench.fuzz`).

The property everywhere: the reader returns its result or its own one-line error, nothing else escapes.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyweave.bench.fuzz import Runner, generate
from storyweave.extract import ExtractionError, extract_page
from storyweave.feeds.parse import FeedParseError, parse_feed
from storyweave.feeds.sources import FeedListError, read_feed_list
from storyweave.fetch.client import is_public_address
from storyweave.ingest.readers import AlreadyStored, IngestError, article_from_record, read_jsonl, record_item
from storyweave.models import Article
from storyweave.serve.api import IngestResult, Writer, _ingest_record
from storyweave.store.base import MAX_QUERY_TERMS, search_terms

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
odd_strings = st.sampled_from(["", "9999-12-31T23:59:59-23:59", "http://[::1", "\ud800", "[/x]"])
field_values = st.one_of(json_values, odd_strings)
records = st.fixed_dictionaries(
    {}, optional={k: field_values for k in ("id", "title", "text", "lang", "source", "url", "published")}
)


def one_line(message: str) -> bool:
    return bool(message) and "\n" not in message and len(message) < 2000


@SETTINGS
@given(st.one_of(records, json_values))
def test_any_json_value_is_an_article_or_one_extraction_error(value: object) -> None:
    try:
        article = article_from_record(value)
    except ExtractionError as exc:
        assert one_line(exc.reason)
    else:
        assert isinstance(article, Article) and article.id
        article.title.encode("utf-8")  # storable: no lone surrogates left
        article.text.encode("utf-8")


@SETTINGS
@given(st.binary(max_size=2000))
def test_any_bytes_line_is_one_item(raw: bytes) -> None:
    item = record_item(raw, "f:1")
    assert isinstance(item, Article | IngestError | AlreadyStored)
    if isinstance(item, IngestError):
        assert one_line(item.reason)


@SETTINGS
@given(st.lists(st.binary(max_size=300), max_size=6))
def test_good_records_survive_any_garbage_between_them(tmp_path_factory, garbage: list[bytes]) -> None:
    good = [json.dumps({"id": f"g{i}", "title": f"Good {i}", "text": "Body."}).encode() for i in range(2)]
    lines = [good[0], *(g.replace(b"\n", b" ") for g in garbage), good[1]]
    path = Path(tmp_path_factory.mktemp("jsonl")) / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    items = list(read_jsonl(path))
    assert [i.id for i in items if isinstance(i, Article) and i.id in ("g0", "g1")] == ["g0", "g1"]
    assert all(one_line(i.reason) for i in items if isinstance(i, IngestError))


html_fragments = st.lists(
    st.sampled_from(["<html>", "<body>", "<div>", "</div>", "<p>", "</p>", "<table><tr><td>", "<script>",
                     "<!--", "-->", "<![CDATA[", "&amp;", "&#0;", "\x00", "text ", "<meta charset='utf-16'>",
                     "<a href='javascript:alert(1)'>", "<p a=1 a=1 a=1>", "<?xml?>", "<svg><foreignObject>"]),
    max_size=200,
)  # fmt: skip


@SETTINGS
@given(st.one_of(st.binary(max_size=3000), html_fragments.map(lambda parts: "".join(parts).encode())))
def test_any_page_is_extracted_or_one_extraction_error(page: bytes) -> None:
    try:
        extract_page(page)
    except ExtractionError as exc:
        assert one_line(exc.reason)


@SETTINGS
@given(st.one_of(st.binary(max_size=3000), json_values.map(lambda v: json.dumps(v).encode())))
def test_any_feed_document_is_parsed_or_one_feed_error(document: bytes) -> None:
    try:
        parse_feed(document, url="https://feeds.example/f")
    except FeedParseError as exc:
        assert one_line(str(exc))


@SETTINGS
@given(st.lists(st.one_of(st.text(max_size=60), st.sampled_from(["http://[::1", "https://a].b/", "ftp://x"]))))
def test_any_feed_list_is_feeds_or_one_error(tmp_path_factory, lines: list[str]) -> None:
    path = Path(tmp_path_factory.mktemp("feeds")) / "feeds.txt"
    path.write_text("\n".join(line.replace("\n", " ") for line in lines), encoding="utf-8", errors="replace")
    try:
        read_feed_list(path)
    except FeedListError as exc:
        assert one_line(str(exc))


@SETTINGS
@given(st.text(max_size=5000))
def test_search_terms_are_few_distinct_and_printable(query: str) -> None:
    terms = search_terms(query)
    assert len(terms) <= MAX_QUERY_TERMS
    assert len({t.casefold() for t in terms}) == len(terms)
    assert all(t.isprintable() and t.strip() for t in terms)


non_public_v4 = st.sampled_from(
    ["127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "0.0.0.0", "100.64.0.1"]
)


@SETTINGS
@given(non_public_v4, st.sampled_from(["::ffff:{}", "64:ff9b::{}", "::{}", "2002:{:04x}:{:04x}::1"]))
def test_ipv6_wrappers_of_non_public_ipv4_are_not_public(v4: str, form: str) -> None:
    packed = int(ipaddress.IPv4Address(v4))
    text = form.format(packed >> 16, packed & 0xFFFF) if form.startswith("2002") else form.format(v4)
    assert not is_public_address(ipaddress.ip_address(text))


class _RecordingWriter(Writer):
    def __init__(self) -> None:  # no store: `add` only records what reached it
        self.added: list[Article] = []

    def add(self, article: Article, label: str) -> IngestResult:
        self.added.append(article)
        return IngestResult(input=label, status="added", article_id=article.id)


@SETTINGS
@given(st.one_of(records, json_values))
def test_any_rest_item_is_one_result(item: object) -> None:
    result = _ingest_record(0, item, _RecordingWriter())
    assert result.status in ("added", "failed")
    assert result.status == "added" or one_line(result.error or "")
    result.input.encode("utf-8")


def test_fuzz_corpus_sample_has_no_crash_loss_or_hang(tmp_path: Path) -> None:
    """500 cases of the committed generator (100 per kind) through ingest, extraction, feeds, OPML, REST."""
    runner = Runner(tmp_path)
    try:
        results = [runner.run(case) for case in generate(500, seed=2024)]
    finally:
        runner.close()
    problems = [r for r in results if r.outcome not in ("ok", "rejected")]
    assert not problems, problems[:5]
    assert {r.outcome for r in results} == {"ok", "rejected"}
