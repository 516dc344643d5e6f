"""FakeAnthropic and FakeOpenAI: local servers that answer like the real model APIs.

Why: the bot's real SDK clients (retries, timeouts, error classes, response parsing) stay in the
loop, while tests choose the text, token usage, latency and failures.

Point the SDKs at them with::

    anthropic.Anthropic(api_key="k", base_url=fake.url, max_retries=0)     # POST /v1/messages
    openai.OpenAI(api_key="k", base_url=fake.url + "v1", max_retries=0)    # POST /v1/responses

anthropic 2.14 appends its own "/v1/messages" to ``base_url`` (so no "/v1" there), while openai
3.57 posts "/responses" relative to ``base_url`` (whose default already ends in "/v1"). Any other
path is answered 404 in the API's error shape, naming the path that was hit.

Per test: ``fake.reply(text, usage)``, ``fake.reply_fn = lambda body: (text, usage_or_None)``,
``fake.delay = 0.2`` (per request; other requests are served meanwhile), ``fake.fail(429, times=1,
retry_after=2)``, ``fake.hang = True`` (read the request, never answer, until the fake stops),
``fake.hold()`` / ``fake.release()`` (requests wait, answered on release), ``fake.refuse = True`` (a
refusal: Anthropic's ``stop_reason: "refusal"`` with the text, if any, as the only content; OpenAI's
``refusal`` content part), ``fake.fail(200, body="<html>")`` (an unreadable 200).

Streaming (``stream=True``) is answered with server-sent events in each API's own order and shapes (Anthropic:
message_start, content_block_start, ping, content_block_delta..., content_block_stop, message_delta with the
cumulative usage, message_stop; OpenAI: response.created, response.in_progress, output_item.added,
content_part.added, output_text.delta..., the done events, response.completed with usage). The text is cut
into word tokens (a word and the space after it), each sent as one delta. Per test: ``first_token_delay``
(seconds "thinking" before the first delta), ``token_delay`` (between deltas), ``fail_after=N`` (an error
event after N deltas, as the APIs send when overloaded mid-stream), ``cut_after=N`` (the connection drops
after N deltas), ``gate`` + ``gate_after=N`` (stop after N deltas until the test sets the event),
``pace_over`` (spread the deltas evenly over that many seconds); ``first_delta_at`` records when each
stream's first delta left, with its request.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from .http import FakeHTTPServer, Incoming, Reply, closed_port_url

__all__ = ["FakeAnthropic", "FakeOpenAI", "ModelRequest", "ReplyFn", "closed_port_url", "word_tokens"]

ReplyFn = Callable[[dict[str, Any]], tuple[str, dict[str, Any] | None]]


@dataclass
class ModelRequest:
    """One request a model fake received: path, parsed JSON body, lower-cased headers."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class _Failure:
    status: int
    times: int | None  # counts down; None means until clear_failures()
    retry_after: float | None
    body: dict[str, Any] | str | None
    content_type: str | None = None  # for a str body: default text/plain


def word_tokens(text: str) -> list[str]:
    """The fake's tokens: each word with the whitespace after it (leading whitespace is one of its own)."""
    return re.findall(r"\S+\s*|\s+", text)


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Deep merge so a test can override one nested usage field and keep the rest."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


