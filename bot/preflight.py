"""What `routebot serve` checks before it touches anything: each failure is one ConfigError that names the
variable or file at fault and how to fix it, so an operator reads one line instead of a traceback.

The checks run before recovery and the missed-digest catch-up, so a misconfigured second process (the
port is taken, the token is wrong) stops without side effects.
"""

from __future__ import annotations

import errno
import logging
import sqlite3

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Config
from commands.errors import ConfigError
from storage.db import Database

# auth.test / apps.connections.open errors that mean "this token is wrong", not "Slack is having trouble":
# https://api.slack.com/methods/auth.test#errors
_REJECTED = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
    }
)
_BOT_TOKEN_HOME = "api.slack.com/apps -> your app -> OAuth & Permissions -> Bot User OAuth Token (xoxb-...)"
_APP_TOKEN_HOME = "api.slack.com/apps -> your app -> Basic Information -> App-Level Tokens (xapp-...)"
# slack_sdk logs each failed attempt (and its retry) before raising; the ConfigError says it in one line.
_QUIET = logging.getLogger("routebot.preflight.slack_sdk")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


def open_database(config: Config) -> Database:
    """The database at ROUTEBOT_DB, migrated; a path SQLite cannot use is named with what to do."""
    path = config.db_path
    try:
        return Database(path)
    except sqlite3.DatabaseError as exc:
        # OperationalError ("unable to open database file") is a DatabaseError too; the two differ in the fix.
        if isinstance(exc, sqlite3.OperationalError) and "unable to open" in str(exc):
            raise ConfigError(
                f"ROUTEBOT_DB={path}: cannot create or open the file; check that its directory exists and"
                " is writable by this user"
            ) from None
        raise ConfigError(
            f"ROUTEBOT_DB={path}: {exc}; point ROUTEBOT_DB at routebot's database, or at a new path to"
            " start an empty one"
        ) from None


def check_bot_token(client: WebClient) -> None:
    """auth.test: Slack is reachable at SLACK_API_URL and accepts SLACK_BOT_TOKEN."""
    try:
        _quiet_copy(client).auth_test()
    except SlackApiError as exc:
        error = str(exc.response.get("error", "unknown_error"))
        if error in _REJECTED:
            raise ConfigError(
                f"Slack rejected SLACK_BOT_TOKEN (auth.test: {error}); copy the token again from"
                f" {_BOT_TOKEN_HOME}, and reinstall the app if it was revoked"
            ) from None
        raise ConfigError(f"Slack's auth.test failed ({error}); check SLACK_BOT_TOKEN, then retry") from None
    except OSError as exc:
        raise ConfigError(_unreachable(client, exc)) from None


def check_app_token(client: WebClient, config: Config) -> None:
    """apps.connections.open: SLACK_APP_TOKEN may open a Socket Mode connection.

    slack_sdk would raise the same error from handler.connect(), after logging it with the whole response;
    asking first keeps the failure to one line. The URL it returns is left unused and expires.
    """
    try:
        _quiet_copy(client).apps_connections_open(app_token=config.slack_app_token or "")
    except SlackApiError as exc:
        error = str(exc.response.get("error", "unknown_error"))
        raise ConfigError(
            f"Slack rejected SLACK_APP_TOKEN (apps.connections.open: {error}); it must be an app-level"
            f" token with the connections:write scope, from {_APP_TOKEN_HOME}, and Socket Mode must be on"
        ) from None
    except OSError as exc:
        raise ConfigError(_unreachable(client, exc)) from None


def bind_error(exc: OSError, host: str, port: int) -> ConfigError:
    """Why waitress could not listen on host:port, with the fix."""
    if exc.errno == errno.EADDRINUSE:
        return ConfigError(
            f"port {port} on {host} is already in use (another routebot?); stop that process or choose"
            " another with --port"
        )
    if exc.errno == errno.EACCES:
        return ConfigError(f"no permission to listen on port {port}; use a port above 1023 with --port")
    if exc.errno == errno.EADDRNOTAVAIL:
        return ConfigError(f"--host {host} is not an address of this machine; use 0.0.0.0 or 127.0.0.1")
    return ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def _quiet_copy(client: WebClient) -> WebClient:
    """The same client (token, URL, proxy, retries) with its failures left to the caller to report."""
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=client.headers,
        logger=_QUIET,
        retry_handlers=client.retry_handlers,
    )


def _unreachable(client: WebClient, exc: OSError) -> str:
    reason = getattr(exc, "reason", None) or exc.strerror or exc
    return (
        f"cannot reach Slack at {client.base_url} ({reason}); check SLACK_API_URL (unset means Slack's"
        " own), the network and any HTTPS_PROXY"
    )
