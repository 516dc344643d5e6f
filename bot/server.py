"""`routebot serve`: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP on a production WSGI server.

Bolt's app.start() is a development server (single-threaded http.server): at 25 concurrent requests it
resets connections, so HTTP mode runs Bolt's WSGI adapter on waitress instead.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.app import Built, build_app
from bot.config import Config, load_config
from bot.startup import on_startup

log = logging.getLogger("routebot")
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def wsgi_app(built: Built, path: str = "/slack/events") -> WsgiApp:
    """Bolt's WSGI handler at `path`, plus GET /healthz for load balancers."""
    slack = SlackRequestHandler(built.app, path=path)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return slack(environ, start_response)

    return application


def socket_mode_handler(built: Built) -> Any:
    """Bolt's Socket Mode handler on the app's own WebClient (so SLACK_API_URL applies); call .connect() or
    .start() (blocking)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(built.app, built.bot.config.slack_app_token, web_client=built.app.client)


def http_server(built: Built, host: str, port: int) -> Any:
    """A waitress server, not yet running: call .run() (blocking) and .close()."""
    from waitress.server import create_server

    threads = max(8, built.bot.config.listener_workers)
    return create_server(
        wsgi_app(built),
        host=host,
        port=port,
        threads=threads,
        backlog=1024,
        connection_limit=max(200, threads * 4),
        ident="routebot",
        clear_untrusted_proxy_headers=True,
    )


class _Stop(Exception):
    """SIGTERM: unwind out of the server loop, then close everything in order."""


def _raise_stop(*_: object) -> None:
    raise _Stop


def serve(*, port: int = 3000, host: str = "0.0.0.0", config: Config | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = config or load_config()
    socket_mode = bool(config.slack_app_token)
    config.require_slack(socket_mode=socket_mode)
    built = build_app(config, socket_mode=socket_mode)
    report = on_startup(built)
    log.info(
        "routebot starting (%s mode); providers configured: %s; recovered %d interrupted run(s)",
        "Socket" if socket_mode else "HTTP",
        ", ".join(built.bot.providers) or "none",
        report.interrupted,
    )
    stoppers: list[Callable[[], None]] = [built.close]
    from bot.scheduler import start_scheduler

    scheduler = start_scheduler(built)
    if scheduler is not None:
        stoppers.insert(0, lambda: scheduler.shutdown(wait=False))
    try:
        if socket_mode:
            socket_mode_handler(built).start()
        else:
            server = http_server(built, host, port)
            stoppers.insert(0, server.close)
            signal.signal(
                signal.SIGTERM, _raise_stop
            )  # closing from the handler would break waitress's select
            log.info("listening on http://%s:%d/slack/events", host, port)
            server.run()
    except (KeyboardInterrupt, _Stop):
        log.info("routebot stopping")
    finally:
        for stop in stoppers:
            stop()
    return 0
