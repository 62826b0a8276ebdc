"""Articles from HTML pages (trafilatura) and from plain text, with chrome removed and language detected."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import trafilatura
from courlan import normalize_url

from storyweave.budget import ChildDied, Isolated, OverBudget
from storyweave.extract.chrome import strip_chrome
from storyweave.extract.decode import (
    ExtractionError,
    check_size,
    check_text_length,
    fix_text,
    looks_binary,
    maybe_gunzip,
)
from storyweave.extract.language import detect_language
from storyweave.models import Article
from storyweave.outlets import outlet_name

MIN_ARTICLE_WORDS, MIN_ARTICLE_CHARS = 20, 150
"""Below both, text is a stub, an error page or navigation, not a news article (chars count for scripts
written without spaces, such as Chinese or Japanese)."""
TITLE_MAX_CHARS = 160
_HTML_LANG = re.compile(
    rb"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)", re.IGNORECASE
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
MAX_TAGS = 15_000
"""Markup beyond this many tags is cut off before parsing: extraction time grows with the tag count (25,000
paragraphs take 8 s, 200,000 take 92 s), while the news pages of the extraction benchmark have at most 1,600
elements and the article comes before the footer anyway."""
MAX_TAG_ATTRIBUTES, MAX_ATTRIBUTES = 500, 100_000
"""Attributes (counted as `=` in a tag) per tag and in all: lxml's parse time grows with the square of one
tag's attributes (200,000 of them: 199 s); benchmark pages have at most 64 per tag and 3,900 in all."""
_DATE_PARAMS = {"original_date": True, "extensive_search": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z"}


@dataclass
class ExtractedPage:
    """What trafilatura finds in a page, before it becomes an Article."""

    title: str = ""
    text: str = ""
    chrome: list[str] = field(default_factory=list)
    published: datetime | None = None
    author: str | None = None
    site: str | None = None
    canonical_url: str | None = None
    lang: str | None = None


def _html_lang(html: bytes) -> str | None:
    found = _HTML_LANG.search(html[:20_000])
    return found.group(1).decode("ascii") if found else None


def parse_date(value: str | None) -> datetime | None:
    """An ISO 8601 time in UTC (naive means UTC); None when unparsable or not representable in UTC
    (`9999-12-31T23:59:59-23:59` overflows)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def _clean(value: str | None) -> str | None:
    value = fix_text(value).strip() if value else None
    return value or None


def canonical(url: str | None, declared: str | None = None) -> str | None:
    """The page's declared canonical URL when it is plausible (same host, not a home page), else `url`."""
    try:
        chosen = url
        if declared and urlsplit(declared).scheme in ("http", "https"):
            parts = urlsplit(declared)
            same_host = url is None or parts.hostname == urlsplit(url).hostname
            if same_host and parts.path.strip("/"):
                chosen = declared
        if not chosen or urlsplit(chosen).scheme not in ("http", "https") or not urlsplit(chosen).hostname:
            return None
    except ValueError:  # malformed URL (`http://[::1`): no canonical form
        return None
    try:
        return normalize_url(chosen, strict=True)
    except ValueError:
        return chosen


def bounded_markup(raw: bytes) -> bytes:
    """The page cut after `MAX_TAGS` tags; ExtractionError when its attributes exceed the caps. Cheap byte
    scans that bound what the parser and trafilatura will be given (see the caps' notes)."""
    position = -1
    for _ in range(MAX_TAGS):
        position = raw.find(b"<", position + 1)
        if position < 0:
            break
    else:
        raw = raw[:position]
    total = 0
    for segment in raw.split(b"<")[1:]:
        end = segment.find(b">")
        attributes = (segment if end < 0 else segment[:end]).count(b"=")
        total += attributes
        if attributes > MAX_TAG_ATTRIBUTES or total > MAX_ATTRIBUTES:
            raise ExtractionError(
                f"page too complex ({attributes} attributes in one tag, {total} so far; limits"
                f" {MAX_TAG_ATTRIBUTES} and {MAX_ATTRIBUTES})"
            )
    return raw


def _trafilatura(markup: bytes | str, url: str | None):  # noqa: ANN202  (trafilatura's Document)
    """trafilatura's extraction; when its metadata search trips over malformed markup (lxml's "assert parent
    is not None" in the date search), the text alone, without metadata. ExtractionError when neither works."""
    try:
        return trafilatura.bare_extraction(
            markup, url=url, with_metadata=True, include_comments=False,
            favor_precision=True, date_extraction_params=_DATE_PARAMS,
        )
    except Exception:  # malformed markup that trafilatura or lxml trips over: try without metadata
        pass
    try:
        return trafilatura.bare_extraction(
            markup, url=url, with_metadata=False, include_comments=False, favor_precision=True
        )
    except Exception as exc:
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ExtractionError(f"unparsable HTML ({reason})") from exc


def extract_page(content: bytes | str, url: str | None = None) -> ExtractedPage:
    """Run trafilatura (no comments, precision-leaning) and strip trailing chrome. Raises ExtractionError."""
    raw = content.encode("utf-8", "replace") if isinstance(content, str) else maybe_gunzip(content)
    check_size(len(raw))
    if not raw.strip():
        raise ExtractionError("empty page")
    if looks_binary(raw):
        raise ExtractionError("binary content, not HTML")
    bounded = bounded_markup(raw)
    markup = content if isinstance(content, str) and bounded is raw else bounded
    doc = _trafilatura(markup, url)
    if doc is None or not (doc.text or "").strip():
        raise ExtractionError("no article text found in page")
    check_text_length(doc.text)
    title = _clean(doc.title) or ""
    cleaned = strip_chrome(without_title(fix_text(doc.text), title))
    return ExtractedPage(
        title=title,
        text=cleaned.text,
        chrome=cleaned.chrome,
        published=parse_date(doc.date),
        author=_clean(doc.author),
        site=_clean(doc.sitename),
        canonical_url=canonical(url, doc.url),
        lang=detect_language(cleaned.text, _html_lang(raw), record=url),
    )


_EXTRACTION = Isolated(workers=min(4, os.cpu_count() or 1), preload=(__name__,))
"""Child processes that extract pages under the extraction budget (as many as threads extract at once)."""


def extract_page_budgeted(content: bytes | str, url: str | None = None) -> ExtractedPage:
    """`extract_page` in a reused child process, stopped after the extraction budget (see storyweave.budget):
    ExtractionError saying so, and the next page gets a fresh child."""
    try:
        return _EXTRACTION.call("extract", extract_page, content, url)
    except OverBudget as exc:
        raise ExtractionError(exc.reason) from None
    except ChildDied as exc:
        raise ExtractionError(f"extraction failed: {exc}") from None


def _normalised(line: str) -> str:
    return " ".join(line.casefold().split())


def without_title(text: str, title: str) -> str:
    """The text minus a first line that repeats the title (the page's <h1>), so `Article.body` has it once."""
    first, _, rest = text.lstrip().partition("\n")
    return rest.lstrip() if title and _normalised(first) == _normalised(title) else text


def derive_id(*keys: str | None) -> str:
    """A stable id from the first available key (URL or content), for inputs that bring none."""
    key = next(k for k in keys if k)
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]


