"""A tiny threaded HTTP server on 127.0.0.1 that fakes use as their base.

Why: every fake (Slack, Anthropic, OpenAI) needs the same plumbing — an ephemeral port, a daemon
thread, quiet logs, a backlog big enough for bursts of concurrent clients, and a way to release
requests that are deliberately delayed or left hanging when the test ends.

Subclasses implement ``handle(request) -> Reply | None``; returning ``None`` closes the connection
without an answer (how a fake "hangs" once its wait is over).
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

__all__ = ["FakeHTTPServer", "Incoming", "Reply", "closed_port_url"]


@dataclass
class Incoming:
    """One received HTTP request; header names are lower-cased so lookups don't depend on the client."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """Body parsed as JSON (``{}`` when empty)."""
        return json.loads(self.body) if self.body else {}


@dataclass
class Reply:
    """What a fake answers; ``headers`` are sent as given.

    ``chunks``, when set, is written piece by piece (each flushed at once) with no Content-Length, and the
    connection closes at its end: how a streaming API's server-sent events arrive over HTTP/1.0.
    """

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunks: Iterable[bytes] | None = None

    @classmethod
    def of_json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        """A JSON reply with the content type real APIs send."""
        return cls(status, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})})

    @classmethod
    def of_text(cls, text: str, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        """A plain-text reply (Slack's response_url and upload endpoints answer like this)."""
        return cls(status, text.encode(), {"Content-Type": "text/plain; charset=utf-8", **(headers or {})})


class _Server(ThreadingHTTPServer):
    """Threaded server that never waits for handler threads and never does a reverse DNS lookup."""

    daemon_threads = True
    block_on_close = False  # a hanging handler must not block stop()
    request_queue_size = 128  # 50 concurrent clients must not be refused
    allow_reuse_address = True
    fake: FakeHTTPServer

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn, which can stall for seconds without DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


class _Handler(BaseHTTPRequestHandler):
    """Reads the whole request, hands it to the fake, writes its reply (HTTP/1.0: one request per socket)."""

    server: _Server
    timeout = 30  # a client that connects and sends nothing cannot pin a thread forever

    def log_message(self, *args: Any) -> None:
        """Silence the per-request stderr lines."""

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        incoming = Incoming(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        fake = self.server.fake
        try:
            reply = fake.handle(incoming)
        except Exception:  # a bug in a fake must show up in the test, not vanish in a thread
            fake.errors.append(traceback.format_exc())
            reply = Reply.of_text(traceback.format_exc(), status=500)
        if reply is None:
            self.close_connection = True
            return
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.chunks is not None:
                self.end_headers()
                self.wfile.flush()
                for chunk in reply.chunks:
                    self.wfile.write(chunk)
                    self.wfile.flush()
                self.close_connection = True
                return
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. its timeout fired during a delay)


for _verb in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"):  # BaseHTTPRequestHandler looks up do_<VERB>
    setattr(_Handler, f"do_{_verb}", _Handler._dispatch)


class FakeHTTPServer:
    """Base class: ``with Fake() as fake:`` serves on ``fake.url`` until the block ends."""

    def __init__(self) -> None:
        self.errors: list[str] = []  # tracebacks from handle(); tests may assert it stays empty
        self.stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The ephemeral port the server got."""
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._httpd.server_port

    @property
    def url(self) -> str:
        """Base URL with a trailing slash, e.g. ``http://127.0.0.1:PORT/``."""
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> Self:
        """Bind 127.0.0.1:0 and serve in a daemon thread."""
        if self._httpd is not None:
            return self
        self.stopping.clear()
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.fake = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, name=type(self).__name__, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release delayed/hanging handlers, stop serving and close the listening socket."""
        if self._httpd is None:
            return
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def pause(self, seconds: float) -> bool:
        """Sleep up to ``seconds`` unless the server stops first; True if it is stopping."""
        return self.stopping.wait(seconds)

    def handle(self, request: Incoming) -> Reply | None:
        """Answer one request; ``None`` closes the connection without a reply."""
        raise NotImplementedError


_reserved: list[socket.socket] = []


def closed_port_url() -> str:
    """URL of a 127.0.0.1 port where nothing listens, so connecting is refused at once.

    The port stays bound (never listening) for the life of the process, so no server started
    later in the test run can take it and turn "connection refused" into a real answer.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    _reserved.append(sock)
    return f"http://127.0.0.1:{sock.getsockname()[1]}/"