class _FakeModelAPI(FakeHTTPServer):
    """Shared recording / reply / failure / delay / hang logic; subclasses shape the JSON."""

    endpoint: ClassVar[str]
    request_id_header: ClassVar[str]
    default_usage: ClassVar[dict[str, Any]]

    def __init__(self) -> None:
        super().__init__()
        self.text = "ok"
        self.usage: dict[str, Any] = {}
        self.reply_fn: ReplyFn | None = None
        self.delay = 0.0
        self.hang = False
        self.hang_seconds = 30.0  # upper bound, so a forgotten hang cannot pin a thread forever
        self.refuse = False
        self._open = threading.Event()  # hold() closes it: requests wait until release()
        self._open.set()
        self.first_token_delay = 0.0
        self.token_delay = 0.0
        self.fail_after: int | None = None
        self.cut_after: int | None = None
        self.gate: threading.Event | None = None
        self.gate_after = 0
        self.pace_over: float | None = None  # spread all deltas evenly over this many seconds (benchmarks)
        self.first_delta_at: list[tuple[float, dict[str, Any]]] = []  # (monotonic time, request body)
        self._requests: list[ModelRequest] = []
        self._failures: list[_Failure] = []
        self._cond = threading.Condition()
        self._seq = itertools.count(1)

    # -- configuration ----------------------------------------------------------------------------

    def reply(self, text: str = "ok", usage: dict[str, Any] | None = None) -> None:
        """Default answer; ``usage`` is merged over small default token counts."""
        self.text = text
        self.usage = dict(usage or {})

    def fail(
        self,
        status: int,
        times: int | None = None,
        retry_after: float | None = None,
        body: dict[str, Any] | str | None = None,
        content_type: str | None = None,
    ) -> None:
        """Answer HTTP ``status`` with the API's error JSON (or ``body``: a dict as JSON, a str as-is,
        sent as ``content_type``, by default text/plain).

        ``times`` limits it to the next N requests; ``retry_after`` adds a ``retry-after`` header.
        """
        with self._cond:
            self._failures.append(_Failure(status, times, retry_after, body, content_type))

    def clear_failures(self) -> None:
        """Answer normally again."""
        with self._cond:
            self._failures.clear()

    def hold(self) -> None:
        """Keep every request waiting (received and recorded, unanswered) until ``release()``."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    # -- inspection -------------------------------------------------------------------------------

    @property
    def requests(self) -> list[ModelRequest]:
        """Snapshot of every request received, in arrival order."""
        with self._cond:
            return list(self._requests)

    def wait_for(self, count: int = 1, timeout: float = 20.0) -> list[ModelRequest]:
        """Block until ``count`` requests arrived; AssertionError on timeout."""
        with self._cond:
            if self._cond.wait_for(lambda: len(self._requests) >= count, timeout=timeout):
                return list(self._requests)
            got = len(self._requests)
        raise AssertionError(f"expected {count} request(s) within {timeout}s, got {got}")

    def clear(self) -> None:
        """Forget recorded requests."""
        with self._cond:
            self._requests.clear()

    # -- serving ----------------------------------------------------------------------------------

    def handle(self, request: Incoming) -> Reply | None:
        try:
            body = request.json()
        except ValueError:
            body = {"_raw": request.body.decode(errors="replace")}
        with self._cond:
            self._requests.append(ModelRequest(request.path, body, request.headers))
            self._cond.notify_all()
        if self.hang:
            self.pause(self.hang_seconds)
            return None
        while not self._open.wait(0.05):  # held: wait for release(), or for the fake to stop
            if self.stopping.is_set():
                return None
        if self.delay and self.pause(self.delay):
            return None
        failure = self._take_failure()
        if failure is not None:
            return self._error_reply(failure)
        if request.method != "POST" or request.path != self.endpoint:
            message = f"fake serves POST {self.endpoint}, got {request.method} {request.path}: check base_url"
            return self._error_reply(_Failure(404, None, None, None), message)
        reply_fn = self.reply_fn
        text, usage = reply_fn(body) if reply_fn is not None else (self.text, None)
        merged = _merge(self.default_usage, self._normalize_usage(self.usage if usage is None else usage))
        usage = self._finish_usage(merged)
        headers = {self.request_id_header: self._id("req_")}
        if body.get("stream"):
            headers.update({"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"})
            events = self._events(body, text, usage)
            return Reply(200, headers=headers, chunks=self._paced(events, len(word_tokens(text)), body))
        return Reply.of_json(self._success(body, text, usage), headers=headers)

    # -- streaming --------------------------------------------------------------------------------

    def _paced(
        self, events: Iterator[tuple[str, dict[str, Any]] | int], tokens: int, body: dict[str, Any]
    ) -> Iterator[bytes]:
        """Encode events as SSE; an int in the stream marks "delta number N comes next" for pacing."""
        started, first = time.monotonic(), True
        for item in events:
            if isinstance(item, int):
                if self._wait_before_delta(item, started, tokens):
                    return
                continue
            if item == ("cut", {}):
                return
            name, data = item
            chunk = f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
            if first and name in ("content_block_delta", "response.output_text.delta"):
                first = False
                with self._cond:
                    self.first_delta_at.append((time.monotonic(), body))
            yield chunk

    def _wait_before_delta(self, index: int, started: float, tokens: int) -> bool:
        """Sleep as configured before delta `index`; True means stop (the fake is shutting down)."""
        if self.pace_over and tokens:
            due = started + self.first_token_delay + index * self.pace_over / tokens
            if self.pause(max(0.0, due - time.monotonic())):
                return True
        elif index == 0 and self.first_token_delay and self.pause(self.first_token_delay):
            return True
        if index > 0 and not self.pace_over and self.token_delay and self.pause(self.token_delay):
            return True
        gate = self.gate
        if gate is not None and index == self.gate_after:
            while not gate.wait(0.01):
                if self.stopping.is_set():
                    return True
        return False

    def _events(
        self, body: dict[str, Any], text: str, usage: dict[str, Any]
    ) -> Iterator[tuple[str, dict[str, Any]] | int]:
        raise NotImplementedError

    def _interruption(self, index: int) -> str | None:
        """ "fail" or "cut" when the stream should break before delta `index`."""
        if self.fail_after is not None and index == self.fail_after:
            return "fail"
        if self.cut_after is not None and index == self.cut_after:
            return "cut"
        return None

    def _take_failure(self) -> _Failure | None:
        with self._cond:
            for rule in self._failures:
                if rule.times is None or rule.times > 0:
                    if rule.times is not None:
                        rule.times -= 1
                    return rule
        return None

    def _error_reply(self, failure: _Failure, message: str | None = None) -> Reply:
        headers = {self.request_id_header: self._id("req_")}
        if failure.retry_after is not None:
            headers["retry-after"] = f"{failure.retry_after:g}"
        if isinstance(failure.body, str):
            if failure.content_type:
                headers["Content-Type"] = failure.content_type
                return Reply(failure.status, failure.body.encode(), headers)
            return Reply.of_text(failure.body, failure.status, headers)
        data = failure.body if failure.body is not None else self._error_body(failure.status, message)
        return Reply.of_json(data, failure.status, headers)

    def _id(self, prefix: str) -> str:
        with self._cond:
            n = next(self._seq)
        return f"{prefix}{n:04d}{uuid.uuid4().hex[:20]}"

    # -- per-API shapes ---------------------------------------------------------------------------

    def _normalize_usage(self, usage: dict[str, Any]) -> dict[str, Any]:
        return usage

    def _finish_usage(self, usage: dict[str, Any]) -> dict[str, Any]:
        return usage

    def _success(self, body: dict[str, Any], text: str, usage: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _error_body(self, status: int, message: str | None) -> dict[str, Any]:
        raise NotImplementedError


_ANTHROPIC_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request"),
    401: ("authentication_error", "invalid x-api-key"),
    402: ("billing_error", "Your credit balance is too low to access the Anthropic API."),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "Not found"),
    408: ("timeout_error", "Request timed out"),
    409: ("conflict_error", "Conflict"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
    500: ("api_error", "Internal server error"),
    504: ("timeout_error", "Request timed out"),
    529: ("overloaded_error", "Overloaded"),
}


class FakeAnthropic(_FakeModelAPI):
    """Answers ``POST /v1/messages`` with a Message: one text block, ``stop_reason``, usage."""

    endpoint = "/v1/messages"
    request_id_header = "request-id"
    default_usage: ClassVar[dict[str, Any]] = {
        "input_tokens": 12,
        "output_tokens": 7,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "service_tier": "standard",
    }

    def __init__(self) -> None:
        super().__init__()
        self.stop_reason = "end_turn"  # e.g. "max_tokens" to test truncated answers

    def _finish_usage(self, usage: dict[str, Any]) -> dict[str, Any]:
        # Real replies break cache writes down by TTL; keep the breakdown consistent with the total.
        usage.setdefault(
            "cache_creation",
            {
                "ephemeral_5m_input_tokens": usage.get("cache_creation_input_tokens") or 0,
                "ephemeral_1h_input_tokens": 0,
            },
        )
        return usage

    def _success(self, body: dict[str, Any], text: str, usage: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self._id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "claude-fake"),
            "content": [{"type": "text", "text": text}] if text or not self.refuse else [],
            "stop_reason": "refusal" if self.refuse else self.stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }

    def _events(
        self, body: dict[str, Any], text: str, usage: dict[str, Any]
    ) -> Iterator[tuple[str, dict[str, Any]] | int]:
        message = self._success(body, "", {**usage, "output_tokens": 1})
        message["content"], message["stop_reason"] = [], None
        yield "message_start", {"type": "message_start", "message": message}
        yield (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": "", "citations": None},
            },
        )
        yield "ping", {"type": "ping"}
        for index, token in enumerate(word_tokens(text)):
            yield index
            broken = self._interruption(index)
            if broken == "cut":
                yield "cut", {}
                return
            if broken == "fail":
                yield "error", self._error_body(529, None)
                return
            yield (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": token},
                },
            )
        yield "content_block_stop", {"type": "content_block_stop", "index": 0}
        counted = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
        final = {k: usage[k] for k in counted}
        yield (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {
                    "stop_reason": "refusal" if self.refuse else self.stop_reason,
                    "stop_sequence": None,
                },
                "usage": {**final, "output_tokens": usage["output_tokens"]},
            },
        )
        yield "message_stop", {"type": "message_stop"}

    def _error_body(self, status: int, message: str | None) -> dict[str, Any]:
        kind, default = _ANTHROPIC_ERRORS.get(
            status,
            ("api_error", "Internal server error") if status >= 500 else ("invalid_request_error", "Error"),
        )
        return {
            "type": "error",
            "error": {"type": kind, "message": message or default},
            "request_id": self._id("req_"),
        }


_OPENAI_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided: k."),
    403: (
        "invalid_request_error",
        "unsupported_country_region_territory",
        "Country, region, or territory not supported",
    ),
    404: ("invalid_request_error", None, "Not found."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again in 1s."),
    500: ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


class FakeOpenAI(_FakeModelAPI):
    """Answers ``POST /v1/responses`` with a completed Response (``output_text`` works).

    ``usage`` takes the real nested shape or flat shortcuts: ``cached_tokens`` and
    ``cache_write_tokens`` go to ``input_tokens_details``, ``reasoning_tokens`` to
    ``output_tokens_details``; ``total_tokens`` is input + output unless given. When the request
    asks for ``reasoning``, the output starts with a reasoning item, as the real API's does.
    """

    endpoint = "/v1/responses"
    request_id_header = "x-request-id"
    default_usage: ClassVar[dict[str, Any]] = {
        "input_tokens": 12,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": 7,
        "output_tokens_details": {"reasoning_tokens": 0},
    }

    def _normalize_usage(self, usage: dict[str, Any]) -> dict[str, Any]:
        out = {
            k: v
            for k, v in usage.items()
            if k not in ("cached_tokens", "cache_write_tokens", "reasoning_tokens")
        }
        for key in ("cached_tokens", "cache_write_tokens"):
            if key in usage:
                out.setdefault("input_tokens_details", {})[key] = usage[key]
        if "reasoning_tokens" in usage:
            out.setdefault("output_tokens_details", {})["reasoning_tokens"] = usage["reasoning_tokens"]
        return out

    def _finish_usage(self, usage: dict[str, Any]) -> dict[str, Any]:
        usage.setdefault("total_tokens", usage["input_tokens"] + usage["output_tokens"])
        return usage

    def _success(self, body: dict[str, Any], text: str, usage: dict[str, Any]) -> dict[str, Any]:
        output: list[dict[str, Any]] = []
        if body.get("reasoning"):
            output.append({"type": "reasoning", "id": self._id("rs_"), "summary": []})
        output.append(
            {
                "type": "message",
                "id": self._id("msg_"),
                "status": "completed",
                "role": "assistant",
                "content": [
                    {"type": "refusal", "refusal": text}
                    if self.refuse
                    else {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
                ],
            }
        )
        now = int(time.time())
        return {
            "id": self._id("resp_"),
            "object": "response",
            "created_at": now,
            "completed_at": now,
            "status": "completed",
            "background": False,
            "error": None,
            "incomplete_details": None,
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "model": body.get("model", "gpt-fake"),
            "output": output,
            "parallel_tool_calls": True,
            "previous_response_id": body.get("previous_response_id"),
            "reasoning": {"effort": (body.get("reasoning") or {}).get("effort"), "summary": None},
            "store": body.get("store", True),
            "temperature": 1.0,
            "text": {"format": {"type": "text"}, "verbosity": "medium"},
            "tool_choice": "auto",
            "tools": [],
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": usage,
            "user": None,
            "metadata": body.get("metadata") or {},
        }

    def _events(
        self, body: dict[str, Any], text: str, usage: dict[str, Any]
    ) -> Iterator[tuple[str, dict[str, Any]] | int]:
        final = self._success(body, text, usage)
        seq = itertools.count(0)
        pending = {**final, "status": "in_progress", "output": [], "usage": None, "completed_at": None}
        yield (
            "response.created",
            {
                "type": "response.created",
                "sequence_number": next(seq),
                "response": pending,
            },
        )
        yield (
            "response.in_progress",
            {
                "type": "response.in_progress",
                "sequence_number": next(seq),
                "response": pending,
            },
        )
        output_index = 0
        for item in final["output"]:
            if item["type"] == "reasoning":
                for kind in ("response.output_item.added", "response.output_item.done"):
                    yield (
                        kind,
                        {
                            "type": kind,
                            "sequence_number": next(seq),
                            "output_index": output_index,
                            "item": item,
                        },
                    )
                output_index += 1
        message = final["output"][-1]
        item_id = message["id"]
        where = {"item_id": item_id, "output_index": output_index, "content_index": 0}
        yield (
            "response.output_item.added",
            {
                "type": "response.output_item.added",
                "sequence_number": next(seq),
                "output_index": output_index,
                "item": {**message, "status": "in_progress", "content": []},
            },
        )
        # A refusal streams as refusal deltas into a refusal part, never as output text.
        kind = "refusal" if self.refuse else "output_text"
        if self.refuse:
            empty: dict[str, Any] = {"type": "refusal", "refusal": ""}
        else:
            empty = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        yield (
            "response.content_part.added",
            {
                "type": "response.content_part.added",
                "sequence_number": next(seq),
                **where,
                "part": empty,
            },
        )
        for index, token in enumerate(word_tokens(text)):
            yield index
            broken = self._interruption(index)
            if broken == "cut":
                yield "cut", {}
                return
            if broken == "fail":
                yield (
                    "error",
                    {
                        "type": "error",
                        "sequence_number": next(seq),
                        "code": "server_error",
                        "message": "The server had an error while processing your request.",
                        "param": None,
                    },
                )
                return
            delta = {"type": f"response.{kind}.delta", "sequence_number": next(seq), **where, "delta": token}
            yield f"response.{kind}.delta", delta if self.refuse else {**delta, "logprobs": []}
        done = {"type": f"response.{kind}.done", "sequence_number": next(seq), **where}
        if self.refuse:
            yield "response.refusal.done", {**done, "refusal": text}
        else:
            yield "response.output_text.done", {**done, "text": text, "logprobs": []}
        yield (
            "response.content_part.done",
            {
                "type": "response.content_part.done",
                "sequence_number": next(seq),
                **where,
                "part": message["content"][0],
            },
        )
        yield (
            "response.output_item.done",
            {
                "type": "response.output_item.done",
                "sequence_number": next(seq),
                "output_index": output_index,
                "item": message,
            },
        )
        yield (
            "response.completed",
            {
                "type": "response.completed",
                "sequence_number": next(seq),
                "response": final,
            },
        )

    def _error_body(self, status: int, message: str | None) -> dict[str, Any]:
        kind, code, default = _OPENAI_ERRORS.get(
            status,
            ("server_error", None, "Server error.")
            if status >= 500
            else ("invalid_request_error", None, "Error"),
        )
        return {"error": {"message": message or default, "type": kind, "param": None, "code": code}}
