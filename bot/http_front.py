"""The WSGI application `routebot serve` runs in HTTP mode: a front that refuses what is not a well-formed,
signed Slack request, then Bolt's own WSGI adapter, plus GET /healthz for load balancers.

Bolt alone reads the whole body, parses it and only then checks the signature, logging the body when the
signature is wrong; an unsigned 200 MB POST cost 1.2 GB of memory and 210 MB of log. Here the size comes
first (from Content-Length, before reading), then the signature over the raw bytes, then the shape; each
refusal is a 4xx and one log line, never the body. Bolt still checks the signature again (harmless, and it
keeps direct `app.dispatch` callers safe).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier

from bot.app import Built

log = logging.getLogger("routebot.http")
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# Slack's largest payloads (a view_submission of a big modal, a message action on a long message) are tens
# of KiB; 1 MiB leaves room and bounds what an unsigned client can make us read.
MAX_BODY = 1 << 20
_READ_BLOCK = 64 << 10
_COMMAND_FIELDS = ("user_id", "channel_id", "response_url")
_HANDLED_EVENTS = ("app_mention", "message", "app_home_opened")
_EVENT_TEXT_FIELDS = ("user", "channel", "ts", "thread_ts", "event_ts", "text")  # in those events
_OBJECT_FIELDS = ("channel", "container", "message", "team", "state", "view")  # in interactive payloads


class Refused(Exception):
    """A request answered by the front itself: `status` and a reason for the log and the client."""

    def __init__(self, status: str, reason: str) -> None:
        self.status, self.reason = status, reason
        super().__init__(reason)


def read_body(environ: dict[str, Any], limit: int = MAX_BODY) -> bytes:
    """The request body, at most `limit` bytes; refused from Content-Length before reading anything.

    Without a Content-Length (a chunked body a server passes on as such) it reads in blocks and stops as
    soon as the limit is passed.
    """
    stream = environ.get("wsgi.input")
    raw_length = str(environ.get("CONTENT_LENGTH") or "").strip()
    if raw_length:
        if not raw_length.isdigit():
            raise Refused("400 Bad Request", "Content-Length is not a number")
        length = int(raw_length)
        if length > limit:
            raise Refused("413 Request Entity Too Large", f"body of {length} bytes is over {limit}")
        return stream.read(length) if stream is not None and length else b""
    if stream is None or not environ.get("wsgi.input_terminated"):
        # PEP 3333: without Content-Length, reading is only safe where the server says the input ends.
        return b""
    chunks: list[bytes] = []
    size = 0
    while block := stream.read(_READ_BLOCK):
        size += len(block)
        if size > limit:
            raise Refused("413 Request Entity Too Large", f"chunked body over {limit} bytes")
        chunks.append(block)
    return b"".join(chunks)


def decode(body: bytes) -> str:
    """Slack sends UTF-8; slack_sdk's verifier decodes before hashing and would raise on anything else."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("400 Bad Request", "body is not UTF-8") from None


def check_signature(verifier: SignatureVerifier, environ: dict[str, Any], body: str) -> None:
    """Slack's v0 signature over the raw body and a timestamp within five minutes."""
    timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "").strip()
    signature = str(environ.get("HTTP_X_SLACK_SIGNATURE") or "").strip()
    if not timestamp or not signature:
        raise Refused("401 Unauthorized", "no Slack signature")
    if not timestamp.isdigit():
        # slack_sdk would raise ValueError on int(timestamp): a 500 with a traceback.
        raise Refused("400 Bad Request", "X-Slack-Request-Timestamp is not a number")
    if not verifier.is_valid(body, timestamp, signature):
        raise Refused("401 Unauthorized", "bad or expired Slack signature")


def form_fields(text: str) -> dict[str, str]:
    """The body read as a form; parsed once per request, for the ssl_check test and check_shape both."""
    return dict(parse_qsl(text, keep_blank_values=True))


def check_shape(text: str, content_type: str, fields: dict[str, str] | None = None) -> dict[str, str] | None:
    """What Bolt's parser would crash on (a 500 with a traceback) is refused here with a 400.

    Returns the fields of a form body (a slash command, or an interaction's `payload=`); None for JSON.
    `fields` is form_fields(text) when the caller has it already.
    """
    if content_type.split(";")[0].strip().lower() == "application/json" or text.startswith("{"):
        _check_event(_json_object(text, "body"))
        return None
    form = fields if fields is not None else form_fields(text)
    if "payload" in form:
        _check_interaction(_json_object(form["payload"], "payload"))
    elif "command" in form:
        missing = [name for name in _COMMAND_FIELDS if not form.get(name)]
        if missing:
            raise Refused("400 Bad Request", f"slash command without {', '.join(missing)}")
    return form


