"""Outlet names: one outlet per publisher. A page names its outlet by its site name; failing that (or when
the name given is itself a host name) by its registered domain, so africa.chinadaily.com.cn and
www.chinadaily.com.cn are both `chinadaily.com.cn`. Domains are split with tldextract's bundled copy of the
Public Suffix List: never fetched, so naming works offline and gives the same answer everywhere."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

import tldextract

_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
_HOST = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+")


@lru_cache(maxsize=4096)
def registered_domain(host: str) -> str | None:
    """`news.bbc.co.uk` -> `bbc.co.uk`; None for addresses and names without a public suffix."""
    parts = _EXTRACT(host.strip().lower().rstrip("."))
    return f"{parts.domain}.{parts.suffix}" if parts.domain and parts.suffix else None


def looks_like_host(name: str) -> bool:
    return bool(_HOST.fullmatch(name.strip().lower()))


def outlet_name(source: str | None, url: str | None = None) -> str | None:
    """The outlet of an article: `source` (a site name) as given, unless it is a host name, which folds to its
    registered domain; without one, the registered domain (else the host) of `url`."""
    source = " ".join((source or "").split()) or None
    if source is not None and not looks_like_host(source):
        return source
    host = source or _url_host(url)
    if not host:
        return None
    return registered_domain(host) or host.lower().removeprefix("www.")


def _url_host(url: str | None) -> str | None:
    """The URL's host; None when there is none or the URL is malformed (`http://[::1`): such an article is
    kept, just without an outlet from its URL."""
    try:
        return urlsplit(url).hostname if url else None
    except ValueError:
        return None
