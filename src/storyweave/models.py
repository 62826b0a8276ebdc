"""The data model shared by every stage: articles, outlets and stories."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

_SPACE = re.compile(r"\s+")


def content_hash(title: str, text: str) -> str:
    """Hash of normalised title+text, so whitespace or Unicode-form differences do not defeat dedup."""
    norm = unicodedata.normalize("NFKC", f"{title}\n{text}").casefold()
    return hashlib.sha1(_SPACE.sub(" ", norm).strip().encode("utf-8")).hexdigest()


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Article:
    """One report by one outlet.

    `text` is the cleaned body; page chrome removed from it is kept in `chrome`, never in `text`.
    """

    id: str
    title: str
    text: str = ""
    url: str | None = None
    canonical_url: str | None = None
    source: str | None = None
    lead: str | None = None
    lang: str | None = None
    published: datetime | None = None
    fetched: datetime | None = None
    author: str | None = None
    raw_ref: str | None = None
    chrome: list[str] = field(default_factory=list)
    story_id: str | None = None
    duplicate_of: str | None = None
    hash: str = ""

    def __post_init__(self) -> None:
        if not self.hash:
            self.hash = content_hash(self.title or "", self.text or "")
        if self.lead is None and self.text:
            self.lead = self.text.strip().split("\n", 1)[0][:600]

    @property
    def body(self) -> str:
        """Title and text as one string, the usual input to representations."""
        return f"{self.title}\n{self.text}".strip() if self.text else (self.title or "")


@dataclass
class Outlet:
    """A publisher. `lean` and `tags` are only ever supplied by the user; storyweave ships no ratings."""

    name: str
    domain: str | None = None
    country: str | None = None
    language: str | None = None
    lean: str | None = None
    tags: list[str] = field(default_factory=list)


@dataclass
class Story:
    """A group of reports of one real-world event.

    `thread_id` links related stories of one ongoing situation (a thread is not one story).
    """

    id: str
    article_ids: list[str] = field(default_factory=list)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    title: str = ""
    thread_id: str | None = None
    cohesion: float | None = None
    """How tightly the reports agree, 0..1 (mean pairwise cosine of their embeddings; 1 for one report);
    None when unknown (stored before it was kept). Lets the UI flag loose stories."""

    @property
    def size(self) -> int:
        return len(self.article_ids)
