"""Which feeds to follow, and what storyweave remembers about them, kept in the store's state table.

Three kinds of keys, so that `feeds add` (CLI) and a running poller never overwrite each other's writes:
`feeds` (the subscription list), `feeds.poll:URL` (per-feed schedule, validators, errors, pending items) and
`feeds.item:SHA1` (what became of one item, so that a restart never fetches it again).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from storyweave.store import Store

FEEDS_KEY = "feeds"


class FeedListError(ValueError):
    """An OPML file or feed URL that cannot be used; the message names the file/line and why."""


@dataclass
class Feed:
    """A subscription. `title` names the outlet; it becomes the `source` of the feed's articles."""

    url: str
    title: str | None = None
    lang: str | None = None


@dataclass
class FeedState:
    """What the poller knows about one feed between polls (wall-clock times, so it survives restarts)."""

    etag: str | None = None
    last_modified: str | None = None
    next_due: float = 0.0
    failures: int = 0
    last_error: str | None = None
    last_ok: float | None = None
    items_stored: int = 0
    pending: list[dict] = field(default_factory=list)
    """Items that failed transiently (server error, timeout): retried at the next poll, even on a 304."""


@dataclass
class ItemRecord:
    """What became of one feed item: stored | duplicate | bad (given up, with reason) | retry (n attempts)."""

    status: str
    reason: str | None = None
    attempts: int = 0
    article_id: str | None = None

    @property
    def final(self) -> bool:
        return self.status != "retry"


def check_feed_url(url: str) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        usable = False
    if not usable:
        raise FeedListError(f"{url[:100]!r}: not an http(s) feed URL")
    return url


def list_feeds(store: Store) -> list[Feed]:
    raw = store.get_state(FEEDS_KEY)
    return [Feed(**f) for f in json.loads(raw)] if raw else []


def add_feeds(store: Store, feeds: list[Feed]) -> list[Feed]:
    """Subscribe to feeds not yet followed (same URL = same feed); returns the new ones."""
    with store.transaction():
        current = list_feeds(store)
        known = {f.url for f in current}
        new = []
        for feed in feeds:
            feed.url = check_feed_url(feed.url)
            if feed.url not in known:
                known.add(feed.url)
                new.append(feed)
        if new:
            store.put_state(FEEDS_KEY, json.dumps([asdict(f) for f in current + new]).encode())
    return new


def add_feed(store: Store, url: str, title: str | None = None, lang: str | None = None) -> bool:
    return bool(add_feeds(store, [Feed(url, title, lang)]))


def remove_feed(store: Store, url: str) -> bool:
    with store.transaction():
        current = list_feeds(store)
        kept = [f for f in current if f.url != url]
        store.put_state(FEEDS_KEY, json.dumps([asdict(f) for f in kept]).encode())
    return len(kept) < len(current)


def get_feed_state(store: Store, url: str) -> FeedState:
    raw = store.get_state(f"feeds.poll:{url}")
    return FeedState(**json.loads(raw)) if raw else FeedState()


def put_feed_state(store: Store, url: str, state: FeedState) -> None:
    store.put_state(f"feeds.poll:{url}", json.dumps(asdict(state)).encode())


def _item_key(key: str) -> str:
    return "feeds.item:" + hashlib.sha1(key.encode("utf-8")).hexdigest()


def get_item(store: Store, key: str) -> ItemRecord | None:
    raw = store.get_state(_item_key(key))
    return ItemRecord(**json.loads(raw)) if raw else None


def put_item(store: Store, key: str, record: ItemRecord) -> None:
    store.put_state(_item_key(key), json.dumps(asdict(record)).encode())


def read_opml(path: Path) -> list[Feed]:
    """Feeds of an OPML file: every <outline> with an xmlUrl, at any depth (categories are folders)."""
    try:
        root = SafeET.parse(path).getroot()
    except SafeET.ParseError as exc:
        line = exc.position[0] if exc.position else "?"
        raise FeedListError(f"{path}:{line}: not valid OPML ({exc})") from exc
    except DefusedXmlException as exc:  # entity expansion or external entities: never expanded
        raise FeedListError(f"{path}: refused, the file declares entities ({exc})") from exc
    except OSError as exc:
        raise FeedListError(f"{path}: cannot read ({exc.strerror})") from exc
    if root.tag != "opml":
        raise FeedListError(f"{path}: not an OPML file (root element <{root.tag}>)")
    feeds = []
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl")
        if url:
            title = outline.get("title") or outline.get("text")
            lang = outline.get("language") or outline.get("lang")
            try:
                feeds.append(Feed(check_feed_url(url), title, lang))
            except FeedListError as exc:
                raise FeedListError(f"{path}: outline {(title or '')[:80]!r}: {exc}") from exc
    return feeds


def read_feed_list(path: Path) -> list[Feed]:
    """Feeds of an OPML file, or of a text file with one URL per line (blank lines and # comments ignored)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedListError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from exc
    if text.lstrip().startswith("<"):
        return read_opml(path)
    feeds = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if line:
            try:
                feeds.append(Feed(check_feed_url(line)))
            except FeedListError as exc:
                raise FeedListError(f"{path}:{number}: {exc}") from exc
    return feeds
