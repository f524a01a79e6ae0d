"""manifest.yaml: every command has a handler and back, the URLs, the scopes, the CLI."""

from __future__ import annotations

import pytest
import yaml

from bot import cli
from bot.config import ConfigError, Settings
from bot.server import platforms_from
from bot.slack import manifest
from bot.slack.app import ROUTE, SHORTCUT
from handlers.commands.grammar import COMMANDS
from handlers.desk import Desk


def test_every_manifest_command_has_a_handler_and_back() -> None:
    assert sorted(manifest.commands()) == sorted(COMMANDS)


def test_the_manifest_is_complete() -> None:
    data = manifest.load("https://example.org")
    assert data["display_information"]["name"]
    for command in data["features"]["slash_commands"]:
        assert command["url"] == f"https://example.org{ROUTE}"
        assert command["description"] and "usage_hint" in command
        assert command["should_escape"] is True  # mentions arrive as <@U…> ids
    assert [s["callback_id"] for s in data["features"]["shortcuts"]] == [SHORTCUT]
    settings = data["settings"]
    assert settings["interactivity"]["request_url"] == f"https://example.org{ROUTE}"
    assert settings["event_subscriptions"]["request_url"] == f"https://example.org{ROUTE}"
    assert settings["event_subscriptions"]["bot_events"] == ["app_mention", "reaction_added"]
    assert sorted(data["oauth_config"]["scopes"]["bot"]) == [
        "app_mentions:read",
        "channels:history",
        "chat:write",
        "commands",
        "files:write",
        "groups:history",
        "im:history",
        "im:write",
        "reactions:read",
    ]


def test_deskbot_manifest_slack_fills_in_the_host(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["manifest", "slack", "--host", "https://bot.example.org/"]) == 0
    out = capsys.readouterr().out
    assert manifest.PLACEHOLDER not in out
    assert yaml.safe_load(out)["settings"]["interactivity"]["request_url"] == (
        "https://bot.example.org/slack/events"
    )


def test_a_bad_host_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["manifest", "slack", "--host", "http://bot.example.org"]) == 1
    err = capsys.readouterr().err.strip()
    assert "https://" in err and "\n" not in err


def test_a_token_without_signing_secret_stops_the_start(desk: Desk) -> None:
    settings = Settings(slack_bot_token="xoxb-1", slack_signing_secret=None)
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        platforms_from(settings, desk)


def test_without_a_token_slack_stays_off(desk: Desk) -> None:
    settings = Settings(slack_bot_token=None, slack_signing_secret=None)
    assert "slack" not in [p.name for p in platforms_from(settings, desk)]


def test_the_socket_mode_manifest_has_no_request_urls(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["manifest", "slack", "--socket-mode"]) == 0
    printed = capsys.readouterr().out
    data = yaml.safe_load(printed)
    settings = data["settings"]
    assert settings["socket_mode_enabled"] is True
    assert "request_url" not in settings["interactivity"]
    assert "request_url" not in settings["event_subscriptions"]
    assert all("url" not in c for c in data["features"]["slash_commands"])
    assert sorted(manifest.commands()) == sorted(
        c["command"][1:] for c in data["features"]["slash_commands"]
    )
    assert "# Bot scopes" in printed  # the comments that explain the scopes stay
