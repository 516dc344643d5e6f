"""`routebot serve`: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP on a production WSGI server.

Bolt's app.start() is a development server (single-threaded http.server): at 25 concurrent requests it
resets connections, so HTTP mode runs Bolt's WSGI adapter on waitress instead.

Stopping (SIGTERM or Ctrl-C) takes at most STOP_SECONDS, inside systemd's and Kubernetes' default grace of
10 s (Kubernetes sends SIGKILL after 30 s; systemd's TimeoutStopSec defaults to 90 s, but operators cut it):
1. stop listening, so a load balancer sends new requests elsewhere at once;
2. let requests already received finish (Bolt answers each within Slack's 3 s);
3. close every connection once its response is flushed, which ends waitress's loop;
4. stop the scheduler and let listeners and runs finish for what time is left. A model call still
   running then is abandoned: the next start marks its run interrupted and tells its thread.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bot.app import Built, build_app
from bot.config import Config, load_config
from bot.http_front import MAX_BODY, wsgi_app
from bot.preflight import bind_error, check_app_token, check_bot_token, open_database
from bot.slack_client import slack_client
from bot.startup import on_startup

log = logging.getLogger("routebot")
STOP_SECONDS = 4.5
REQUEST_GRACE = 3.0  # Slack's own limit for an ack; a request still running after it has lost anyway
BACKLOG = 1024

__all__ = ["http_server", "serve", "socket_mode_handler", "stop_http", "waitress_settings", "wsgi_app"]


def socket_mode_handler(built: Built) -> Any:
    """Bolt's Socket Mode handler on the app's own WebClient (so SLACK_API_URL applies); call .connect() or
    .start() (blocking)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(built.app, built.bot.config.slack_app_token, web_client=built.app.client)


def listening_socket(host: str, port: int) -> socket.socket:
    """Bind here rather than inside waitress, so a taken port is one clear ConfigError.

    A host name with several addresses would make waitress open one socket per address (its
    MultiSocketServer, which has no trigger to stop it with); the first address is enough for a bot.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise bind_error(OSError(exc.errno, exc.strerror), host, port) from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise bind_error(exc, host, port) from None
    return sock


def waitress_settings(listener_workers: int) -> dict[str, Any]:
    """Waitress's adjustments for HTTP mode (bench.http gives its baseline app the same ones)."""
    threads = max(8, listener_workers)
    return {
        "threads": threads,
        "backlog": BACKLOG,
        "connection_limit": max(200, threads * 4),
        "ident": "routebot",
        "clear_untrusted_proxy_headers": True,
        # Waitress reads a whole body before calling the app (its default limit is 1 GiB); this bounds that.
        # The front answers 413 from Content-Length with a log line; this backstop catches chunked bodies.
        "max_request_body_size": 2 * MAX_BODY,
    }


def http_server(built: Built, host: str, port: int) -> Any:
    """A waitress server, bound but not yet serving: run .run() (blocking) and stop it with stop_http()."""
    from waitress.server import create_server

    return create_server(
        wsgi_app(built),
        sockets=[listening_socket(host, port)],
        **waitress_settings(built.bot.config.listener_workers),
    )


def stop_http(server: Any, loop: threading.Thread, grace: float = REQUEST_GRACE) -> None:
    """Stop a waitress server whose .run() is on `loop`; returns once its loop ended or `grace` + 1 s passed.

    Everything that touches waitress's sockets runs on its own loop thread, through its trigger (the pipe it
    already uses to wake its select() from worker threads): closing a socket from another thread while
    select() waits on it is what broke the earlier signal-handler shutdown.
    """
    from waitress import wasyncore

    deadline = time.monotonic() + grace + 1.0
    # 1. The listener only (dispatcher.close, not server.close, which would also close the trigger).
    _on_loop(server, lambda: wasyncore.dispatcher.close(server))
    # 2. Waitress's own shutdown: each worker finishes its current request, queued ones are cancelled.
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=grace)

    def close_connections() -> None:
        for channel in list(server.active_channels.values()):
            channel.close_when_flushed = True  # answers already written still reach their clients
        server.close()

    # 3. The loop ends when its map is empty: the trigger is closed here, each connection once flushed.
    _on_loop(server, close_connections)
    loop.join(timeout=max(0.0, deadline - time.monotonic()))
    if loop.is_alive():
        log.warning("some HTTP connections did not close in time; leaving them to the operating system")


def _on_loop(server: Any, thunk: Callable[[], None]) -> None:
    """Run `thunk` on waitress's loop thread, through its trigger.

    A trigger already closed (EBADF, seen once in some hundreds of test runs: waitress's loop closes any
    dispatcher, its trigger included, whose handler raised or whose descriptor reported an error) cannot
    carry the thunk; stopping then goes on to wait for the loop thread, as it would anyway.
    """
    try:
        server.trigger.pull_trigger(thunk)
    except OSError as exc:
        log.debug("waitress's trigger is closed (%s); its loop is already ending", exc)


@contextmanager
def _stop_requested() -> Iterator[threading.Event]:
    """An Event set by SIGTERM or SIGINT; the handlers only set it, so they never interrupt waitress."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(*, port: int = 3000, host: str = "0.0.0.0", config: Config | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = config or load_config()
    socket_mode = bool(config.slack_app_token)
    config.require_slack(socket_mode=socket_mode)
    client = slack_client(config)
    check_bot_token(client)
    if socket_mode:
        check_app_token(client, config)
    database = open_database(config)
    with _stop_requested() as stop:
        built = build_app(config, client=client, database=database, socket_mode=socket_mode)
        # Bound before recovery: a second process on a taken port stops before it touches the database.
        server = None if socket_mode else http_server(built, host, port)
        report = on_startup(built)
        log.info(
            "routebot starting (%s mode); providers configured: %s; recovered %d interrupted run(s)",
            "Socket" if socket_mode else "HTTP",
            ", ".join(built.bot.providers) or "none",
            report.interrupted,
        )
        from bot.scheduler import start_scheduler

        scheduler = start_scheduler(built)
        stopping_at = 0.0
        if server is None:
            handler = socket_mode_handler(built)
            handler.connect()
            log.info("connected to Slack over Socket Mode")
            stop.wait()
            stopping_at = time.monotonic()
            log.info("routebot stopping")
            handler.close()
        else:
            loop = threading.Thread(target=_run_until_closed, args=(server, stop), name="waitress-loop")
            loop.start()
            log.info("listening on http://%s:%s/slack/events", host, server.effective_port)
            stop.wait()
            stopping_at = time.monotonic()
            log.info("routebot stopping")
            stop_http(server, loop)
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        left = STOP_SECONDS - (time.monotonic() - stopping_at)
        if not _within(left, built.close):
            # Python would join the executors' threads at exit and wait for the model calls; we may not.
            log.warning("runs still in progress were abandoned; the next start marks them interrupted")
            logging.shutdown()
            os._exit(0)
    log.info("routebot stopped")
    return 0


def _run_until_closed(server: Any, stop: threading.Event) -> None:
    try:
        server.run()
    finally:
        stop.set()  # a loop that died on its own stops the process too, instead of leaving it deaf


def _within(seconds: float, work: Callable[[], None]) -> bool:
    """Run `work` on a daemon thread; True if it finished within `seconds`."""
    worker = threading.Thread(target=work, name="routebot-close", daemon=True)
    worker.start()
    worker.join(timeout=max(0.0, seconds))
    return not worker.is_alive()
