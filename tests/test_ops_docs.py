"""The operator's documentation matches what it documents: the manifest's HTTP-mode comment names places
that exist in the file, and the README's HTTP-mode steps include the Event Subscriptions URL."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
URL = "https://YOUR-HOST/slack/events"


def test_the_manifest_comment_names_places_the_manifest_has() -> None:
    text = (ROOT / "manifest.yml").read_text(encoding="utf-8")
    comment = " ".join(line.lstrip("# ") for line in text.splitlines() if line.startswith("#"))
    manifest = yaml.safe_load(text)
    assert URL in comment and "socket_mode_enabled" in comment
    assert manifest["settings"]["socket_mode_enabled"] is True
    # Following the comment: every place it names must exist, so the edit it asks for can be made.
    assert "`url:` under each slash command" in comment and manifest["features"]["slash_commands"]
    for section in re.findall(r"`request_url:` under settings\.(\w+)", comment):
        assert section in manifest["settings"], section
    assert set(re.findall(r"settings\.(\w+)", comment)) == {"interactivity", "event_subscriptions"}
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]


def test_readme_http_mode_steps_include_every_request_url() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    steps = readme.split("## Installing into Slack")[1].split("\n## ")[0]
    for place in ("Slash Commands", "Interactivity & Shortcuts", "Event Subscriptions", "Signing Secret"):
        assert place in steps, place
    assert URL in steps and "Home tab" in steps


def test_readme_says_how_to_run_it_as_a_service() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Python 3.11 or newer" in readme
    service = readme.split("## Running routebot as a service")[1].split("\n## ")[0]
    unit = re.search(r"```ini\n(.+?)```", service, flags=re.DOTALL)
    assert unit is not None and "ExecStart=" in unit.group(1) and "routebot serve" in unit.group(1)
    for topic in ("journalctl", ".backup", "VACUUM INTO", "Copy member ID", "SIGTERM"):
        assert topic in service, topic
