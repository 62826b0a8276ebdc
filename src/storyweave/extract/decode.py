"""Turn raw bytes into text, refusing what is not a page: binary data, truncated gzip, oversized input."""

from __future__ import annotations

import re
import zlib

import charset_normalizer
import ftfy

_FIX = ftfy.TextFixerConfig(uncurl_quotes=False)

MAX_PAGE_BYTES = 20_000_000
"""Real article pages are well below this; bigger input is a dump or an attack, not a page."""
MAX_TEXT_CHARS = 500_000
"""An article's text beyond this is not a news report (the longest in the shared sets are under 100,000
characters); the story engine's features of a 1 MB text alone take seconds, so longer texts are refused."""
_GZIP_MAGIC = b"\x1f\x8b"
_SNIFF = 8192


class ExtractionError(ValueError):
    """No article could be taken from the input; `reason` is a one-line explanation for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def check_text_length(text: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise ExtractionError(f"text too long ({len(text)} characters > {MAX_TEXT_CHARS} limit)")


def check_size(n: int, limit: int = MAX_PAGE_BYTES) -> None:
    if n > limit:
        raise ExtractionError(f"page too large ({_size(n)} > {_size(limit)} limit)")


def gunzip(data: bytes, limit: int = MAX_PAGE_BYTES) -> bytes:
    """Decompress gzip data with a size cap (a small .gz can expand enormously)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise ExtractionError(f"corrupt gzip data ({exc})") from exc
    check_size(len(out), limit)
    if not inflater.eof:
        raise ExtractionError("truncated gzip data (unexpected end of stream)")
    return out


def maybe_gunzip(data: bytes, limit: int = MAX_PAGE_BYTES) -> bytes:
    return gunzip(data, limit) if data[:2] == _GZIP_MAGIC else data


def looks_binary(data: bytes) -> bool:
    """NUL bytes do not occur in text in any encoding storyweave reads (UTF-16 is detected by its BOM)."""
    head = data[:_SNIFF]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return b"\x00" in head


def decode_bytes(data: bytes) -> str:
    """Decode text: UTF-8 first, then charset detection; mojibake is repaired with ftfy."""
    if looks_binary(data):
        raise ExtractionError("binary content, not text or HTML")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        match = charset_normalizer.from_bytes(data[:1_000_000]).best()
        if match is None:
            raise ExtractionError("undecodable text (not UTF-8 and no charset detected)") from None
        text = data.decode(match.encoding, errors="replace")
    return fix_text(text)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def fix_text(text: str) -> str:
    """Repair mojibake and broken Unicode; typographic quotes are kept as the outlet wrote them. Lone
    surrogates (valid in JSON escapes, not encodable as UTF-8) become U+FFFD, so the text can be stored."""
    return _LONE_SURROGATE.sub("\ufffd", ftfy.fix_text(text, _FIX))
