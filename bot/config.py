"""All configuration, read once from the environment into a frozen object and passed down.

Nothing else in routebot reads os.environ. Secrets are kept out of repr() so a logged Config leaks nothing.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from commands.errors import ConfigError
from commands.policy import PROVIDERS

# zoneinfo and commands.providers are imported in load_config: `routebot route` reads only
# load_routing_config, and its cold start pays for every module imported here.

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Config:
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str | None = None
    # provider id -> its API key / base URL, for the providers that have one set
    api_keys: Mapping[str, str] = field(default_factory=dict, repr=False)
    base_urls: Mapping[str, str] = field(default_factory=dict)
    policy_path: str | None = None
    db_path: str = "routebot.db"
    provider: str = "anthropic"
    retention_days: int = 30
    run_workers: int = 64
    listener_workers: int = 32
    card_workers: int = 2  # threads posting /route cards after the ack; a channel's cards keep one thread
    slack_post_interval: float = 1.0  # seconds between messages in one channel (Slack allows ~1/s)
    provider_timeout: float = 600.0
    provider_max_retries: int = 2
    provider_max_retry_wait: float = 20.0
    slack_max_retry_wait: float = 30.0
    max_output_tokens: int = 8192
    max_task_chars: int = 12000
    digest_cron: str = "0 9 * * mon"
    tz: str = "UTC"
    digest_show_users: bool = False
    admins: frozenset[str] = frozenset()
    stream_answers: bool = True  # off: answers are posted whole when the model has finished

    @property
    def configured_providers(self) -> tuple[str, ...]:
        return tuple(p for p in PROVIDERS if self.api_keys.get(p))

    def require_slack(self, *, socket_mode: bool) -> None:
        """Stop startup with a message saying where in Slack's app config each missing value lives."""
        if not self.slack_bot_token:
            raise ConfigError(
                "SLACK_BOT_TOKEN is not set. Find it at api.slack.com/apps -> your app -> "
                "OAuth & Permissions -> Bot User OAuth Token (starts with xoxb-)."
            )
        if socket_mode and not (self.slack_app_token or "").startswith("xapp-"):
            raise ConfigError(
                "SLACK_APP_TOKEN must be an app-level token (xapp-...) with the connections:write scope: "
                "api.slack.com/apps -> your app -> Basic Information -> App-Level Tokens."
            )
        if not socket_mode and not self.slack_signing_secret:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is not set (needed in HTTP mode). Find it at api.slack.com/apps -> "
                "your app -> Basic Information -> App Credentials -> Signing Secret."
            )


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number of seconds, got {raw!r}")
    if value <= 0:
        raise ConfigError(f"{name} must be greater than 0, got {raw}")
    return value


