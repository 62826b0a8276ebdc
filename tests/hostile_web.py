"""A tiny loopback HTTP server for hostile-input tests: fixed routes, redirects, and a header trickle."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARTICLE = (
    "<html lang='en'><head><title>{title}</title></head><body><article><h1>{title}</h1>"
    "<p>{body}</p><p>{body}</p></article></body></html>"
)


def article_page(title: str) -> bytes:
    body = (
        f"The report on {title.lower()} says the harbour authority reopened the bridge on Monday after "
        "a year of repairs, and officials expect traffic to return to normal within a week."
    )
    return ARTICLE.format(title=title, body=body).encode()


class HostileWeb:
    """Serves `routes` (path -> (status, headers, body)); `trickle` paths send their headers one byte at a
    time every `trickle_delay` seconds, forever."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.trickle: set[str] = set()
        self.trickle_delay = 0.2
        web = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path in web.trickle:
                    self._trickle()
                    return
                status, headers, body = web.routes.get(self.path, (404, {}, b"not found"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _trickle(self) -> None:
                head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + b"X-Slow: " + b"a" * 100_000
                try:
                    for byte in head:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(web.trickle_delay)
                except OSError:
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> HostileWeb:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
