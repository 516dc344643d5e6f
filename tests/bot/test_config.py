"""Config: read once, validated, secrets out of repr, startup refused with where-to-find-it messages."""

from __future__ import annotations

import pytest

from bot.config import load_config
from commands.errors import ConfigError


def test_defaults_need_nothing() -> None:
    config = load_config({})
    assert config.provider == "anthropic" and config.db_path == "routebot.db"
    assert config.retention_days == 30 and config.tz == "UTC" and not config.digest_show_users
    assert config.configured_providers == ()
    assert config.card_workers == 2 and load_config({"ROUTEBOT_CARD_WORKERS": "5"}).card_workers == 5


def test_secrets_are_not_in_repr() -> None:
    config = load_config(
        {
            "SLACK_BOT_TOKEN": "xoxb-secret",
            "ANTHROPIC_API_KEY": "sk-ant-secret",
            "OPENAI_API_KEY": "sk-secret",
            "SLACK_SIGNING_SECRET": "shh",
        }
    )
    text = repr(config)
    for secret in ("xoxb-secret", "sk-ant-secret", "sk-secret", "shh"):
        assert secret not in text
    assert config.configured_providers == ("anthropic", "openai")
    assert config.api_keys == {"anthropic": "sk-ant-secret", "openai": "sk-secret"}


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"ROUTEBOT_PROVIDER": "mistral"}, "ROUTEBOT_PROVIDER"),
        ({"ROUTEBOT_TZ": "Mars/Olympus"}, "IANA"),
        ({"ROUTEBOT_RETENTION_DAYS": "soon"}, "ROUTEBOT_RETENTION_DAYS"),
        ({"ROUTEBOT_RUN_WORKERS": "0"}, "at least 1"),
        ({"ROUTEBOT_CARD_WORKERS": "0"}, "ROUTEBOT_CARD_WORKERS must be at least 1"),
        ({"ROUTEBOT_PROVIDER_TIMEOUT": "-1"}, "greater than 0"),
        ({"ROUTEBOT_DIGEST_SHOW_USERS": "maybe"}, "on or off"),
        ({"ROUTEBOT_SLACK_MAX_RETRY_WAIT": "soon"}, "ROUTEBOT_SLACK_MAX_RETRY_WAIT"),
    ],
)
def test_bad_values_stop_startup_naming_the_variable(env: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        load_config(env)


def test_missing_slack_values_say_where_to_find_them() -> None:
    with pytest.raises(ConfigError, match=r"SLACK_BOT_TOKEN.*OAuth & Permissions"):
        load_config({}).require_slack(socket_mode=False)
    with pytest.raises(ConfigError, match=r"SLACK_SIGNING_SECRET.*Signing Secret"):
        load_config({"SLACK_BOT_TOKEN": "xoxb-1"}).require_slack(socket_mode=False)
    with pytest.raises(ConfigError, match=r"SLACK_APP_TOKEN.*App-Level Tokens"):
        load_config({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "nope"}).require_slack(socket_mode=True)
    load_config({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}).require_slack(socket_mode=True)


def test_admins_are_parsed_from_commas_or_spaces() -> None:
    assert load_config({"ROUTEBOT_ADMINS": "U1, U2 U3"}).admins == frozenset({"U1", "U2", "U3"})
