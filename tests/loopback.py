"""A misbehaving HTTP server on 127.0.0.1 for tests: http.server in a
thread, because the interesting servers stall, trickle, redirect, say 304,
410 or 429, or send a bomb. Every route is a small function of the request
handler; the server logs each request with its headers, status and time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# ---------------------------------------------------------------- the server


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    at: float
    status: int = 0


class Handler(BaseHTTPRequestHandler):
    server: LoopbackServer

    def do_GET(self):
        hit = Hit(self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic())
        self.server.hits.append(hit)
        route = self.server.routes.get(self.path)
        try:
            hit.status = route(self) if route else respond(self, 404, b"no such route")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on us, as it should

    def log_message(self, *args):
        pass


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes: dict[str, Callable[[Handler], int]] = {}
        self.hits: list[Hit] = []
        self.stop = threading.Event()  # ends stalled and trickling handlers

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def hits_for(self, path: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.path == path]


def start_server() -> LoopbackServer:
    httpd = LoopbackServer()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return httpd


def stop_server(httpd: LoopbackServer) -> None:
    httpd.stop.set()
    httpd.shutdown()
    httpd.server_close()


def respond(handler: Handler, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> int:
    handler.send_response(status)
    headers = {"Content-Type": "application/rss+xml", **(headers or {})}
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
    return status
