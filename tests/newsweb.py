"""A news web on loopback for tests and benchmarks: outlets' feeds and article pages, with faults on demand.

Pages come from ../shared/data: the extraction benchmark's real HTML pages, and articles of the clustering and
SemEval sets rendered as simple outlet pages (several languages). Feeds (RSS 2.0, Atom, JSON Feed) list them.
Every response can be made to fail: `web.fault(path, Fault("status", 500, times=2))`. All traffic stays on
127.0.0.1; the "redirect to a private address" fault only *names* 10.0.0.1 in a Location header, and the
client under test must refuse it before connecting.

Run `python tests/newsweb.py bench` to measure feed-to-story throughput with the real pipeline.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FAULT_KINDS = {"slow", "status", "malformed", "wrong-encoding", "huge", "redirect", "changing-etag"}


@dataclass
class Page:
    """One article page of the web; `slug` is its path under /a/."""

    slug: str
    title: str
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    published: datetime = field(default_factory=lambda: datetime(2024, 1, 1, tzinfo=UTC))
    lang: str | None = None
    text: str = ""
    """Plain text the page was rendered from ("" for real pages), for assertions."""


@dataclass
class Fault:
    """What to do instead of a normal response: `arg` is seconds (slow), a status code (status), a URL
    (redirect) or a byte count (huge). After `times` faulty responses the path heals (None: never)."""

    kind: str
    arg: object = None
    times: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; one of {sorted(FAULT_KINDS)}")


@dataclass
class Hit:
    path: str
    status: int
    at: float
    headers: dict[str, str]


def render_article(title: str, text: str, *, lang: str | None, published: datetime, outlet: str) -> str:
    """An outlet page around the article: navigation and a related-headlines box, as real pages have."""
    paragraphs = "\n".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
    return f"""<!doctype html>
