"""Fuzz corpus: a deterministic generator of malformed and hostile inputs, and a runner that feeds each one
through the stage that reads it (JSON Lines ingest, page extraction, the feed parser, OPML, the REST ingest
endpoint) and classifies the outcome.

    python -m storyweave.bench.fuzz --count 10000 [--big] [--out fuzz.json]

Outcomes: `ok` (read, stored or parsed), `rejected` (one clear line saying why), `crash` (an exception
escaped, or a message that is not one line), `lost` (a good record next to a bad one was not stored), `slow`
(over the per-case budget). `--big` adds the expensive cases (50 MB lines, 1 GB gzip bombs). The suite runs
a sample (tests/test_fuzz.py); this command is the full sweep.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

CASE_BUDGET_S = 10.0
GOOD_RECORD = {"id": "good", "title": "Harbour bridge reopens", "lang": "en", "source": "Gazette",
               "text": "The harbour bridge reopened on Monday after a year of repairs to its deck.",
               "published": "2024-05-01T10:00:00Z", "url": "https://gazette.example/bridge"}  # fmt: skip
GOOD_HTML = (
    "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Harbour bridge reopens</title>"
    "</head><body><nav><a href='/'>Home</a></nav><article><h1>Harbour bridge reopens</h1>"
    + "<p>The harbour bridge reopened on Monday after a year of repairs to its deck and cables, officials "
    "said, and traffic is expected to return to normal within a week.</p>" * 4
    + "<a href='javascript:alert(1)'>more</a></article></body></html>"
)
GOOD_RSS = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Gazette</title>'
    "<link>https://gazette.example/</link><item><title>Bridge</title><link>https://gazette.example/a</link>"
    "<pubDate>Wed, 01 May 2024 10:00:00 GMT</pubDate></item></channel></rss>"
)
GOOD_ATOM = (
    '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>G</title><entry><title>B</title>'
    '<link href="https://gazette.example/b"/><id>urn:b</id><updated>2024-05-01T10:00:00Z</updated></entry></feed>'
)
GOOD_JSON_FEED = {"version": "https://jsonfeed.org/version/1.1", "title": "G",
                  "items": [{"id": "1", "url": "https://gazette.example/c", "title": "C",
                             "date_published": "2024-05-01T10:00:00Z"}]}  # fmt: skip
ODD_VALUES: list[object] = [
    None, True, 0, -1, 10**300, 1e308, 3.5, "", " ", "\x00", "\ud800", "\udfff x", "\u202e", "[/bold]",
    "<script>alert(1)</script>", "javascript:alert(1)", "data:text/html,<b>x</b>",
    "9999-12-31T23:59:59-23:59",
    "0000-00-00", "-infinity", "NaN", [], {}, [[[]]], {"a": {"b": {}}}, "x" * 5000, "http://[::1", "http://",
    "file:///etc/passwd", "\r\n\t", "é" * 10, "\U0001f600",
]  # fmt: skip
FIELDS = ["id", "title", "text", "lang", "source", "url", "published"]


@dataclass(frozen=True)
class Case:
    kind: str
    """jsonl | html | feed | opml | rest"""
    name: str
    data: bytes


# -- generation ----------------------------------------------------------------------------------------------
def _mutate(rng: random.Random, data: bytes) -> bytes:
    """One byte-level damage: truncation, flipped bytes, NUL, invalid UTF-8, a duplicated or dropped slice."""
    if not data:
        return data
    at = rng.randrange(len(data))
    choice = rng.randrange(7)
    if choice == 0:
        return data[:at]
    if choice == 1:
        flipped = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        return bytes(flipped)
    if choice == 2:
        return data[:at] + b"\x00" * rng.randint(1, 4) + data[at:]
    if choice == 3:
        invalid = rng.choice([b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"])
        return data[:at] + invalid + data[at:]
    if choice == 4:
        end = min(len(data), at + rng.randint(1, 200))
        return data[:end] + data[at:end] * rng.randint(2, 50) + data[end:]
    if choice == 5:
        return data[:at] + data[min(len(data), at + rng.randint(1, 100)) :]
    encoding = rng.choice(["utf-16", "utf-16-le", "utf-32", "latin-1"])
    return data.decode("utf-8", "replace").encode(encoding, "replace")


def _odd_record(rng: random.Random) -> object:
    """A JSON value shaped like an article record, with wrong types and hostile values in some fields."""
    shape = rng.randrange(10)
    if shape == 0:
        return rng.choice(ODD_VALUES)
    record: dict[str, object] = dict(GOOD_RECORD, id=f"r{rng.randrange(10**9)}")
    for name in rng.sample(FIELDS, rng.randint(1, 3)):
        if rng.random() < 0.2:
            record.pop(name)
        else:
            record[name] = rng.choice(ODD_VALUES)
    if shape == 1:
        record["title"] = "[" * rng.randint(60, 5000) + "]" * rng.randint(0, 10)
    return record


def _jsonl_line(rng: random.Random) -> bytes:
    value = _odd_record(rng)
    kind = rng.randrange(6)
    if kind == 0:  # non-standard numbers and raw escapes json.dumps would not write
        odd_number = rng.choice(["NaN", "Infinity", "-Infinity"])
        return json.dumps(value, allow_nan=True).replace("1e+308", odd_number).encode()
    if kind == 1:
        return json.dumps(value).encode().replace(b"Harbour", b"\\ud800\\udc00\\udfff")
    if kind == 2:
        return _mutate(rng, json.dumps(value).encode())
    if kind == 3:
        return b"{" + b'"a":' * rng.randint(1, 3) + b"1" * rng.randint(4000, 6000) + b"}"
    return json.dumps(value, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")


def _jsonl_case(rng: random.Random, index: int, big: bool) -> Case:
    """A bad line between two good records (which must both be stored)."""
    first, last = (
        json.dumps(dict(GOOD_RECORD, id=f"good-{side}{index}", title=f"Bridge {index} {side}",
                        url=f"https://gazette.example/{index}/{side}")).encode()
        for side in "ab"
    )  # fmt: skip
    bad = _jsonl_line(rng)
    if big and rng.random() < 0.02:
        bad = b'{"id": "huge", "title": "' + b"x" * 50_000_000 + b'"}'
    body = b"\n".join([first, bad.replace(b"\n", b" "), last]) + b"\n"
    if rng.random() < 0.05:
        return Case("jsonl", f"jsonl-{index}.jsonl.gz", gzip.compress(body, 1))
    return Case("jsonl", f"jsonl-{index}.jsonl", body)


def _html_case(rng: random.Random, index: int, big: bool) -> Case:
    kind = rng.randrange(8)
    page = GOOD_HTML.encode()
    if kind == 0:
        page = b"<html><body>" + b"<div>" * rng.randint(100, 20_000) + b"deep text " * 50
    elif kind == 1:
        page = b"<html><body><p " + b" ".join(b"a%d=1" % i for i in range(rng.randint(100, 3000))) + b">x</p>"
    elif kind == 2:
        page = gzip.compress(b"\x00" * (50_000_000 if big and rng.random() < 0.1 else 5_000_000), 9)
    elif kind == 3:
        page = page.replace(b"<p>", b"<p><table><tr><td>", rng.randint(1, 4))
    elif kind == 4:
        page = "\ufeff".encode("utf-16") + GOOD_HTML.encode("utf-16-le")
    for _ in range(rng.randint(0, 3)):
        page = _mutate(rng, page)
    return Case("html", f"page-{index}.html", page)


def _feed_case(rng: random.Random, index: int, big: bool) -> Case:
    kind = rng.randrange(9)
    if kind == 0:
        doc = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "' + "a" * 10 + '">'
               + "".join(f'<!ENTITY a{i + 1} "' + f"&a{i};" * 10 + '">' for i in range(rng.randint(3, 9)))
               + ']><rss version="2.0"><channel><title>&a3;</title></channel></rss>')  # fmt: skip
        data = doc.replace("&a0;", "&a;").encode()
    elif kind == 1:
        target = rng.choice(["file:///etc/passwd", "file:///proc/self/environ", "http://169.254.169.254/"])
        data = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "{target}">]>'
                '<rss version="2.0"><channel><title>&x;</title><item><link>https://g.example/a</link></item>'
                "</channel></rss>").encode()  # fmt: skip
    elif kind == 2:
        feed = dict(GOOD_JSON_FEED, items=[_odd_record(rng) for _ in range(rng.randint(1, 5))])
        data = json.dumps(feed).encode("utf-8", "surrogatepass")
    elif kind == 3:
        data = b'{"version": "https://jsonfeed.org/version/1", "items": ' + b"[" * rng.randint(50, 50_000)
    elif kind == 4:
        link = rng.choice(["javascript:alert(1)", "data:text/html,x", "http://[::1", "//evil.example/x", ""])
        data = GOOD_RSS.replace("https://gazette.example/a", link).encode()
    elif kind == 5:
        date = rng.choice(["Mon, 31 Dec 99999", "Fri, 00 Foo 0000"])
        data = GOOD_RSS.replace("Wed, 01 May 2024", date).encode()
    else:
        data = rng.choice([GOOD_RSS, GOOD_ATOM, json.dumps(GOOD_JSON_FEED)]).encode()
        for _ in range(rng.randint(1, 4)):
            data = _mutate(rng, data)
    return Case("feed", f"feed-{index}.xml", data)


def _opml_case(rng: random.Random, index: int, big: bool) -> Case:
    count = 10_000 if rng.random() < 0.2 else rng.randint(1, 50)
    outlines = "".join(
        f'<outline text="Feed {i}" xmlUrl="https://f{i}.example/rss"/>' for i in range(count)
    )
    doc = '<?xml version="1.0"?><opml version="2.0"><body><outline text="news">'
    doc += f"{outlines}</outline></body></opml>"
    data = doc.encode()
    if rng.random() < 0.2:
        data = data.replace(b"<opml", b'<!DOCTYPE o [<!ENTITY e "e"><!ENTITY f "&e;&e;&e;">]><opml', 1)
    elif rng.random() < 0.5:
        data = _mutate(rng, data)
    return Case("opml", f"feeds-{index}.opml", data)


def _rest_case(rng: random.Random, index: int, big: bool) -> Case:
    batch = [dict(GOOD_RECORD, id=f"rest-a{index}", title=f"REST {index} a")]
    batch += [_odd_record(rng) for _ in range(rng.randint(1, 3))]
    batch.append(dict(GOOD_RECORD, id=f"rest-b{index}", title=f"REST {index} b"))
    return Case("rest", f"rest-{index}.json", json.dumps(batch).encode("utf-8", "surrogatepass"))


GENERATORS: list[Callable[[random.Random, int, bool], Case]] = [
    _jsonl_case, _html_case, _feed_case, _opml_case, _rest_case,
]  # fmt: skip


def generate(count: int, *, seed: int = 0, big: bool = False) -> Iterator[Case]:
    """`count` cases, the kinds in turn; the same `seed` always gives the same cases."""
    rng = random.Random(seed)
    for index in range(count):
        yield GENERATORS[index % len(GENERATORS)](rng, index, big)


# -- running -------------------------------------------------------------------------------------------------
@dataclass
class Result:
    case: str
    outcome: str
    seconds: float
    detail: str = ""


class Runner:
    """Runs cases against a scratch store (no story engine: the stages under test are the readers)."""

    def __init__(self, workdir: Path) -> None:
        from fastapi.testclient import TestClient

        from storyweave.pipeline import Pipeline
        from storyweave.serve import create_app
        from storyweave.serve.api import Writer
        from storyweave.store import SQLiteStore

        self.workdir = workdir
        self.store = SQLiteStore(workdir / "fuzz.db")
        self.pipeline = Pipeline(self.store)
        app = create_app(self.store, api_token="fuzz")
        app.state.writer = Writer(self.store, pipeline=self.pipeline)
        self.client = TestClient(app, raise_server_exceptions=False)

    def close(self) -> None:
        self.client.close()
        self.store.close()

    def run(self, case: Case) -> Result:
        started = time.perf_counter()
        try:
            outcome, detail = getattr(self, f"_{case.kind}")(case)
        except Exception as exc:  # the point of the sweep: nothing may escape
            outcome, detail = "crash", f"{type(exc).__name__}: {exc}"[:300]
        seconds = time.perf_counter() - started
        if seconds > CASE_BUDGET_S and outcome != "crash":
            outcome = "slow"
        return Result(case.name, outcome, round(seconds, 3), detail)

    @staticmethod
    def _one_line(reason: str) -> tuple[str, str]:
        one_line = reason and "\n" not in reason and len(reason) < 2000
        return ("rejected", reason) if one_line else ("crash", f"not one clear line: {reason[:300]!r}")

    def _jsonl(self, case: Case) -> tuple[str, str]:
        from storyweave.ingest import IngestError, Ingestor, Source

        path = self.workdir / case.name
        path.write_bytes(case.data)
        errors: list[IngestError] = []
        Ingestor(self.pipeline, on_error=errors.append).run([Source("jsonl", str(path))])
        path.unlink()
        index = case.name.split("-")[1].split(".")[0]
        if not all(self.store.get_article(f"good-{side}{index}") for side in "ab"):
            return "lost", "a good record next to the bad one was not stored"
        if errors:
            return self._one_line("; ".join(str(e) for e in errors))
        return "ok", ""

    def _html(self, case: Case) -> tuple[str, str]:
        from storyweave.extract import ExtractionError, article_from_page

        try:
            article_from_page(case.data, url="https://gazette.example/x")
        except ExtractionError as exc:
            return self._one_line(exc.reason)
        return "ok", ""

    def _feed(self, case: Case) -> tuple[str, str]:
        from storyweave.feeds.parse import FeedParseError, parse_feed

        try:
            parsed = parse_feed(case.data, url="https://gazette.example/feed")
        except FeedParseError as exc:
            return self._one_line(str(exc))
        leaked = [i.link for i in parsed.items if i.link and "root:" in i.link]
        return ("crash", "external entity content in the output") if leaked else ("ok", "")

    def _opml(self, case: Case) -> tuple[str, str]:
        from storyweave.feeds.sources import FeedListError, read_feed_list

        path = self.workdir / case.name
        path.write_bytes(case.data)
        try:
            read_feed_list(path)
        except FeedListError as exc:
            return self._one_line(str(exc))
        finally:
            path.unlink()
        return "ok", ""

    def _rest(self, case: Case) -> tuple[str, str]:
        response = self.client.post(
            "/api/ingest/articles", content=case.data,
            headers={"Authorization": "Bearer fuzz", "Content-Type": "application/json"},
        )  # fmt: skip
        if response.status_code != 200:
            return "crash", f"HTTP {response.status_code}: {response.text[:200]}"
        results = response.json()
        if results[0]["status"] == "failed" or results[-1]["status"] == "failed":
            return "lost", "a good item of the batch was not stored"
        failed = [r["error"] or "" for r in results if r["status"] == "failed"]
        return self._one_line("; ".join(failed)) if failed else ("ok", "")


def sweep(count: int, *, seed: int = 0, big: bool = False) -> tuple[Counter, list[Result]]:
    """Outcome counts per kind, and every result that is not `ok` or `rejected`."""
    counts: Counter = Counter()
    bad: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="storyweave-fuzz-") as tmp:
        runner = Runner(Path(tmp))
        try:
            for case in generate(count, seed=seed, big=big):
                result = runner.run(case)
                counts[f"{case.kind}:{result.outcome}"] += 1
                if result.outcome not in ("ok", "rejected"):
                    bad.append(result)
        finally:
            runner.close()
    return counts, bad


def main(argv: list[str] | None = None) -> None:
    import resource

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--big", action="store_true", help="include 50 MB lines and large gzip bombs")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts, bad = sweep(args.count, seed=args.seed, big=args.big)
    report = {
        "cases": args.count,
        "seconds": round(time.perf_counter() - started, 1),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "outcomes": dict(sorted(counts.items())),
        "problems": [vars(r) for r in bad[:50]],
    }
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
