"""FakeSlack: a local stand-in for Slack's Web API, response_url webhooks and file-upload URLs.

Why: the bot's real ``slack_sdk.WebClient`` (and a real Bolt ``App``) must run unchanged in tests, so
this fake speaks the wire protocol instead of being a mock object.

Point the client at it with::

    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.api_url)   # == fake.url + "api/"

``WebClient.__init__`` appends a "/" to ``base_url`` when missing and then builds each URL with
``urllib.parse.urljoin(base_url, method)``, so ``fake.url + "api/"`` and ``fake.url + "api"`` both
reach ``POST /api/chat.postMessage``. A Bolt ``App(token=..., client=client, signing_secret=...)``
calls ``auth.test`` once at construction; the fake answers it (with an ``x-oauth-scopes`` header).

Wire details mirrored from slack_sdk 3.48: the token travels as ``Authorization: Bearer ...``;
methods such as chat.postMessage / views.open send JSON, others (users.info, files.*) send
form-encoded bodies. Recorded ``Call.args`` are the decoded body (plus any query string); in form
bodies the JSON-valued fields (blocks, attachments, view, files, metadata) are decoded too, so
assertions don't depend on the encoding. Header names in ``Call.headers`` are lower-cased.

Messages are kept as Slack keeps them: ``chat.postMessage`` stores one, ``chat.update`` replaces its text and
blocks, and the streaming methods build one (``chat.startStream`` opens it, ``chat.appendStream`` adds
markdown chunks, ``chat.stopStream`` finishes it with its blocks). A stream expires as Slack's do after
about 5 minutes: after ``stream_appends_before_expiry`` appends, or at ``expire_streams()``, appends and
stops answer ``message_not_in_streaming_state``. ``add_message`` seeds people's messages;
``conversations.replies`` reads a thread (oldest first, paginated with ``next_cursor`` like Slack).
``message(ts)`` returns a message's current state and ``thread(channel, ts)`` a thread's.

Errors look like Slack's: HTTP 200 with ``{"ok": false, "error": ...}`` (WebClient then raises
``SlackApiError``), or HTTP 429 + ``Retry-After`` for rate limits. slack_sdk parses Retry-After with
``int()``, so it must be a whole number of seconds.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from .http import FakeHTTPServer, Incoming, Reply

__all__ = ["BOT_ID", "BOT_USER_ID", "TEAM_ID", "Call", "FakeSlack"]

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T1"
_JSON_FORM_FIELDS = frozenset({"blocks", "attachments", "view", "files", "metadata"})
_SCOPES = "chat:write,commands,users:read,channels:read,groups:read,im:write,files:write"


@dataclass
class Call:
    """One request the fake received; ``error`` is what it answered with (None when ``ok``)."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    error: str | None = None
    at: float = field(default_factory=time.monotonic)  # when it arrived (benchmarks)


@dataclass
class _Failure:
    """A failure rule set by ``FakeSlack.fail``; ``times`` counts down, None means forever."""

    method: str
    error: str
    status: int
    retry_after: int | None
    channel: str | None
    times: int | None
    when: Callable[[dict[str, Any]], bool] | None = None

    def matches(self, method: str, args: dict[str, Any]) -> bool:
        if self.method != method or self.times == 0:
            return False
        if self.when is not None and not self.when(args):
            return False
        return self.channel is None or self.channel in (args.get("channel"), args.get("channel_id"))