<html lang="{lang or "en"}"><head><meta charset="utf-8"><title>{html.escape(title)} | {outlet}</title>
<meta property="article:published_time" content="{published.isoformat()}">
<meta property="og:site_name" content="{outlet}"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
<article><h1>{html.escape(title)}</h1><time datetime="{published.isoformat()}">{published:%d %B %Y}</time>
{paragraphs}</article>
<aside><h2>Related</h2><ul><li><a href="/x">Markets rally as rates hold</a></li></ul></aside>
<footer>© {outlet}. All rights reserved.</footer></body></html>"""


def load_pages(
    shared_data: Path, *, real: int = 4, rendered: int = 8, languages: Iterable[str] = ()
) -> list[Page]:
    """`real` extraction-benchmark pages, `rendered` clustering articles (giveme5w1h, full texts) and one
    SemEval article per language in `languages`, each published one hour after the previous one."""
    start = datetime(2024, 3, 1, 6, tzinfo=UTC)
    pages: list[Page] = []
    for path in sorted((shared_data / "extraction" / "aeb" / "html").glob("*.html.gz"))[:real]:
        body = gzip.decompress(path.read_bytes())
        pages.append(Page(f"aeb-{path.name[:12]}", f"Benchmark page {path.name[:12]}", body, "text/html"))
    records = []  # (slug, title, text, lang, outlet)
    for rec in _jsonl(shared_data / "clustering" / "giveme5w1h.jsonl"):
        if len(records) >= rendered:
            break
        if rec.get("text") and rec.get("title") and len(rec["text"].split()) > 120:
            records.append((f"g-{rec['id'][:12]}", rec["title"], rec["text"], rec.get("lang"), rec["source"]))
    wanted = list(languages)
    for rec in _jsonl(shared_data / "pairs" / "semeval2022_dev.jsonl") if wanted else ():
        lang = rec["lang1"]
        if lang in wanted and rec.get("title1") and rec.get("text1") and len(rec["text1"].split()) > 120:
            wanted.remove(lang)
            records.append((f"{lang}-{rec['pair_id']}", rec["title1"], rec["text1"], lang, f"{lang} daily"))
        if not wanted:
            break
    for slug, title, text, lang, outlet in records:
        published = start + timedelta(hours=len(pages))
        doc = render_article(title, text, lang=lang, published=published, outlet=outlet)
        pages.append(Page(slug, title, doc.encode("utf-8"), published=published, lang=lang, text=text))
    for n, page in enumerate(pages[:real]):
        page.published = start + timedelta(hours=n)
    return pages


def _jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


class NewsWeb:
    """The server. `pages` are served at /a/SLUG; feeds at /feeds/NAME.(rss|atom|json) list chosen pages."""

    def __init__(self, pages: list[Page]) -> None:
        self.pages = {p.slug: p for p in pages}
        self.feeds: dict[str, list[str]] = {}
        self.faults: dict[str, Fault] = {}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="newsweb", daemon=True
        )

    # -- setup -------------------------------------------------------------------------------------------
    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add_feed(self, name: str, slugs: Iterable[str], fmt: str = "rss") -> str:
        """Publish a feed of these pages (newest first, as outlets do); returns its URL."""
        path = f"/feeds/{name}.{fmt}"
        self.feeds[path] = list(slugs)
        return self.url(path)

    def fault(self, path: str, fault: Fault | None) -> None:
        """Make `path` (a feed or /a/SLUG) misbehave, or heal it with None."""
        with self._lock:
            if fault is None:
                self.faults.pop(path, None)
            else:
                self.faults[path] = fault

    def requests_to(self, path: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.path == path]

    def __enter__(self) -> NewsWeb:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- responses ---------------------------------------------------------------------------------------
    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            fault = self.faults.get(path)
            if fault is not None and fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self.faults[path]
            return fault

    def _record(self, path: str, status: int, headers: dict[str, str]) -> None:
        with self._lock:
            self.hits.append(Hit(path, status, time.monotonic(), headers))

    def feed_document(self, path: str) -> tuple[bytes, str]:
        pages = sorted((self.pages[s] for s in self.feeds[path]), key=lambda p: p.published, reverse=True)
        name, fmt = path.rsplit("/", 1)[1].rsplit(".", 1)
        if fmt == "json":
            items = [
                {
                    "id": self.url(f"/a/{p.slug}"),
                    "url": self.url(f"/a/{p.slug}"),
                    "title": p.title,
                    "date_published": p.published.isoformat(),
                }
                for p in pages
            ]
            doc = {"version": "https://jsonfeed.org/version/1.1", "title": f"{name} news", "items": items}
            return json.dumps(doc).encode(), "application/feed+json"
        if fmt == "atom":
            entries = "".join(
                f"<entry><id>tag:newsweb,2024:{p.slug}</id><title>{html.escape(p.title)}</title>"
                f'<link href="/a/{p.slug}"/><updated>{p.published.isoformat()}</updated></entry>'
                for p in pages
            )
            return (
                f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
                f'xml:base="{self.base}/"><title>{name} news</title><id>{self.base}{path}</id>'
                f"<updated>2024-03-01T00:00:00Z</updated>{entries}</feed>"
            ).encode(), "application/atom+xml"
        items = "".join(
            f"<item><title>{html.escape(p.title)}</title><link>{self.url(f'/a/{p.slug}')}</link>"
            f'<guid isPermaLink="false">{p.slug}</guid>'
            f"<pubDate>{format_datetime(p.published)}</pubDate></item>"
            for p in pages
        )
        return (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name} news</title>'
            f"<link>{self.base}/</link><description>newsweb</description>{items}</channel></rss>"
        ).encode(), "application/rss+xml; charset=utf-8"


def _handler(web: NewsWeb) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet: tests read `web.hits` instead
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            path = self.path.split("?", 1)[0]
            headers = {k.lower(): v for k, v in self.headers.items()}
            fault = web._take_fault(path)
            if path == "/robots.txt":
                return self._send(path, headers, 200, b"User-agent: *\nAllow: /\n", "text/plain")
            if path in web.feeds:
                body, ctype = web.feed_document(path)
            elif path.startswith("/a/") and path[3:] in web.pages:
                page = web.pages[path[3:]]
                body, ctype = page.body, page.content_type
            else:
                return self._send(path, headers, 404, b"not found", "text/plain")
            if fault is not None:
                kind = fault.kind
                if kind == "slow":
                    time.sleep(float(fault.arg or 5))
                elif kind == "status":
                    return self._send(path, headers, int(fault.arg or 500), b"server error", "text/plain")
                elif kind == "redirect":
                    return self._send(path, headers, 302, b"", "text/plain", {"Location": str(fault.arg)})
                elif kind == "malformed":  # truncated mid-document, with stray markup
                    body = body[: len(body) // 2].replace(b"<", b"<<", 3)
                elif kind == "huge":
                    body = body + b"<!--" + b"x" * int(fault.arg or 20_000_000) + b"-->"
                elif kind == "wrong-encoding" and fault.arg == "header":  # UTF-8 body, header claims Latin-1
                    ctype = ctype.split(";")[0] + "; charset=iso-8859-1"
                elif kind == "wrong-encoding":  # re-encoded by the server; the document still says UTF-8
                    body = body.decode("utf-8").encode("cp1252", errors="xmlcharrefreplace")
                    ctype = ctype.split(";")[0] + "; charset=windows-1252"
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if fault is not None and fault.kind == "changing-etag":
                etag = f'"{time.monotonic_ns()}"'
            if headers.get("if-none-match") == etag:
                return self._send(path, headers, 304, b"", None, {"ETag": etag})
            self._send(path, headers, 200, body, ctype, {"ETag": etag})

        def _send(
            self,
            path: str,
            req: dict[str, str],
            status: int,
            body: bytes,
            ctype: str | None,
            extra: dict[str, str] | None = None,
        ) -> None:
            web._record(path, status, req)
            try:
                self.send_response(status)
                if ctype:
                    self.send_header("Content-Type", ctype)
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout, size cap)
                pass

    return Handler


def _bench(argv: list[str]) -> None:
    """Feed-to-story throughput: N pages in F feeds, one `watch --once`-equivalent pass, real engine."""
    import argparse
    import tempfile

    from storyweave.feeds import Poller, PollSettings, add_feed, default_pipeline
    from storyweave.fetch import Fetcher
    from storyweave.store import open_store

    parser = argparse.ArgumentParser(prog="newsweb.py bench")
    parser.add_argument("--pages", type=int, default=120)
    parser.add_argument("--feeds", type=int, default=4)
    parser.add_argument(
        "--store", default=None, help="store path or postgresql:// URL [default: temp SQLite]"
    )
    parser.add_argument(
        "--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    args = parser.parse_args(argv)
    pages = load_pages(
        args.shared, real=min(40, args.pages // 3), rendered=args.pages - min(40, args.pages // 3)
    )
    with NewsWeb(pages) as web, tempfile.TemporaryDirectory() as tmp:
        store = open_store(args.store or Path(tmp) / "bench.db")
        for f in range(args.feeds):
            add_feed(store, web.add_feed(f"outlet{f}", [p.slug for p in pages[f :: args.feeds]]))
        pipeline = default_pipeline(store)
        pipeline.engine.embedder.embed(["warm-up"])  # load the model first: measure the steady state
        fetcher = Fetcher(allowed_hosts=("127.0.0.1",))
        poller = Poller(store, pipeline, fetcher, PollSettings(domain_delay=0.0, per_domain=4))
        started, cpu = time.perf_counter(), time.process_time()  # CPU time: this machine is shared
        report = poller.poll_all()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"{report.stored} stored, {report.bad} bad, {report.duplicates} duplicate of {len(pages)} items "
            f"in {elapsed:.1f} s: {report.stored / elapsed:.2f} items/s feed-to-story "
            f"({cpu:.1f} CPU s, {1000 * cpu / max(report.stored, 1):.0f} ms CPU per item); "
            f"{store.count_stories()} stories"
        )
        store.close()


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] != ["bench"]:
        sys.exit("usage: python tests/newsweb.py bench [--pages N] [--feeds F] [--store S]")
    _bench(sys.argv[2:])
