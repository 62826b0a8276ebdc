"""Readers: turn files, folders, JSON Lines and URLs into Articles, or one-line errors saying where and why.

Every reader yields `Article | IngestError` per record, so one bad file or line never stops a run.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from urllib.parse import urlsplit

from storyweave.extract import ExtractionError, article_from_page, article_from_text, decode_bytes
from storyweave.extract.chrome import strip_chrome
from storyweave.extract.decode import MAX_PAGE_BYTES, check_size, fix_text, maybe_gunzip
from storyweave.extract.language import detect_language, normalise_lang
from storyweave.extract.page import canonical, parse_date
from storyweave.fetch import Fetcher, FetchError
from storyweave.models import Article, utcnow

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
TEXT_SUFFIXES = frozenset({"", ".txt", ".text"})
SUPPORTED = ".txt, .html, .htm, .xhtml (each also .gz) and .jsonl"
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")


@dataclass(frozen=True)
class IngestError:
    """A record that could not be ingested: `where` is a path, path:line or URL."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


Item = Article | IngestError


@dataclass(frozen=True)
class Source:
    """One input to read: a file (`kind` html, text, jsonl or unsupported) or a URL."""

    kind: str
    location: str

    def records(self) -> int:
        """How many records this source holds (for progress bars): lines of JSON Lines, else one."""
        if self.kind != "jsonl":
            return 1
        try:
            with _open_lines(Path(self.location)) as handle:
                return sum(1 for line in handle if line.strip())
        except (OSError, EOFError, zlib.error):
            return 1


def _suffixes(path: Path) -> tuple[str, bool]:
    """(meaningful suffix, gzipped) of e.g. `a.html.gz` -> ('.html', True)."""
    suffixes = [s.lower() for s in path.suffixes]
    gzipped = bool(suffixes) and suffixes[-1] == ".gz"
    if gzipped:
        suffixes.pop()
    return (suffixes[-1] if suffixes else ""), gzipped


def file_kind(path: Path) -> str:
    suffix, _ = _suffixes(path)
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    return "text" if suffix in TEXT_SUFFIXES else "unsupported"


def file_id(path: Path) -> str:
    """The file name minus the extensions storyweave reads: `004_e76b.txt` -> `004_e76b`, `x.html.gz` -> `x`,
    `report.2024.txt` -> `report.2024`."""
    name = path.name[:-3] if path.name.lower().endswith(".gz") else path.name
    stem, dot, ext = name.rpartition(".")
    known = HTML_SUFFIXES | JSONL_SUFFIXES | TEXT_SUFFIXES
    return stem if dot and stem and f".{ext.lower()}" in known else name


def is_url(value: str) -> bool:
    return urlsplit(value).scheme.lower() in ("http", "https")


def expand(inputs: list[str]) -> Iterator[Source | IngestError]:
    """Sources in command-line order; folders are walked recursively in name order, hidden entries skipped."""
    for value in inputs:
        if is_url(value):
            yield Source("url", value)
            continue
        path = Path(value)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden:
                    yield Source(file_kind(child), str(child))
        elif path.is_file():
            yield Source(file_kind(path), str(path))
        else:
            yield IngestError(value, "no such file, folder or http(s) URL")


def _read_file(path: Path) -> bytes:
    size = path.stat().st_size
    check_size(size)
    data = path.read_bytes()
    if not data.strip():
        raise ExtractionError("empty file")
    return maybe_gunzip(data)


def read_source(source: Source, fetcher: Fetcher | None = None) -> Iterator[Item]:
    """Articles (or errors) of one source. URL sources need a `fetcher`."""
    where = source.location
    if source.kind == "unsupported":
        suffix = _suffixes(Path(where))[0]
        yield IngestError(where, f"unsupported file type {suffix!r} (storyweave reads {SUPPORTED})")
        return
    if source.kind == "jsonl":
        yield from read_jsonl(Path(where))
        return
    try:
        if source.kind == "url":
            yield read_url(where, fetcher)
        elif source.kind == "html":
            path = Path(where)
            yield with_provenance(article_from_page(_read_file(path), id=file_id(path)), where)
        else:
            path = Path(where)
            text = decode_bytes(_read_file(path))
            if not text.strip():
                raise ExtractionError("empty file")
            yield with_provenance(article_from_text(text, id=file_id(path)), where)
    except (ExtractionError, FetchError) as exc:
        yield IngestError(where, exc.reason)
    except OSError as exc:
        yield IngestError(where, f"cannot read ({exc.strerror or exc})")