class FakeSlack(FakeHTTPServer):
    """Records every call and answers like Slack; configure ``admins``/``owners``/``channel_names``."""

    def __init__(self, *, require_token: bool = True) -> None:
        super().__init__()
        self.admins: set[str] = set()  # users.info -> is_admin
        self.owners: set[str] = set()  # users.info -> is_owner (and is_admin, as in Slack)
        self.channel_names: dict[str, str] = {}  # conversations.info -> name (default: id lower-cased)
        self.uploads: dict[str, bytes] = {}  # file_id -> bytes POSTed to its upload_url
        self.require_token = require_token  # answer not_authed without a token, like Slack
        self.socket_mode_url: str | None = None  # apps.connections.open -> url (e.g. FakeSocketMode.url)
        self._calls: list[Call] = []
        self._failures: list[_Failure] = []
        self._cond = threading.Condition()
        self._seq = itertools.count(1)
        self._file_names: dict[str, str] = {}
        self._rate_limits: dict[str, tuple[float, int]] = {}  # method -> (interval, Retry-After)
        self._last_accepted: dict[tuple[str, str], float] = {}  # (method, channel) -> monotonic time
        self.display_names: dict[str, str] = {}  # users.info -> profile.display_name (default: id)
        self.stream_appends_before_expiry: int | None = None  # appends a stream takes before it expires
        self._messages: dict[str, dict[str, Any]] = {}  # ts -> the message as Slack would return it

    @property
    def api_url(self) -> str:
        """The ``base_url`` for ``WebClient``: ``http://127.0.0.1:PORT/api/``."""
        return self.url + "api/"

    # -- inspection -------------------------------------------------------------------------------

    def calls(self, method: str | None = None, predicate: Callable[[Call], bool] | None = None) -> list[Call]:
        """Snapshot of recorded calls, optionally only one method (e.g. "chat.postMessage") or matching."""
        with self._cond:
            return [
                c
                for c in self._calls
                if (method is None or c.method == method) and (predicate is None or predicate(c))
            ]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 20.0,
        predicate: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Block until ``count`` matching calls arrived (the bot replies from other threads); return them."""

        def matching() -> list[Call]:
            return [c for c in self._calls if c.method == method and (predicate is None or predicate(c))]

        with self._cond:
            if self._cond.wait_for(lambda: len(matching()) >= count, timeout=timeout):
                return matching()
            got = len(matching())
            seen = [c.method for c in self._calls]
        raise AssertionError(
            f"expected {count} {method!r} call(s) within {timeout}s, got {got}; recorded: {seen}"
        )

    def message(self, ts: str) -> dict[str, Any]:
        """The message with this ts as it stands now (text, blocks, and ``stream_state`` for streams)."""
        with self._cond:
            return dict(self._messages[ts])

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """Every message of a thread, oldest first, the parent included."""
        with self._cond:
            found = [
                dict(m)
                for m in self._messages.values()
                if m["channel"] == channel and (m["ts"] == thread_ts or m.get("thread_ts") == thread_ts)
            ]
        return sorted(found, key=lambda m: float(m["ts"]))

    def add_message(
        self, channel: str, text: str, *, user: str = "U1", thread_ts: str | None = None, **extra: Any
    ) -> str:
        """Seed a message someone wrote (``extra`` for bot_id, subtype, edited...); returns its ts."""
        ts = self._ts()
        message = {"type": "message", "user": user, "text": text, "ts": ts, "channel": channel, **extra}
        if thread_ts is not None:
            message["thread_ts"] = thread_ts
        with self._cond:
            self._messages[ts] = message
        return ts

    def expire_streams(self) -> None:
        """Every open stream ends as Slack ends a stream after about 5 minutes."""
        with self._cond:
            for message in self._messages.values():
                if message.get("stream_state") == "streaming":
                    message["stream_state"] = "expired"

    def clear(self) -> None:
        """Forget recorded calls (failure rules and uploads stay)."""
        with self._cond:
            self._calls.clear()

    # -- configuration ----------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        error: str | None = None,
        times: int | None = None,
        channel: str | None = None,
        *,
        status: int = 200,
        retry_after: int | None = None,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Make ``method`` fail: ``{"ok": false, "error": error}`` with HTTP ``status``.

        ``times`` limits it to the next N matching calls; ``channel`` to calls for that channel; ``when``
        to calls whose decoded args it accepts (e.g. only the answer, not the progress message).
        ``status=429`` defaults to error "ratelimited" and ``Retry-After: 1``. Works for the
        pseudo-methods "response_url" and "upload" too (answered as plain text, like Slack).
        The newest rule wins when several match.
        """
        if error is None:
            error = {200: "not_in_channel", 429: "ratelimited"}.get(status, "internal_error")
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._cond:
            self._failures.insert(0, _Failure(method, error, status, retry_after, channel, times, when))

    def rate_limit(self, method: str, interval: float, retry_after: int = 1) -> None:
        """Like Slack's per-channel limit: a ``method`` call for a channel less than ``interval`` seconds
        after the last one it accepted there is answered HTTP 429 ``ratelimited`` with ``Retry-After``."""
        with self._cond:
            self._rate_limits[method] = (interval, retry_after)

    def clear_failures(self) -> None:
        """Answer normally again."""
        with self._cond:
            self._failures.clear()

    def response_url(self, name: str = "x") -> str:
        """A response_url served by this fake; POSTs to it are recorded as method "response_url"."""
        return f"{self.url}response/{name}"

    # -- serving ----------------------------------------------------------------------------------

    def handle(self, request: Incoming) -> Reply | None:
        path = request.path
        if path.startswith("/api/"):
            return self._api(path.removeprefix("/api/"), request)
        if path.startswith("/response/"):
            return self._response_url(request)
        if path.startswith("/upload/"):
            return self._upload(path.removeprefix("/upload/"), request)
        return Reply.of_text("not found", status=404)

    def _record(self, call: Call) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    def _rate_limited(self, method: str, args: dict[str, Any]) -> _Failure | None:
        with self._cond:
            limit = self._rate_limits.get(method)
            if limit is None:
                return None
            interval, retry_after = limit
            key, now = (method, str(args.get("channel"))), time.monotonic()
            if now - self._last_accepted.get(key, -interval) < interval:
                return _Failure(method, "ratelimited", 429, retry_after, None, None)
            self._last_accepted[key] = now
        return None

    def _take_failure(self, method: str, args: dict[str, Any]) -> _Failure | None:
        limited = self._rate_limited(method, args)
        if limited is not None:
            return limited
        with self._cond:
            for rule in self._failures:
                if rule.matches(method, args):
                    if rule.times is not None:
                        rule.times -= 1
                    return rule
        return None

    def _api(self, method: str, request: Incoming) -> Reply:
        args = _parse_args(request)
        call = Call(method, args, request.headers)
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip() or args.get("token")
        failure = self._take_failure(method, args)
        if failure is not None:
            call.error = failure.error
            self._record(call)
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            return Reply.of_json({"ok": False, "error": failure.error}, failure.status, headers)
        if self.require_token and not token:
            call.error = "not_authed"
            self._record(call)
            return Reply.of_json({"ok": False, "error": "not_authed"})
        data = self._answer(method, args)
        if data.get("ok") is False:
            call.error = str(data.get("error"))
        self._record(call)
        headers = {"x-oauth-scopes": _SCOPES} if method == "auth.test" else {}
        return Reply.of_json(data, headers=headers)

    def _response_url(self, request: Incoming) -> Reply:
        try:
            args = request.json()
        except ValueError:
            args = {"_raw": request.body.decode(errors="replace")}
        call = Call("response_url", args, request.headers)
        failure = self._take_failure("response_url", args)
        call.error = failure.error if failure else None
        self._record(call)
        if failure is not None:
            return Reply.of_text(failure.error, status=failure.status if failure.status != 200 else 404)
        return Reply.of_text("ok")

    def _upload(self, file_id: str, request: Incoming) -> Reply:
        call = Call("upload", {"file_id": file_id, "size": len(request.body)}, request.headers)
        failure = self._take_failure("upload", call.args)
        call.error = failure.error if failure else None
        if failure is None:
            with self._cond:
                self.uploads[file_id] = request.body
        self._record(call)
        if failure is not None:
            return Reply.of_text(failure.error, status=failure.status if failure.status != 200 else 500)
        return Reply.of_text(f"OK - {len(request.body)}")

    # -- per-method answers -----------------------------------------------------------------------

    def _next(self) -> int:
        with self._cond:
            return next(self._seq)

    def _ts(self) -> str:
        """Unique, increasing, same-length message ts like "1700000000.000100"."""
        micros = 1_700_000_000_000_000 + self._next() * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://test.slack.com/",
                "team": "Test",
                "user": "routebot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "apps.connections.open" and self.socket_mode_url is not None:
            return {"ok": True, "url": self.socket_mode_url}
        if method == "chat.postMessage":
            ts = self._ts()
            self._store(args, ts)
            return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": _message(args, ts)}
        if method in ("chat.startStream", "chat.appendStream", "chat.stopStream"):
            return self._stream(method, args)
        if method == "conversations.replies":
            return self._replies(args)
        if method == "chat.update":
            ts = args.get("ts")
            with self._cond:
                stored = self._messages.get(str(ts))
                if stored is not None:
                    stored.update({k: args[k] for k in ("text", "blocks") if k in args})
            return {
                "ok": True,
                "channel": args.get("channel"),
                "ts": ts,
                "text": args.get("text", ""),
                "message": _message(args, ts),
            }
        if method == "chat.delete":
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._ts()}
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            return {"ok": True, "view": self._view(args)}
        if method == "users.info":
            return {"ok": True, "user": self._user(str(args.get("user", "")))}
        if method == "conversations.open":  # a DM with the user: its id is "D" + the user id
            return {"ok": True, "channel": {"id": "D" + str(args.get("users", "")).split(",")[0]}}
        if method == "conversations.info":
            return {"ok": True, "channel": self._channel(str(args.get("channel", "")))}
        if method == "files.getUploadURLExternal":
            file_id = f"F{self._next():08d}"
            with self._cond:
                self._file_names[file_id] = str(args.get("filename", ""))
            return {"ok": True, "upload_url": f"{self.url}upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [self._file(f, args) for f in args.get("files") or []]}
        return {"ok": True}

    def _store(self, args: dict[str, Any], ts: str, **extra: Any) -> dict[str, Any]:
        message = {**_message(args, ts), "channel": args.get("channel"), **extra}
        with self._cond:
            self._messages[ts] = message
        return message

    def _stream(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """chat.startStream / appendStream / stopStream: https://docs.slack.dev/reference/methods/chat.startStream"""
        text = "".join(
            str(c.get("text", "")) for c in args.get("chunks") or [] if c.get("type") == "markdown_text"
        ) + str(args.get("markdown_text") or "")
        channel = str(args.get("channel", ""))
        if method == "chat.startStream":
            if channel[:1] in ("C", "G") and not (
                args.get("recipient_user_id") and args.get("recipient_team_id")
            ):
                return {"ok": False, "error": "invalid_arguments"}  # required when streaming to channels
            ts = self._ts()
            fields = {"channel": channel, "thread_ts": args.get("thread_ts")}
            self._store(fields, ts, text=text, stream_state="streaming", appends=0)
            return {"ok": True, "channel": channel, "ts": ts}
        with self._cond:
            message = self._messages.get(str(args.get("ts")))
            if message is None:
                return {"ok": False, "error": "message_not_found"}
            if message.get("stream_state") != "streaming":
                return {"ok": False, "error": "message_not_in_streaming_state"}
            message["text"] += text
            if method == "chat.appendStream":
                message["appends"] += 1
                limit = self.stream_appends_before_expiry
                if limit is not None and message["appends"] >= limit:
                    message["stream_state"] = "expired"
            else:
                message["stream_state"] = "stopped"
                if args.get("blocks") is not None:
                    message["blocks"] = args["blocks"]
            return {"ok": True, "channel": channel, "ts": message["ts"]}

    def _replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """conversations.replies: the parent and its replies, oldest first, pages of `limit` (max 1000)."""
        channel, ts = str(args.get("channel", "")), str(args.get("ts", ""))
        thread = self.thread(channel, ts)
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        if args.get("oldest") or args.get("latest"):  # the parent always comes first, as in Slack
            low, high = float(args.get("oldest") or 0), float(args.get("latest") or "inf")
            thread = thread[:1] + [m for m in thread[1:] if low <= float(m["ts"]) <= high]
        limit = min(int(args.get("limit") or 1000), 1000)
        start = int(args.get("cursor") or 0)
        page = [{k: v for k, v in m.items() if k not in ("channel", "appends")} for m in thread]
        page = page[start : start + limit]
        more = start + limit < len(thread)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _view(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view") if isinstance(args.get("view"), dict) else {}
        view_id = args.get("view_id") or f"V{self._next():08d}"
        return {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": args.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{self._next()}.hash",
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": "A1",
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
            **view,
        }

    def _user(self, user_id: str) -> dict[str, Any]:
        name = "routebot" if user_id == BOT_USER_ID else user_id.lower()
        display = self.display_names.get(user_id, name)
        is_owner = user_id in self.owners
        return {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "real_name": name.title(),
            "deleted": False,
            "is_bot": user_id == BOT_USER_ID,
            "is_admin": is_owner or user_id in self.admins,
            "is_owner": is_owner,
            "is_primary_owner": False,
            "tz": "UTC",
            "profile": {"real_name": name.title(), "display_name": display},
        }

    def _channel(self, channel_id: str) -> dict[str, Any]:
        return {
            "id": channel_id,
            "name": self.channel_names.get(channel_id, channel_id.lower()),
            "is_channel": channel_id.startswith("C"),
            "is_group": channel_id.startswith("G"),
            "is_im": channel_id.startswith("D"),
            "is_private": channel_id.startswith("G"),
            "is_archived": False,
            "is_member": True,
            "created": 1_700_000_000,
        }

    def _file(self, item: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
        file_id = str(item.get("id", ""))
        with self._cond:
            name = self._file_names.get(file_id, "")
            size = len(self.uploads.get(file_id, b""))
        channel = args.get("channel_id")
        return {
            "id": file_id,
            "name": name,
            "title": item.get("title") or name,
            "size": size,
            "channels": [channel] if channel else [],
        }


def _message(args: dict[str, Any], ts: Any) -> dict[str, Any]:
    """The message object Slack echoes back: what the bot sent, as posted by the bot user."""
    body = {k: v for k, v in args.items() if k not in ("channel", "token", "as_user")}
    return {**body, "type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": ts}


def _parse_args(request: Incoming) -> dict[str, Any]:
    """Decode a Web API request the way Slack accepts it: JSON, form fields or query string."""
    args: dict[str, Any] = dict(request.query)
    content_type = request.headers.get("content-type", "")
    if not request.body:
        return args
    if content_type.startswith("application/json"):
        args.update(json.loads(request.body))
    elif content_type.startswith("multipart/form-data"):
        args["_multipart_bytes"] = len(request.body)  # legacy files.upload; not decoded
    else:
        for key, value in parse_qsl(request.body.decode(), keep_blank_values=True):
            if key in _JSON_FORM_FIELDS and value[:1] in ("[", "{"):
                args[key] = json.loads(value)
            else:
                args[key] = value
    return args
