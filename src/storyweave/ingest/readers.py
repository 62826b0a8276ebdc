"""Readers: turn files, folders, JSON Lines and URLs into Articles, or one-line errors saying where and why.

Every reader yields `Article | IngestError` per record, so one bad file or line never stops a run.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from storyweave.extract import ExtractionError, article_from_page, article_from_text, decode_bytes
from storyweave.extract.chrome import strip_chrome
from storyweave.extract.decode import MAX_PAGE_BYTES, check_size, check_text_length, fix_text, maybe_gunzip
from storyweave.extract.language import detect_language, normalise_lang
from storyweave.extract.page import canonical, parse_date
from storyweave.fetch import Fetcher, FetchError
from storyweave.jsonsafe import MAX_JSON_DEPTH, json_depth_ok
from storyweave.models import Article, utcnow
from storyweave.outlets import outlet_name

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
TEXT_SUFFIXES = frozenset({"", ".txt", ".text"})
SUPPORTED = ".txt, .html, .htm, .xhtml (each also .gz) and .jsonl"
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
COUNT_MAX_BYTES = 200_000_000
MAX_RECORD_BYTES = MAX_PAGE_BYTES
"""A JSON Lines record longer than this is refused without being held in memory."""


@dataclass(frozen=True)
class IngestError:
    """A record that could not be ingested: `where` is a path, path:line or URL."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(frozen=True)
class AlreadyStored:
    """A record the store holds from the very same place (a re-run after a crash): skipped before extraction,
    which is what makes a restart cheap."""

    article_id: str
    where: str


Item = Article | IngestError | AlreadyStored
Known = Callable[[str, str], bool]
"""`known(article_id, where)`: True when the store already holds that id, read from `where`."""


@dataclass(frozen=True)
class Source:
    """One input to read: a file (`kind` html, text, jsonl or unsupported) or a URL."""

    kind: str
    location: str

    def records(self) -> int:
        """How many records this source holds (for progress bars): lines of JSON Lines, else one. Counted in
        chunks, and only over the first `COUNT_MAX_BYTES` (a gzip bomb is not inflated just to count)."""
        if self.kind != "jsonl":
            return 1
        lines, read = 0, 0
        try:
            with _open_lines(Path(self.location)) as handle:
                while read < COUNT_MAX_BYTES and (chunk := handle.read(1 << 20)):
                    lines += chunk.count(b"\n")
                    read += len(chunk)
                    last = chunk
                return max(1, lines + (read > 0 and not last.endswith(b"\n")))
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
    try:
        return urlsplit(value).scheme.lower() in ("http", "https")
    except ValueError:
        return False


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


def read_source(source: Source, fetcher: Fetcher | None = None, known: Known | None = None) -> Iterator[Item]:
    """Articles (or errors) of one source. URL sources need a `fetcher`; JSON Lines records that `known`
    says are stored come as `AlreadyStored`, unextracted."""
    where = source.location
    if source.kind == "unsupported":
        suffix = _suffixes(Path(where))[0]
        yield IngestError(where, f"unsupported file type {suffix!r} (storyweave reads {SUPPORTED})")
        return
    if source.kind == "jsonl":
        yield from read_jsonl(Path(where), known)
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


def bounded_lines(handle: BinaryIO, limit: int = MAX_RECORD_BYTES) -> Iterator[bytes | int]:
    """The lines of a binary stream; a line longer than `limit` comes as its length (an int) instead, read
    and dropped in `limit`-sized pieces, so one huge line never sits in memory whole."""
    while line := handle.readline(limit + 1):
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        size = len(line)
        while (rest := handle.readline(limit)) and not rest.endswith(b"\n"):
            size += len(rest)
        yield size + len(rest)


def read_jsonl(path: Path, known: Known | None = None) -> Iterator[Item]:
    """Records of a JSON Lines file in the shared article schema; `cluster_id` (gold label) is never read.
    Each bad record is one error naming its line; nothing in a record can end the run. Records `known` to be
    stored from the same line are `AlreadyStored` (see `read_source`)."""
    for line in jsonl_lines(path):
        yield line if isinstance(line, IngestError) else record_item(line[1], line[0], known)