def with_provenance(article: Article, raw_ref: str) -> Article:
    article.raw_ref = raw_ref
    article.fetched = article.fetched or utcnow()
    return article


def read_url(url: str, fetcher: Fetcher | None = None) -> Article:
    """The article at `url`, fetched through `fetcher` (a default, private addresses refused, when None)."""
    if fetcher is None:
        with Fetcher() as own:
            return read_url(url, own)
    result = fetcher.get(url, accept=PAGE_TYPES)
    article = article_from_page(result.page(), url=result.url)
    return with_provenance(article, url)


# -- JSON Lines --------------------------------------------------------------------------------------------
REQUIRED_FIELDS = ("id", "title")


def _open_lines(path: Path):
    if _suffixes(path)[1]:
        return gzip.open(path, "rb")
    return path.open("rb")


def read_jsonl(path: Path) -> Iterator[Item]:
    """Records of a JSON Lines file in the shared article schema; `cluster_id` (gold label) is never read."""
    for line in jsonl_lines(path):
        yield line if isinstance(line, IngestError) else jsonl_item(*line)


def jsonl_lines(path: Path) -> Iterator[tuple[str, bytes] | IngestError]:
    """The raw non-blank lines of a JSON Lines file (gzipped or not) as (`path:line`, bytes), or the error
    that ended the reading. Split from `jsonl_item` so that a distributed run parses lines elsewhere."""
    line_no = 0
    try:
        with _open_lines(path) as handle:
            for line_no, raw in enumerate(handle, start=1):  # noqa: B007  (line_no names the failing line)
                if raw.strip():
                    yield f"{path}:{line_no}", raw
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        yield IngestError(f"{path}:{line_no + 1}", f"truncated or corrupt gzip ({exc})")
    except OSError as exc:
        yield IngestError(str(path), f"cannot read ({exc.strerror or exc})")


def jsonl_item(where: str, raw: bytes) -> Item:
    """The article of one JSON Lines record, or the reason it cannot be one."""
    if len(raw) > MAX_PAGE_BYTES:
        return IngestError(where, f"record too large ({len(raw)} bytes)")
    try:
        return with_provenance(article_from_record(json.loads(raw)), where)
    except json.JSONDecodeError as exc:
        return IngestError(where, f"invalid JSON ({exc.msg} at column {exc.colno})")
    except UnicodeDecodeError:
        return IngestError(where, "invalid JSON (not UTF-8)")
    except ExtractionError as exc:
        return IngestError(where, exc.reason)


def _text_field(record: dict, name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ExtractionError(f"field {name!r} must be a string, not {type(value).__name__}")
    return fix_text(value)


def article_from_record(record: object) -> Article:
    """An Article from one JSON object (id, lang, title, text, published, source, url)."""
    if not isinstance(record, dict):
        raise ExtractionError(f"expected a JSON object, got {type(record).__name__}")
    missing = [name for name in REQUIRED_FIELDS if record.get(name) in (None, "")]
    if missing and not (missing == ["title"] and record.get("text")):
        raise ExtractionError(f"missing field {missing[0]!r}")
    if not isinstance(record["id"], str | int):
        raise ExtractionError("field 'id' must be a string or number")
    text = _text_field(record, "text") or ""
    cleaned = strip_chrome(text)
    title = _text_field(record, "title") or ""
    published = record.get("published")
    parsed = parse_date(published) if isinstance(published, str) else None
    if published is not None and parsed is None:
        raise ExtractionError(f"invalid 'published' date {published!r} (want ISO 8601)")
    url = _text_field(record, "url")
    return Article(
        id=str(record["id"]),
        title=title or cleaned.text.split("\n", 1)[0][:160],
        text=cleaned.text,
        url=url,
        canonical_url=canonical(url),
        source=_text_field(record, "source") or (urlsplit(url).hostname if url else None),
        lang=normalise_lang(_text_field(record, "lang")) or detect_language(f"{title}\n{cleaned.text}"),
        published=parsed.astimezone(UTC) if parsed else None,
        chrome=cleaned.chrome,
    )

