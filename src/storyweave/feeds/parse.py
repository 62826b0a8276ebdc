"""Feed documents to items: RSS and Atom via feedparser, JSON Feed (which feedparser 6.0 lacks) by hand."""

from __future__ import annotations

import calendar
import io
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

import defusedxml.ElementTree as SafeET
import feedparser
from defusedxml import DefusedXmlException

from storyweave.jsonsafe import MAX_JSON_DEPTH, json_depth_ok


class FeedParseError(ValueError):
    """The document is not a feed (or too broken to yield any item)."""


@dataclass
class FeedItem:
    """One entry of a feed; `key` identifies it across polls (its link, else its guid)."""

    key: str
    link: str | None
    title: str | None = None
    published: datetime | None = None

    def to_json(self) -> dict:
        return {**asdict(self), "published": self.published.isoformat() if self.published else None}

    @classmethod
    def from_json(cls, data: dict) -> FeedItem:
        published = datetime.fromisoformat(data["published"]) if data.get("published") else None
        return cls(data["key"], data.get("link"), data.get("title"), published)


@dataclass
class ParsedFeed:
    title: str | None
    items: list[FeedItem]
    warning: str | None = None
    """Set when the document was broken but items could still be read from it."""


def parse_feed(content: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Items of an RSS/Atom/JSON Feed document, with links made absolute against `url`. Anything wrong with
    the document, however odd, is a FeedParseError with a one-line reason."""
    if not content.strip():
        raise FeedParseError("empty document")
    try:
        if _looks_like_json(content, content_type):
            return _parse_json_feed(content, url)
        _refuse_entities(content)
        return _parse_xml_feed(content, url, content_type)
    except FeedParseError:
        raise
    except Exception as exc:  # feedparser and its helpers raise many kinds (UnicodeDecodeError, ...)
        reason = " ".join(str(exc).split())[:200]
        raise FeedParseError(f"unreadable feed ({type(exc).__name__}: {reason})") from exc


def _refuse_entities(content: bytes) -> None:
    """Entity declarations (the "billion laughs" expansion) and external entities or DTDs (XXE: a feed that
    reads local files) have no place in a feed: refused outright. Malformed XML is left to feedparser."""
    try:
        SafeET.fromstring(content, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        reason = f"refused: the document declares entities or external references ({exc})"
        raise FeedParseError(reason) from exc
    except SafeET.ParseError:
        pass


def _parse_xml_feed(content: bytes, url: str, content_type: str | None) -> ParsedFeed:
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # A stream, never bytes: feedparser treats a string argument as a possible URL or file path to open.
    doc = feedparser.parse(
        io.BytesIO(content), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    problem = str(doc.get("bozo_exception", "")).strip() if doc.get("bozo") else None
    if not doc.entries and (problem or not doc.version):
        raise FeedParseError(f"not a feed: {problem or 'no RSS, Atom or JSON Feed content'}")
    items = []
    for entry in doc.entries:
        try:
            link = entry.get("link")
            link = urljoin(url, link) if link else None
            key = link or entry.get("id")
            if key:
                stamp = entry.get("published_parsed") or entry.get("updated_parsed")
                published = datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else None
                items.append(FeedItem(key, link, entry.get("title"), published))
        except (ValueError, OverflowError, TypeError):  # one malformed entry (link, date): skip it alone
            continue
    return ParsedFeed(doc.feed.get("title"), items, problem if doc.get("bozo") else None)


def _looks_like_json(content: bytes, content_type: str | None) -> bool:
    if content_type and "json" in content_type.lower():
        return True
    return content.lstrip()[:1] == b"{"


def _parse_json_feed(content: bytes, url: str) -> ParsedFeed:
    if not json_depth_ok(content):
        raise FeedParseError(f"malformed JSON Feed (nested deeper than {MAX_JSON_DEPTH} levels)")
    try:
        doc = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedParseError(f"malformed JSON Feed ({exc})") from exc
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise FeedParseError("JSON document is not a JSON Feed (no jsonfeed.org version)")
    items = []
    for entry in doc.get("items") or []:
        if not isinstance(entry, dict):
            continue
        link = entry.get("url") or entry.get("external_url")
        try:
            link = urljoin(url, link) if isinstance(link, str) else None
        except ValueError:  # a malformed link: the item cannot be fetched
            continue
        key = link or (str(entry["id"]) if entry.get("id") is not None else None)
        title = entry.get("title")
        if key:
            title = title if isinstance(title, str) else None
            items.append(FeedItem(key, link, title, _iso_date(entry.get("date_published"))))
    title = doc.get("title")
    return ParsedFeed(title if isinstance(title, str) else None, items)


def _iso_date(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