def jsonl_lines(path: Path) -> Iterator[tuple[str, bytes] | IngestError]:
    """The raw non-blank lines of a JSON Lines file (gzipped or not) as (`path:line`, bytes), or an error for
    a line over the size limit or for what ended the reading. Split from `record_item` so that a distributed
    run parses lines elsewhere."""
    line_no = 0
    try:
        with _open_lines(path) as handle:
            for line_no, raw in enumerate(bounded_lines(handle), start=1):  # noqa: B007  (names the line)
                where = f"{path}:{line_no}"
                if isinstance(raw, int):
                    yield IngestError(where, f"record too large ({raw} bytes > {MAX_RECORD_BYTES} limit)")
                elif raw.strip():
                    yield where, raw
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        yield IngestError(f"{path}:{line_no + 1}", f"truncated or corrupt gzip ({exc})")
    except OSError as exc:
        yield IngestError(str(path), f"cannot read ({exc.strerror or exc})")


def record_item(raw: bytes | str, where: str, known: Known | None = None) -> Item:
    """One JSON Lines record as an Article, or the one-line reason it is not one."""
    try:
        if not json_depth_ok(raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")):
            return IngestError(where, f"invalid JSON (nested deeper than {MAX_JSON_DEPTH} levels)")
        record = json.loads(raw)
        record_id = record.get("id") if isinstance(record, dict) else None
        if known is not None and isinstance(record_id, str | int) and known(str(record_id), where):
            return AlreadyStored(str(record_id), where)
        return with_provenance(article_from_record(record), where)
    except json.JSONDecodeError as exc:
        return IngestError(where, f"invalid JSON ({exc.msg} at column {exc.colno})")
    except UnicodeDecodeError:
        return IngestError(where, "invalid JSON (not UTF-8)")
    except ExtractionError as exc:
        return IngestError(where, exc.reason)
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more than 4,300 digits
        return IngestError(where, f"invalid JSON ({one_line(exc)})")
    except Exception as exc:  # a record must never end the run; report what broke
        return IngestError(where, f"unreadable record ({type(exc).__name__}: {one_line(exc)})")


def quoted(value: object, limit: int = 80) -> str:
    """`repr` of a value from the input, cut to `limit` characters: error messages stay one short line."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def one_line(exc: BaseException, limit: int = 200) -> str:
    """An exception message as one bounded line (messages may quote hostile input)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[:limit] + "…"


def _text_field(record: dict, name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ExtractionError(f"field {name!r} must be a string, not {type(value).__name__}")
    check_text_length(value)  # before any work on it
    return fix_text(value)


MAX_ID_CHARS = 512


def article_from_record(record: object) -> Article:
    """An Article from one JSON object (id, lang, title, text, published, source, url)."""
    if not isinstance(record, dict):
        raise ExtractionError(f"expected a JSON object, got {type(record).__name__}")
    missing = [name for name in REQUIRED_FIELDS if record.get(name) in (None, "")]
    if missing and not (missing == ["title"] and record.get("text")):
        raise ExtractionError(f"missing field {missing[0]!r}")
    if isinstance(record["id"], bool) or not isinstance(record["id"], str | int):
        raise ExtractionError("field 'id' must be a string or number")
    if len(str(record["id"])) > MAX_ID_CHARS:
        raise ExtractionError(f"field 'id' is longer than {MAX_ID_CHARS} characters")
    try:
        str(record["id"]).encode("utf-8")
    except UnicodeEncodeError:
        raise ExtractionError("field 'id' is not valid Unicode (a lone surrogate)") from None
    text = _text_field(record, "text") or ""
    cleaned = strip_chrome(text)
    title = _text_field(record, "title") or ""
    published = record.get("published")
    parsed = parse_date(published) if isinstance(published, str) else None
    if published is not None and parsed is None:
        raise ExtractionError(f"invalid 'published' date {quoted(published)} (want ISO 8601)")
    url = _text_field(record, "url")
    return Article(
        id=str(record["id"]),
        title=title or cleaned.text.split("\n", 1)[0][:160],
        text=cleaned.text,
        url=url,
        canonical_url=canonical(url),
        source=outlet_name(_text_field(record, "source"), url),
        lang=normalise_lang(_text_field(record, "lang"))
        or detect_language(f"{title}\n{cleaned.text}", record=str(record["id"])),
        # Whole seconds, as the store keeps them: a restarted engine replays the stored time, which must be
        # the time the live decision used.
        published=parsed.astimezone(UTC).replace(microsecond=0) if parsed else None,
        chrome=cleaned.chrome,
    )

