"""FakeSocketMode: a local stand-in for Slack's Socket Mode WebSocket server (RFC 6455 subset).

Why: Bolt's ``SocketModeHandler`` and slack_sdk's builtin ``SocketModeClient`` must run unchanged in
tests, so this fake speaks the wire protocol: the HTTP Upgrade handshake, unmasked server text frames,
masked client frames, ping/pong and close. Serve its URL from ``apps.connections.open``::

    with FakeSocketMode() as ws:
        fake_slack.socket_mode_url = ws.url              # "ws://127.0.0.1:PORT/"
        handler = SocketModeHandler(app, "xapp-test", web_client=client)
        handler.connect()
        envelope_id = ws.send_envelope("slash_commands", {...})
        ws.wait_ack(envelope_id)                         # {"envelope_id": ..., "payload": ...?}

Wire details mirrored from slack_sdk 3.48 (socket_mode/builtin/connection.py and internals.py):

* TLS is chosen by port, not scheme: any port but 443 gets a plain socket, so ``ws://`` and
  ``wss://`` behave alike here. An HTTPS_PROXY/HTTP_PROXY in the environment would instead tunnel
  with TLS through the proxy, which is why the tests clear them.
* ``connect()`` returns on the 101 without waiting for "hello", and only logs connection errors.
* The client pings right after the handshake and drops the connection as stale after 4 ping
  intervals without a pong echoing its payload.
* Acks are ``{"envelope_id": ...}`` plus ``"payload"`` when the listener acked with content; Bolt
  sends no ack at all when it answered with a non-200 status.
* The client never sends a close frame: it just closes its socket, and its reader holds a lock that
  ``close()`` needs for up to 3 s (its socket timeout). Call ``drop()`` just before closing it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import socketserver
import struct
import threading
import uuid
from types import TracebackType
from typing import Any, Self

__all__ = ["FakeSocketMode"]

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3
_TEXT, _CLOSE, _PING, _PONG = 0x1, 0x8, 0x9, 0xA


def _frame(opcode: int, data: bytes) -> bytes:
    """One final, unmasked frame (servers must not mask, and slack_sdk cannot unmask)."""
    head = bytes([0x80 | opcode])
    if len(data) < 126:
        return head + bytes([len(data)]) + data
    if len(data) < 1 << 16:
        return head + struct.pack("!BH", 126, len(data)) + data
    return head + struct.pack("!BQ", 127, len(data)) + data


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    fake: FakeSocketMode


class _Session(socketserver.StreamRequestHandler):
    """One client connection: handshake, hello, then frames until either side closes."""

    server: _Server

    def handle(self) -> None:
        fake = self.server.fake
        key = ""
        try:
            while line := self.rfile.readline().strip():
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "sec-websocket-key":
                    key = value.strip()
            fake._open(self.request, base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode())
            while (frame := self._read_frame()) is not None:
                opcode, data = frame
                if opcode == _TEXT:
                    fake._received(json.loads(data))
                elif opcode == _PING:
                    fake._send(self.request, _frame(_PONG, data))
                elif opcode == _CLOSE:
                    fake._send(self.request, _frame(_CLOSE, data[:2]))
                    return
        except OSError:
            pass  # dropped
        finally:
            fake._closed(self.request)

    def _read_frame(self) -> tuple[int, bytes] | None:
        """A client frame, unmasked (clients must mask); None at end of stream."""
        head = self.rfile.read(2)
        if len(head) < 2:
            return None
        length = head[1] & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self.rfile.read(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self.rfile.read(8))
        mask = self.rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
        data = self.rfile.read(length)
        return head[0] & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


class FakeSocketMode:
    """Serves Socket Mode on 127.0.0.1 and records acks; ``with FakeSocketMode() as ws:``."""

    def __init__(self) -> None:
        self._messages: list[dict[str, Any]] = []
        self._connections: list[socket.socket] = []
        self._taken: dict[str, int] = {}  # envelope_id -> acks already returned by wait_ack
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Session)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.server_address[1]}/"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.drop()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Snapshot of every text message clients sent (acks, so far), in order."""
        with self._cond:
            return list(self._messages)

    def send_envelope(
        self,
        type: str,
        payload: dict[str, Any],
        envelope_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Deliver an envelope ("slash_commands", "interactive", "events_api") as Slack does; its id."""
        envelope_id = envelope_id or str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": type != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": retry_reason,
        }
        with self._cond:
            if not self._cond.wait_for(lambda: self._connections, timeout=5):
                raise AssertionError("no Socket Mode client connected within 5s")
            connection = self._connections[-1]  # Slack picks one; the newest is the live one
        self._send(connection, _frame(_TEXT, json.dumps(envelope).encode()))
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next ack for ``envelope_id`` not yet returned (so a redelivery's ack is a second call)."""
        with self._cond:
            taken = self._taken.get(envelope_id, 0)
            if not self._cond.wait_for(lambda: len(self.acks(envelope_id)) > taken, timeout=timeout):
                raise AssertionError(f"no ack #{taken + 1} for envelope {envelope_id} within {timeout}s")
            self._taken[envelope_id] = taken + 1
            return self.acks(envelope_id)[taken]

    def acks(self, envelope_id: str) -> list[dict[str, Any]]:
        """Every ack received for ``envelope_id`` so far."""
        with self._cond:
            return [m for m in self._messages if m.get("envelope_id") == envelope_id]

    def drop(self) -> None:
        """Cut every connection without a close frame, as a network failure would."""
        with self._cond:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already gone
                connection.shutdown(socket.SHUT_RDWR)

    # -- called from session threads --------------------------------------------------------------

    def _open(self, connection: socket.socket, accept: str) -> None:
        hello = {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {"host": "fake-socket-mode", "approximate_connection_time": 18060},
            "connection_info": {"app_id": "A1"},
        }
        response = (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
        ).encode()
        self._send(connection, response + _frame(_TEXT, json.dumps(hello).encode()))
        with self._cond:
            self._connections.append(connection)
            self._cond.notify_all()

    def _closed(self, connection: socket.socket) -> None:
        with self._cond:
            if connection in self._connections:
                self._connections.remove(connection)

    def _received(self, message: dict[str, Any]) -> None:
        with self._cond:
            self._messages.append(message)
            self._cond.notify_all()

    def _send(self, connection: socket.socket, data: bytes) -> None:
        with self._send_lock:
            connection.sendall(data)
