"""The safe HTTP client against a local server on 127.0.0.1 (allow-listed); private addresses refused."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from storyweave.fetch import Fetcher, FetchError, is_public_address

PAGE = b"<html><body><p>Hello from the loopback web.</p></body></html>"
ETAG = '"v1"'
LAST_MODIFIED = "Mon, 04 Mar 2024 10:00:00 GMT"
ROBOTS = b"User-agent: *\nDisallow: /private\n"
CYRILLIC = "<html><body><p>Новости дня</p></body></html>"
CP1251_HTML = "text/html; charset=cp1251"


class Handler(BaseHTTPRequestHandler):
    requests: list[str] = []
    robots_moved = False
    robots_broken = False

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        headers = {"Content-Type": "text/html; charset=utf-8", **(headers or {})}
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802  (http.server's naming)
        Handler.requests.append(self.path)
        routes = {
            "/robots.txt": lambda: self._send(301, headers={"Location": "/moved-robots.txt"})
            if Handler.robots_moved
            else self._send(200, ROBOTS, {"Content-Type": "text/plain"}),
            "/moved-robots.txt": lambda: self._send(200, ROBOTS, {"Content-Type": "text/plain"}),
            "/cyrillic": lambda: self._send(200, CYRILLIC.encode("cp1251"), {"Content-Type": CP1251_HTML}),
            "/page": lambda: self._send(200, PAGE, {"ETag": ETAG, "Last-Modified": LAST_MODIFIED}),
            "/redirect": lambda: self._send(302, headers={"Location": "/page"}),
            "/loop": lambda: self._send(302, headers={"Location": "/loop"}),
            "/to-private": lambda: self._send(302, headers={"Location": "http://10.0.0.1/secret"}),
            "/to-file": lambda: self._send(302, headers={"Location": "file:///etc/passwd"}),
            "/json": lambda: self._send(200, b"{}", {"Content-Type": "application/json"}),
            "/gzip": lambda: self._send(200, gzip.compress(PAGE), {"Content-Encoding": "gzip"}),
            "/big": lambda: self._send(200, b"x" * 200_000),
            "/big-unannounced": self._stream_big,
            "/private/page": lambda: self._send(200, PAGE),
        }
        if self.path == "/robots.txt" and Handler.robots_broken:
            self._send(500, b"oops")
        elif self.path == "/page" and self.headers.get("If-None-Match") == ETAG:
            self._send(304, headers={"ETag": ETAG})
        elif self.path in routes:
            routes[self.path]()
        else:
            self._send(404, b"not found")

    def _stream_big(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()  # no Content-Length: the client must count while streaming
        for _ in range(100):
            self.wfile.write(b"y" * 10_000)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(allowed_hosts=["127.0.0.1"], max_bytes=100_000, timeout=5) as client:
        yield client


def test_get_page_with_validators(server, fetcher):
    result = fetcher.get(f"{server}/page", accept=("text/html",))
    assert (result.status, result.content, result.etag, result.encoding) == (200, PAGE, ETAG, "utf-8")
    assert result.last_modified == LAST_MODIFIED and not result.not_modified
    again = fetcher.get(f"{server}/page", etag=ETAG)
    assert again.not_modified and again.status == 304 and again.content == b""


def test_redirects_are_followed_and_limited(server, fetcher):
    assert fetcher.get(f"{server}/redirect").url == f"{server}/page"
    with pytest.raises(FetchError, match="too many redirects"):
        fetcher.get(f"{server}/loop")


def test_every_redirect_hop_is_checked(server, fetcher):
    with pytest.raises(FetchError, match="non-public address 10.0.0.1"):
        fetcher.get(f"{server}/to-private")
    with pytest.raises(FetchError, match="unsupported scheme 'file'"):
        fetcher.get(f"{server}/to-file")


def test_size_cap_content_type_gzip_and_http_errors(server, fetcher):
    with pytest.raises(FetchError, match="too large"):
        fetcher.get(f"{server}/big")
    with pytest.raises(FetchError, match="too large"):
        fetcher.get(f"{server}/big-unannounced")
    with pytest.raises(FetchError, match="unexpected content type 'application/json'"):
        fetcher.get(f"{server}/json", accept=("text/html", "text/*"))
    assert fetcher.get(f"{server}/gzip").content == PAGE
    with pytest.raises(FetchError, match="HTTP 404"):
        fetcher.get(f"{server}/missing")


def test_robots_txt_is_honoured_and_cached(server):
    local = ["127.0.0.1"]
    with Fetcher(allowed_hosts=local) as polite, Fetcher(allowed_hosts=local, respect_robots=False) as rude:
        Handler.requests.clear()
        with pytest.raises(FetchError, match="robots.txt"):
            polite.get(f"{server}/private/page")
        polite.get(f"{server}/page")
        assert Handler.requests.count("/robots.txt") == 1 and "/private/page" not in Handler.requests
        assert rude.get(f"{server}/private/page").content == PAGE


def test_robots_txt_redirect_is_followed(server, monkeypatch):
    monkeypatch.setattr(Handler, "robots_moved", True)
    with Fetcher(allowed_hosts=["127.0.0.1"]) as polite, pytest.raises(FetchError, match="robots.txt"):
        polite.get(f"{server}/private/page")


def test_unavailable_robots_txt_allows(server, monkeypatch):
    monkeypatch.setattr(Handler, "robots_broken", True)
    with Fetcher(allowed_hosts=["127.0.0.1"]) as polite:
        assert polite.get(f"{server}/private/page").content == PAGE


def test_declared_charset_decodes_the_page(server, fetcher):
    result = fetcher.get(f"{server}/cyrillic")
    assert result.encoding == "cp1251" and result.page() == CYRILLIC
    assert fetcher.get(f"{server}/json").page() == b"{}"  # no declared charset: bytes for the parser to sniff


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/", "http://localhost:9/", "http://10.1.2.3/", "http://192.168.0.1/",
     "http://169.254.169.254/latest/meta-data/", "http://[::1]:9/", "http://[::ffff:127.0.0.1]:9/",
     "http://0.0.0.0:9/", "http://224.0.0.1/"],
)
def test_private_addresses_are_refused_before_connecting(url):
    with Fetcher() as client, pytest.raises(FetchError, match="refused: .* non-public address"):
        client.get(url)


def test_allow_listed_name_connects_to_a_reachable_checked_address(server):
    port = server.rsplit(":", 1)[1]
    with Fetcher(allowed_hosts=["localhost"]) as client:  # localhost may also resolve to ::1; server is IPv4
        assert client.get(f"http://localhost:{port}/page").content == PAGE
    with Fetcher(allowed_hosts=["127.0.0.1"]) as client, pytest.raises(FetchError, match="cannot connect"):
        client.get("http://127.0.0.1:9/")  # nothing listens on the discard port


def test_allow_private_and_schemes(server):
    with Fetcher(allow_private=True) as client:
        assert client.get(f"{server}/page").content == PAGE
        with pytest.raises(FetchError, match="unsupported scheme"):
            client.get("ftp://127.0.0.1/file")


def test_public_address_classification():
    import ipaddress

    assert is_public_address(ipaddress.ip_address("93.184.216.34"))
    assert is_public_address(ipaddress.ip_address("2606:2800:220:1:248:1893:25c8:1946"))
    private = ("127.0.0.1", "10.0.0.1", "172.16.0.1", "100.64.0.1", "169.254.169.254", "fe80::1", "fd00::1")
    for address in private:
        assert not is_public_address(ipaddress.ip_address(address))