def article_from_page(
    content: bytes | str, *, url: str | None = None, source: str | None = None, id: str | None = None
) -> Article:
    """An Article from an HTML page (bytes may be gzipped), extracted under the extraction time budget.
    Raises ExtractionError when there is none."""
    page = extract_page_budgeted(content, url)
    words = len(page.text.split())
    if words < MIN_ARTICLE_WORDS and len(page.text) < MIN_ARTICLE_CHARS:
        raise ExtractionError(f"no article in page (only {words} words of text)")
    title = page.title or split_title(page.text)[0]
    return Article(
        id=id or derive_id(page.canonical_url, url, page.text),
        title=title,
        text=page.text,
        url=url,
        canonical_url=page.canonical_url,
        source=outlet_name(source or page.site, url),
        lang=page.lang,
        published=page.published,
        author=page.author,
        chrome=page.chrome,
    )


def _shorten(sentence: str, limit: int = TITLE_MAX_CHARS) -> str:
    if len(sentence) <= limit:
        return sentence
    return sentence[: limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def split_title(text: str) -> tuple[str, str]:
    """(title, body) of plain text whose first line is the title.

    When the first line is clearly a paragraph (long, or ending like a sentence) the text has no title line:
    the title is then its first sentence, shortened, and the paragraph stays in the body.
    """
    lines = text.strip().splitlines()
    if not lines:
        return "", ""
    first = lines[0].strip()
    if len(first) <= TITLE_MAX_CHARS and not first.endswith("."):
        return first, "\n".join(lines[1:]).strip()
    return _shorten(_SENTENCE.split(first, 1)[0]), text.strip()


def article_from_text(text: str, *, id: str, source: str | None = None, url: str | None = None) -> Article:
    """An Article from plain text (title on the first line), with the same chrome cleanup as pages."""
    title, body = split_title(fix_text(text))
    if not title:
        raise ExtractionError("empty text")
    cleaned = strip_chrome(body)
    return Article(
        id=id,
        title=title,
        text=cleaned.text,
        url=url,
        canonical_url=canonical(url),
        source=outlet_name(source, url),
        lang=detect_language(f"{title}\n{cleaned.text}", record=id),
        chrome=cleaned.chrome,
    )
