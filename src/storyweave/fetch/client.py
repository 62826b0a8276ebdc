"""The one HTTP client storyweave uses: every request is checked before a byte leaves the machine.

Hosts are resolved here, every resolved address is checked, and the connection goes to a checked address (the
URL's host is kept for the Host header, TLS SNI and certificate checks), so a DNS answer that changes between
check and connect (rebinding) cannot redirect the request inside the network. Redirects are followed by hand
so every hop gets the same checks.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urljoin
from urllib.robotparser import RobotFileParser

import httpx

DEFAULT_USER_AGENT = "storyweave/0.1 (+https://github.com/storyweave)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ROBOTS_MAX_BYTES = 500_000
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254"))

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
REFUSED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "192.0.0.0/24",  # IETF protocol assignments (192.0.0.8 and friends: not reachable hosts)
        "fec0::/10",  # deprecated site-local, still routed inside some networks
        "::/96",  # IPv4-compatible IPv6 (deprecated): would reach the embedded IPv4 address
    )
)
NAT64_NETWORKS = tuple(ipaddress.ip_network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48"))


class FetchError(RuntimeError):
    """A URL could not (or must not) be fetched; `reason` is one line for the user."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


@dataclass
class FetchResult:
    url: str
    """Final URL, after redirects."""
    status: int
    content: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    encoding: str | None = None
    """Charset declared by the server, if any."""

    def page(self) -> str | bytes:
        """The content for a parser.

        Valid UTF-8 is UTF-8 whatever the server says (a Latin-1 header on UTF-8 pages is a common
        slip); other bytes are decoded with the declared charset, which beats guessing; with none,
        raw bytes for the parser to sniff.
        """
        if self.encoding:
            try:
                self.content.decode("utf-8")
            except UnicodeDecodeError:
                try:
                    return self.content.decode(self.encoding)
                except (LookupError, UnicodeDecodeError):
                    pass
        return self.content


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to: mapped (::ffff:a.b.c.d), 6to4 (2002::/16) or NAT64."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in network for network in NAT64_NETWORKS):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(ip: IPAddress) -> bool:
    """False for private, loopback, link-local, site-local, multicast, reserved, unspecified, protocol
    (192.0.0.0/24) and cloud-metadata IPs, and for IPv6 addresses that wrap a non-public IPv4 address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.teredo is not None:  # a tunnel whose far end the address does not show: refused
            return False
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return is_public_address(embedded)
    if any(ip.version == n.version and ip in n for n in REFUSED_NETWORKS):
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip in METADATA_ADDRESSES)


def _media_type(content_type: str | None) -> str | None:
    return content_type.split(";", 1)[0].strip().lower() if content_type else None


def _accepted(media_type: str | None, accept: tuple[str, ...]) -> bool:
    if media_type is None:
        return True  # no declared type: let the reader sniff the content
    return any(media_type == a or (a.endswith("/*") and media_type.startswith(a[:-1])) for a in accept)


class Fetcher:
    """Safe GET: timeouts, a streaming size cap, checked redirects, conditional requests, robots.txt."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        allowed_hosts: Iterable[str] = (),
        timeout: float = 15.0,
        max_bytes: int = 10_000_000,
        max_redirects: int = 5,
        user_agent: str = DEFAULT_USER_AGENT,
        respect_robots: bool = True,
        deadline: float | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.deadline = deadline if deadline is not None else 4 * timeout
        """Overall seconds for one request, headers and body: a server trickling a byte at a time never
        trips the per-read `timeout`, so a watchdog closes the connection when this passes."""
        self.allowed_hosts = frozenset(h.lower().strip("[]") for h in allowed_hosts)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self.respect_robots = respect_robots
        self._robots: dict[str, RobotFileParser | None] = {}
        self._aborted = threading.Event()
        self._active: set[Callable[[], None]] = set()
        self._active_lock = threading.Lock()
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False,
            headers={"User-Agent": user_agent},
            limits=httpx.Limits(max_keepalive_connections=0),  # a fresh socket per request: see _watchdog
        )

    def __reduce__(self) -> tuple:
        """A copy for another process (a Ray worker): the same settings, its own connections and state."""
        settings = {
            "allow_private": self.allow_private, "allowed_hosts": tuple(self.allowed_hosts),
            "timeout": self.timeout, "max_bytes": self.max_bytes, "max_redirects": self.max_redirects,
            "user_agent": self.user_agent, "respect_robots": self.respect_robots, "deadline": self.deadline,
        }  # fmt: skip
        return partial(Fetcher, **settings), ()

    def close(self) -> None:
        self._client.close()

    def abort(self) -> None:
        """End every request in flight now (their sockets are shut) and refuse new ones: for shutdown, which
        must not wait for a slow server's deadline."""
        self._aborted.set()
        with self._active_lock:
            expiries = list(self._active)
        for expire in expiries:
            expire()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public ------------------------------------------------------------------------------------------
    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: tuple[str, ...] | None = None,
    ) -> FetchResult:
        """GET `url`; FetchError for refused addresses, HTTP errors, oversize or unwanted content types, and
        for anything else that goes wrong (a malformed redirect target, say): nothing else escapes."""
        try:
            return self._get(url, etag=etag, last_modified=last_modified, accept=accept)
        except FetchError:
            raise
        except (httpx.InvalidURL, httpx.HTTPError, ValueError, UnicodeError, OSError) as exc:
            raise FetchError(url, f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}") from exc

    def _get(
        self, url: str, *, etag: str | None, last_modified: str | None, accept: tuple[str, ...] | None
    ) -> FetchResult:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if accept:
            headers["Accept"] = ", ".join(accept)
        return self._follow(url, headers, accept, self.max_bytes, robots=self.respect_robots)

    def _follow(
        self,
        url: str,
        headers: dict[str, str],
        accept: tuple[str, ...] | None,
        max_bytes: int,
        *,
        robots: bool,
    ) -> FetchResult:
        """GET with redirects followed by hand, each hop checked (and, if `robots`, allowed by robots.txt)."""
        current = url
        for _ in range(self.max_redirects + 1):
            target = self._parse(current)
            if robots and not self._robots_allow(target):
                raise FetchError(current, "disallowed by robots.txt")
            result = self._request(target, headers, accept, max_bytes)
            if result.status not in REDIRECT_STATUSES:
                return result
            location = result.headers.get("location")
            if not location:
                raise FetchError(current, f"HTTP {result.status} redirect without Location")
            current = urljoin(current, location)
        raise FetchError(url, f"too many redirects (more than {self.max_redirects})")

    # -- checks ------------------------------------------------------------------------------------------
    def _parse(self, url: str) -> httpx.URL:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise FetchError(url, f"invalid URL ({exc})") from exc
        if parsed.scheme not in ("http", "https"):
            raise FetchError(url, f"unsupported scheme {parsed.scheme or '(none)'!r}: only http and https")
        if not parsed.host:
            raise FetchError(url, "URL has no host")
        return parsed

    def resolve(self, url: httpx.URL) -> list[IPAddress]:
        """Checked addresses to connect to (IPv4 first): every address the host resolves to must be public."""
        host = url.host.lower().rstrip(".")  # `localhost.` is `localhost`, whatever the resolver makes of it
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(str(url), f"cannot resolve host {host!r} ({exc})") from exc
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos))
        addresses.sort(key=lambda ip: ip.version)
        if not addresses:
            raise FetchError(str(url), f"host {host!r} has no address")
        if not (self.allow_private or host in self.allowed_hosts):
            refused = [ip for ip in addresses if not is_public_address(ip)]
            if refused:
                raise FetchError(
                    str(url),
                    f"refused: {host} resolves to non-public address {refused[0]}",
                )
        return addresses

    # -- transfer ----------------------------------------------------------------------------------------
    def _request(
        self, url: httpx.URL, headers: dict[str, str], accept: tuple[str, ...] | None, max_bytes: int
    ) -> FetchResult:
        addresses = self.resolve(url)
        request_headers = {**headers, "Host": url.netloc.decode("ascii")}
        extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
        refused: httpx.ConnectError | None = None
        for address in addresses:  # the next checked address when one cannot be reached (e.g. no IPv6 route)
            pinned = url.copy_with(host=str(address))
            if self._aborted.is_set():
                raise FetchError(str(url), "interrupted (shutting down)")
            with self._watchdog() as (trace, expired):
                try:
                    stream = self._client.stream(
                        "GET", pinned, headers=request_headers, extensions={**extensions, "trace": trace}
                    )
                    with stream as response:
                        return self._read(url, response, accept, max_bytes)
                except httpx.HTTPError as exc:
                    if self._aborted.is_set():
                        raise FetchError(str(url), "interrupted (shutting down)") from exc
                    if expired.is_set():
                        reason = f"timed out (no full response in {self.deadline:.0f} s)"
                        raise FetchError(str(url), reason) from exc
                    if isinstance(exc, httpx.ConnectError):
                        refused = exc
                        continue
                    if isinstance(exc, httpx.TimeoutException):
                        raise FetchError(str(url), f"timed out after {self.timeout:.0f} s") from exc
                    if "location header" in str(exc).lower():  # a redirect to a URL httpx cannot parse
                        raise FetchError(str(url), f"refused redirect: {exc}") from exc
                    raise FetchError(str(url), f"{type(exc).__name__}: {exc}") from exc
        raise FetchError(str(url), f"cannot connect ({refused})") from refused

    @contextmanager
    def _watchdog(self) -> Iterator[tuple[object, threading.Event]]:
        """An httpcore trace hook that notes the request's sockets, and a timer that shuts them down when the
        overall deadline passes: the blocked read then fails and the request ends (`expired` is set)."""
        sockets: list[socket.socket] = []
        expired = threading.Event()

        def trace(event: str, info: dict) -> None:
            if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
                sock = info["return_value"].get_extra_info("socket")
                if sock is not None:
                    sockets.append(sock)

        def expire() -> None:
            expired.set()
            for sock in sockets:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        timer = threading.Timer(self.deadline, expire)
        timer.daemon = True
        timer.start()
        with self._active_lock:
            self._active.add(expire)
        try:
            yield trace, expired
        finally:
            timer.cancel()
            with self._active_lock:
                self._active.discard(expire)

    def _read(
        self, url: httpx.URL, response: httpx.Response, accept: tuple[str, ...] | None, limit: int
    ) -> FetchResult:
        where, status = str(url), response.status_code
        result = FetchResult(
            url=where, status=status, headers=dict(response.headers), etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"), encoding=response.charset_encoding,
        )
        if status in REDIRECT_STATUSES:
            return result
        if status == 304:
            result.not_modified = True
            return result
        if not 200 <= status < 300:
            raise FetchError(where, f"HTTP {status} {response.reason_phrase}".strip())
        media_type = _media_type(response.headers.get("content-type"))
        if accept and not _accepted(media_type, accept):
            raise FetchError(where, f"unexpected content type {media_type!r} (wanted {', '.join(accept)})")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(where, f"too large ({int(declared)} bytes > {limit} limit)")
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise FetchError(where, f"too large (more than {limit} bytes)")
            chunks.append(chunk)
        result.content = b"".join(chunks)
        return result

    # -- robots.txt --------------------------------------------------------------------------------------
    def _robots_allow(self, url: httpx.URL) -> bool:
        origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        if origin not in self._robots:
            self._robots[origin] = self._load_robots(origin)
        parser = self._robots[origin]
        return parser is None or parser.can_fetch(self.user_agent, str(url))

    def _load_robots(self, origin: str) -> RobotFileParser | None:
        """The origin's robots.txt, fetched through the same checks; None (allow all) when unavailable."""
        try:
            result = self._follow(f"{origin}/robots.txt", {}, None, ROBOTS_MAX_BYTES, robots=False)
        except FetchError:
            return None
        if result.status != 200:
            return None
        parser = RobotFileParser()
        parser.parse(result.content.decode("utf-8", errors="replace").splitlines())
        return parser
