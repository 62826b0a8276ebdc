"""SSRF in every spelling, refused through each way a URL gets in: `ingest URL`, feeds (the feed's own URL and
its items' links), the REST ingest endpoint, and redirects to any of them."""

from __future__ import annotations

import re
import socket

import pytest
from fastapi.testclient import TestClient
from hostile_web import HostileWeb

from storyweave.feeds import add_feed
from storyweave.feeds.poller import Poller, PollSettings
from storyweave.feeds.sources import get_feed_state, get_item
from storyweave.fetch import Fetcher, FetchError
from storyweave.ingest import IngestError, Source, expand, read_source
from storyweave.pipeline import Pipeline
from storyweave.serve import create_app

LOOPBACK_NAME = "loopback.storyweave.test"
SPELLINGS = [
    "http://127.1/",
    "http://0x7f000001/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://0.0.0.0/",
    "http://0/",
    "http://localhost./",
    "http://LOCALHOST/",
    "http://[fe80::1]/",  # IPv6 link-local
    "http://[fd00::1]/",  # IPv6 unique-local
    "http://[fec0::1]/",  # IPv6 site-local
    "http://[2002:7f00:1::1]/",  # 6to4 wrapping 127.0.0.1
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://192.168.1.1:8080/",
    f"http://{LOOPBACK_NAME}/",  # a name that resolves to loopback
]
SCHEMES = ["file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://127.0.0.1/x", "javascript:alert(1)"]
REFUSED = "(?i)refused|unsupported scheme|non-public|no such file|invalid URL"


@pytest.fixture(autouse=True)
def loopback_name(monkeypatch):
    """A host entry: LOOPBACK_NAME resolves to 127.0.0.1 (as a hostile DNS answer would)."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        return real("127.0.0.1" if host == LOOPBACK_NAME else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize("url", SPELLINGS + SCHEMES[1:3])
def test_fetcher_refuses_before_connecting(url: str) -> None:
    with Fetcher(respect_robots=False) as fetcher, pytest.raises(FetchError, match=REFUSED):
        fetcher.get(url)


@pytest.mark.parametrize("url", SPELLINGS + SCHEMES)
def test_ingest_url_refuses(url: str) -> None:
    items = []
    with Fetcher() as fetcher:
        for source in expand([url]):
            items += [source] if isinstance(source, IngestError) else list(read_source(source, fetcher))
    assert len(items) == 1 and isinstance(items[0], IngestError), items
    assert re.search(REFUSED, items[0].reason), items[0]


@pytest.mark.parametrize("url", SPELLINGS)
def test_redirect_to_any_spelling_is_refused(url: str) -> None:
    with HostileWeb() as web, Fetcher(allowed_hosts=["127.0.0.1"], respect_robots=False) as fetcher:
        web.routes["/hop"] = (302, {"Location": url}, b"")
        with pytest.raises(FetchError, match=REFUSED):
            fetcher.get(f"{web.base}/hop")


def test_feeds_refuse_every_spelling_as_feed_and_as_item(sqlite_store) -> None:
    with HostileWeb() as web:
        items = "".join(f"<item><link>{url}</link></item>" for url in SPELLINGS)
        redirects = "".join(f"<item><link>{web.base}/r{i}</link></item>" for i in range(len(SPELLINGS)))
        for number, url in enumerate(SPELLINGS):
            web.routes[f"/r{number}"] = (302, {"Location": url}, b"")
        body = f'<rss version="2.0"><channel><title>F</title>{items}{redirects}</channel></rss>'
        web.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, body.encode())
        add_feed(sqlite_store, f"{web.base}/feed.xml", "F")
        for url in SPELLINGS:
            add_feed(sqlite_store, url, "hostile")
        fetcher = Fetcher(allowed_hosts=["127.0.0.1"], respect_robots=False, timeout=5)
        report = Poller(sqlite_store, Pipeline(sqlite_store), fetcher, PollSettings()).poll_all()
        base = web.base
    assert report.feeds_failed == len(SPELLINGS) and report.stored == 0
    assert report.bad == 2 * len(SPELLINGS)
    for url in SPELLINGS:
        assert re.search(REFUSED, get_feed_state(sqlite_store, url).last_error or "")
        assert re.search(REFUSED, get_item(sqlite_store, url).reason or "")
    for number in range(len(SPELLINGS)):
        assert re.search(REFUSED, get_item(sqlite_store, f"{base}/r{number}").reason or "")
    assert sqlite_store.count_articles() == 0


def test_rest_ingest_urls_refuses_every_spelling(sqlite_store) -> None:
    with TestClient(create_app(sqlite_store, api_token="t")) as client:
        response = client.post(
            "/api/ingest/urls", json={"urls": SPELLINGS + SCHEMES}, headers={"Authorization": "Bearer t"}
        )
    assert response.status_code == 200
    results = response.json()
    assert [r["status"] for r in results] == ["failed"] * len(SPELLINGS + SCHEMES)
    for result in results:
        assert any(w in result["error"] for w in ("refused", "unsupported scheme", "invalid URL")), result


def test_source_kind_of_other_schemes_is_never_url() -> None:
    assert all(not isinstance(s, Source) or s.kind != "url" for u in SCHEMES for s in expand([u]))