def as_bolt_parses(
    text: str, form: dict[str, str] | None, environ: dict[str, Any], secret: str
) -> tuple[str, dict[str, Any]]:
    """The body and environ to hand Bolt, so that Bolt reads the fields Slack sent.

    slack_bolt 1.30's parse_body takes any form body containing the letters "payload" for an interaction
    and, finding no payload= field, reads it as {}: `/route explain this webhook payload` was answered
    404. Such a body goes to Bolt as the same fields in JSON, which Bolt parses as sent, signed again with
    the same secret and timestamp (the front has verified the original), since Bolt checks the signature
    of what it gets. Every other body goes through unchanged.
    """
    if form is None or "payload" in form or "payload" not in text:
        return text, environ
    as_json = json.dumps(form, ensure_ascii=False)
    timestamp = str(environ["HTTP_X_SLACK_REQUEST_TIMESTAMP"]).strip()
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=as_json)
    return as_json, {**environ, "CONTENT_TYPE": "application/json", "HTTP_X_SLACK_SIGNATURE": signature}


def _check_interaction(data: dict[str, Any]) -> None:
    """Fields Slack always sends and Bolt's listeners index without a guard.

    Every interactive payload carries the user who acted; a click on a message also carries the
    response_url to answer it privately (a click in a Home tab view has none, and needs none).
    https://api.slack.com/reference/interaction-payloads/block-actions
    """
    if not isinstance(data.get("type"), str):
        raise Refused("400 Bad Request", "payload has no type")
    user = data.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        raise Refused("400 Bad Request", f"{data['type']} payload without a user id")
    container = data.get("container")
    on_message = isinstance(container, dict) and container.get("type") == "message"
    if data["type"] == "block_actions" and on_message and not isinstance(data.get("response_url"), str):
        raise Refused("400 Bad Request", "block_actions on a message without a response_url")
    # Bolt's matchers read actions[0]["action_id"] and view["callback_id"] without a guard...
    if data["type"] == "block_actions":
        actions = data.get("actions")
        first = actions[0] if isinstance(actions, list) and actions else None
        if not isinstance(first, dict) or not isinstance(first.get("action_id"), str):
            raise Refused("400 Bad Request", "block_actions without an action id")
    # ...and Bolt and the listeners read these as objects wherever given (`(body.get("channel") or {}).get`).
    for name in _OBJECT_FIELDS:
        if data.get(name) is not None and not isinstance(data[name], dict):
            raise Refused("400 Bad Request", f"{data['type']} payload whose {name} is not an object")


def _check_event(data: dict[str, Any]) -> None:
    """An Events API envelope whose event Bolt would index as an object (`event["type"]`, `event.get`), or
    an event routebot handles whose ids or text are not text (they go into SQL parameters and sets)."""
    if data.get("type") != "event_callback" or "event" not in data:
        return
    event = data["event"]
    if not isinstance(event, dict):
        raise Refused("400 Bad Request", "event_callback whose event is not an object")
    if event.get("type") in _HANDLED_EVENTS:
        for name in _EVENT_TEXT_FIELDS:
            if event.get(name) is not None and not isinstance(event[name], str):
                raise Refused("400 Bad Request", f"{event['type']} event whose {name} is not text")
    if event.get("type") in ("app_mention", "message") and not event.get("ts"):
        raise Refused("400 Bad Request", f"{event['type']} event without a ts")  # every message has one


def _is_ssl_check(text: str, fields: dict[str, str]) -> bool:
    return len(text) < 1024 and fields.get("ssl_check") == "1"


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        raise Refused("400 Bad Request", f"{what} is not JSON") from None
    if not isinstance(data, dict):
        raise Refused("400 Bad Request", f"{what} is not a JSON object")
    return data


def wsgi_app(built: Built, path: str = "/slack/events", max_body: int = MAX_BODY) -> WsgiApp:
    """Bolt's WSGI handler at `path` behind the front, plus GET /healthz."""
    slack = SlackRequestHandler(built.app, path=path)
    secret = built.bot.config.slack_signing_secret or ""
    verifier = SignatureVerifier(secret)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method, where = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
        if where == "/healthz" and method in ("GET", "HEAD"):
            return _reply(start_response, "200 OK", "ok")
        if where != path:
            return _reply(start_response, "404 Not Found", "not found")
        if method != "POST":
            return _reply(start_response, "405 Method Not Allowed", "POST only", [("Allow", "POST")])
        try:
            body = read_body(environ, max_body)
            text = decode(body)
            fields = form_fields(text)
            if _is_ssl_check(text, fields):
                # Slack's periodic check of a slash command URL; Bolt answers it 200 before any signature
                # check, and so do we. https://api.slack.com/interactivity/slash-commands#ssl
                return _reply(start_response, "200 OK", "")
            check_signature(verifier, environ, text)
            form = check_shape(text, str(environ.get("CONTENT_TYPE") or ""), fields)
        except Refused as refused:
            log.warning(
                "refused %s %s from %s: %s", method, where, environ.get("REMOTE_ADDR", "?"), refused.reason
            )
            return _reply(start_response, refused.status, refused.reason)
        text, environ = as_bolt_parses(text, form, environ, secret)
        # Bolt's adapter reads the body again, from the bytes already read.
        data = text.encode()
        inner = {**environ, "wsgi.input": io.BytesIO(data), "CONTENT_LENGTH": str(len(data))}
        return slack(inner, start_response)

    return application


def _reply(
    start_response: Callable[..., Any],
    status: str,
    text: str,
    extra: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    data = text.encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))]
    start_response(status, headers + (extra or []))
    return [data]
