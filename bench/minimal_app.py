"""The baseline for bench.http: the smallest Bolt app that answers `/route` the way Slack needs.

Its handler acks and posts one line to the Web API; it runs on waitress with exactly routebot's server and
thread settings (bot.server.waitress_settings, a listener pool of the same size), so the difference between
the two is what routebot itself does per request.

Run as `python -m bench.minimal_app PORT` with SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_API_URL set.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress.server import create_server

from bot.config import Config
from bot.server import listening_socket, waitress_settings

WORKERS = Config().listener_workers  # routebot's default listener pool, and so its waitress threads


def build(token: str, secret: str, api_url: str) -> App:
    app = App(
        client=WebClient(token=token, base_url=api_url),
        signing_secret=secret,
        listener_executor=ThreadPoolExecutor(max_workers=WORKERS),
    )

    @app.command("/route")
    def route(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        ack()
        # The user id only lets bench.http time the message's arrival, as it does routebot's card.
        client.chat_postMessage(channel=command["channel_id"], text=f"routed for {command['user_id']}")

    return app


def main(argv: list[str]) -> int:
    port = int(argv[0])
    app = build(
        os.environ["SLACK_BOT_TOKEN"], os.environ["SLACK_SIGNING_SECRET"], os.environ["SLACK_API_URL"]
    )
    slack = SlackRequestHandler(app)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":  # so the benchmark can wait for it like for routebot
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return slack(environ, start_response)

    server = create_server(
        application, sockets=[listening_socket("127.0.0.1", port)], **waitress_settings(WORKERS)
    )
    # Waitress's run() re-raises nothing and shuts its threads down on SystemExit from the loop.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
