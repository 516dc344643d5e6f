"""manifest.yml, the handlers and the README agree: every slash command is handled and documented."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from commands.policy import PROVIDERS
from commands.providers import api_key_variable, base_url_variable
from tests.conftest import Harness

ROOT = Path(__file__).resolve().parents[1]


def _manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_every_manifest_command_has_a_handler_and_a_readme_entry(harness: Harness) -> None:
    commands = [c["command"] for c in _manifest()["features"]["slash_commands"]]
    assert set(commands) == {"/route", "/escalate"}
    readme = (ROOT / "README.md").read_text()
    for command in commands:
        assert f"`{command}" in readme, f"{command} is not documented in README.md"
        # Bolt answers 404 for a command no listener matched.
        response = harness.command(command, "help")
        assert response.status == 200, f"{command} has no handler"


def test_manifest_enables_interactivity_and_socket_mode() -> None:
    settings = _manifest()["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True


def test_manifest_scopes_are_exactly_what_the_code_uses() -> None:
    scopes = set(_manifest()["oauth_config"]["scopes"]["bot"])
    code = "\n".join(p.read_text() for p in (ROOT / "bot").rglob("*.py"))
    uses = {"commands"}  # slash commands themselves
    if re.search(r"chat_postMessage|chat_update", code):
        uses |= {"chat:write", "chat:write.public"}
    if "users_info" in code:
        uses.add("users:read")
    if "files_upload_v2" in code:
        uses.add("files:write")
    if "conversations_open" in code:
        uses.add("im:write")
    if "conversations_replies" in code:
        uses |= {"channels:history", "groups:history"}
    if 'app.event("app_mention")' in code:
        uses.add("app_mentions:read")
    assert scopes == uses


def test_manifest_events_and_shortcuts_are_exactly_what_the_listeners_handle() -> None:
    manifest = _manifest()
    code = "\n".join(p.read_text() for p in (ROOT / "bot").rglob("*.py"))
    handled = set(re.findall(r'app\.event\("([a-z_]+)"\)', code))
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    # Slack's message events are subscribed per conversation type; one `message` listener takes them all.
    assert {e.split(".")[0] for e in events} == handled
    assert {"message.channels", "message.groups"} <= events
    (shortcut,) = manifest["features"]["shortcuts"]
    from bot.blocks.conversations import ROUTE_MESSAGE

    assert shortcut["type"] == "message" and shortcut["callback_id"] == ROUTE_MESSAGE
    assert "app.shortcut(ROUTE_MESSAGE)" in code and "app.view(ROUTE_MESSAGE)" in code


def test_every_environment_variable_read_is_documented() -> None:
    config = (ROOT / "bot" / "config.py").read_text()
    readme = (ROOT / "README.md").read_text()
    names = set(re.findall(r'"((?:SLACK|ROUTEBOT)_[A-Z_]+)"', config))
    assert names
    # each provider's variables are named from its id (commands/providers.py)
    names |= {variable(p) for p in PROVIDERS for variable in (api_key_variable, base_url_variable)}
    missing = sorted(n for n in names if f"`{n}`" not in readme)
    assert not missing, f"undocumented variables: {missing}"


def test_an_unhandled_command_is_a_404_so_the_handler_check_means_something(harness: Harness) -> None:
    assert harness.command("/not-a-routebot-command", "x").status == 404