def _bool(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError(f"{name} must be on or off (1/0, true/false), got {raw!r}")


def _optional(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _per_provider(
    env: Mapping[str, str],
    variable: Callable[[str], str],
    read: Callable[[Mapping[str, str], str], str | None],
) -> dict[str, str]:
    """Each provider's value of one variable (its API key, say), leaving out those not set."""
    values = {p: read(env, variable(p)) for p in PROVIDERS}
    return {p: value for p, value in values.items() if value}


def _base_url(env: Mapping[str, str], name: str) -> str | None:
    """An http(s) URL with a host, or unset; anything else would fail at the first call with a traceback."""
    value = _optional(env, name)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http:// or https:// URL such as https://host/, got {value!r}")
    return value


def _policy_path(env: Mapping[str, str]) -> str | None:
    path = _optional(env, "ROUTEBOT_POLICY")
    if path is not None and os.path.isdir(path):
        raise ConfigError(f"ROUTEBOT_POLICY must name a policy file (.toml), but {path} is a directory")
    return path


def _provider(env: Mapping[str, str]) -> str:
    provider = env.get("ROUTEBOT_PROVIDER", "anthropic").strip().lower() or "anthropic"
    if provider not in PROVIDERS:
        raise ConfigError(f"ROUTEBOT_PROVIDER must be one of {', '.join(PROVIDERS)}, got {provider!r}")
    return provider


def load_routing_config(env: Mapping[str, str] | None = None) -> Config:
    """Only what routing reads (the policy, the preferred provider, and the database whose learning
    `routebot route --channel` applies), for `routebot route` and `eval`.

    A bad value of a variable only the server uses (ROUTEBOT_DIGEST_CRON, the worker counts) must not stop
    someone asking the router a question.
    """
    env = os.environ if env is None else env
    return Config(
        policy_path=_policy_path(env),
        provider=_provider(env),
        db_path=_optional(env, "ROUTEBOT_DB") or "routebot.db",
    )


def load_config(env: Mapping[str, str] | None = None) -> Config:
    import zoneinfo

    from commands.providers import api_key_variable, base_url_variable

    env = os.environ if env is None else env
    routing = load_routing_config(env)
    tz = env.get("ROUTEBOT_TZ", "UTC").strip() or "UTC"
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"ROUTEBOT_TZ must be an IANA time zone name such as Europe/Berlin, got {tz!r}"
        ) from None
    digest_cron = env.get("ROUTEBOT_DIGEST_CRON", "").strip() or "0 9 * * mon"
    # Imported here: APScheduler (and asyncio with it) costs `routebot route` a fifth of a second at start.
    from bot.digest_schedule import crontab_trigger

    try:
        crontab_trigger(digest_cron, tz)
    except ValueError as exc:
        raise ConfigError(
            f"ROUTEBOT_DIGEST_CRON must be a crontab line (minute hour day month weekday)"
            f" such as '0 9 * * mon', got {digest_cron!r}: {exc}"
        ) from None
    admins = frozenset(
        a.strip() for a in env.get("ROUTEBOT_ADMINS", "").replace(" ", ",").split(",") if a.strip()
    )
    return Config(
        slack_bot_token=_optional(env, "SLACK_BOT_TOKEN"),
        slack_signing_secret=_optional(env, "SLACK_SIGNING_SECRET"),
        slack_app_token=_optional(env, "SLACK_APP_TOKEN"),
        slack_api_url=_base_url(env, "SLACK_API_URL"),
        api_keys=_per_provider(env, api_key_variable, _optional),
        base_urls=_per_provider(env, base_url_variable, _base_url),
        policy_path=routing.policy_path,
        db_path=routing.db_path,
        provider=routing.provider,
        retention_days=_int(env, "ROUTEBOT_RETENTION_DAYS", 30, minimum=1),
        run_workers=_int(env, "ROUTEBOT_RUN_WORKERS", 64, minimum=1),
        listener_workers=_int(env, "ROUTEBOT_LISTENER_WORKERS", 32, minimum=1),
        card_workers=_int(env, "ROUTEBOT_CARD_WORKERS", 2, minimum=1),
        slack_post_interval=_float(env, "ROUTEBOT_SLACK_POST_INTERVAL", 1.0),
        provider_timeout=_float(env, "ROUTEBOT_PROVIDER_TIMEOUT", 600.0),
        provider_max_retries=_int(env, "ROUTEBOT_PROVIDER_MAX_RETRIES", 2),
        provider_max_retry_wait=_float(env, "ROUTEBOT_PROVIDER_MAX_RETRY_WAIT", 20.0),
        slack_max_retry_wait=_float(env, "ROUTEBOT_SLACK_MAX_RETRY_WAIT", 30.0),
        max_output_tokens=_int(env, "ROUTEBOT_MAX_OUTPUT_TOKENS", 8192, minimum=1),
        max_task_chars=_int(env, "ROUTEBOT_MAX_TASK_CHARS", 12000, minimum=100),
        digest_cron=digest_cron,
        tz=tz,
        digest_show_users=_bool(env, "ROUTEBOT_DIGEST_SHOW_USERS"),
        admins=admins,
        stream_answers=_bool(env, "ROUTEBOT_STREAM_ANSWERS") if env.get("ROUTEBOT_STREAM_ANSWERS") else True,
    )
