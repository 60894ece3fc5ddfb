"""A threaded HTTP fixture server on 127.0.0.1 with scripted responses.

Routes map a path (with or without its query string) to a :class:`Reply`, a
list of replies served in turn (the last one repeats), or a callable taking
``(path, query)`` and returning a reply. Replies can delay, set any status
and headers, or cut the body short after ``truncate_to`` bytes while still
announcing the full ``Content-Length``. Hostile replies: ``trickle_s`` sends
the body (or with ``trickle_headers`` the status line and headers) one byte
at a time with a pause between bytes; ``endless`` sends ``body`` again and
again without a ``Content-Length`` until the client hangs up. Unknown paths
answer 404. Every request is recorded in :attr:`FixtureServer.log` as
``(path_with_query, headers)``.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted response."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    truncate_to: int | None = None
    trickle_s: float = 0.0
    trickle_headers: bool = False
    endless: bool = False

    @classmethod
    def json(cls, data: Any, *, status: int = 200, **kwargs: Any) -> Reply:
        """A JSON reply."""
        headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
        return cls(status=status, body=json.dumps(data).encode(), headers=headers, **kwargs)


Handler = Callable[[str, Mapping[str, list[str]]], Reply]
Route = Reply | list[Reply] | Handler


class FixtureServer:
    """The server; use :meth:`route` to script it and :meth:`url` to address it."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                reply = server._reply_for(self.path, dict(self.headers.items()))
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                try:
                    if reply.trickle_headers or reply.endless:
                        self._hostile(reply)
                        return
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    if reply.truncate_to is not None:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    body = reply.body
                    if reply.truncate_to is not None:
                        body = body[: reply.truncate_to]
                        self.close_connection = True
                    if reply.trickle_s:
                        self._trickle(body, reply.trickle_s)
                    else:
                        self.wfile.write(body)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def _trickle(self, data: bytes, pause_s: float) -> None:
                for i in range(len(data)):
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                    time.sleep(pause_s)

            def _hostile(self, reply: Reply) -> None:
                self.close_connection = True
                if reply.trickle_headers:  # a status line that never ends
                    self._trickle(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000, reply.trickle_s)
                    return
                head = f"HTTP/1.1 {reply.status} OK\r\nConnection: close\r\n"
                head += "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items())
                self.wfile.write(head.encode() + b"\r\n")
                chunk = reply.body or b"x" * 65536
                while True:  # until the client hangs up
                    self.wfile.write(chunk)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        """The full URL of ``path``."""
        return self.base_url + path

    def route(self, path: str, reply: Route) -> None:
        """Script ``path`` (a list of replies is served in turn; the last repeats)."""
        with self._lock:
            self.routes[path] = list(reply) if isinstance(reply, list) else reply

    def hits(self, path: str) -> int:
        """How many requests asked for ``path`` (query string ignored unless given)."""
        return sum(1 for p, _ in self.log if p == path or p.split("?", 1)[0] == path)

    def _reply_for(self, raw_path: str, headers: dict[str, str]) -> Reply:
        with self._lock:
            self.log.append((raw_path, headers))
            split = urllib.parse.urlsplit(raw_path)
            route = self.routes.get(raw_path, self.routes.get(split.path))
            if route is None:
                return Reply(status=404, body=b"not found")
            if isinstance(route, Reply):
                return route
            if isinstance(route, list):
                return route.pop(0) if len(route) > 1 else route[0]
        return route(split.path, urllib.parse.parse_qs(split.query))

    def start(self) -> FixtureServer:
        """Start serving in a daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread.is_alive():  # shutdown() waits forever on a server never started
            self._server.shutdown()
        self._server.server_close()
