"""`deskbot manifest teams`: an app package Teams accepts, listing every command."""

from __future__ import annotations

import json
import re
import struct
import zipfile
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.teams.manifest import COMMANDS, command_list

BOT_ID = "11111111-2222-3333-4444-555555555555"
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
HTTPS = re.compile(r"^[Hh][Tt][Tt][Pp][Ss]?://")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def check_schema(m: dict) -> None:
    """The required fields and limits of the Teams manifest schema (MicrosoftTeams.schema.json)."""
    for key in (
        "manifestVersion",
        "version",
        "id",
        "developer",
        "name",
        "description",
        "icons",
        "accentColor",
    ):
        assert key in m, key
    assert m["$schema"].endswith(f"/v{m['manifestVersion']}/MicrosoftTeams.schema.json")
    assert re.match(r"^\d+\.\d+\.\d+$", m["version"])
    assert GUID.match(m["id"])
    dev = m["developer"]
    assert dev["name"] and len(dev["name"]) <= 32
    assert all(HTTPS.match(dev[k]) for k in ("websiteUrl", "privacyUrl", "termsOfUseUrl"))
    assert 0 < len(m["name"]["short"]) <= 30 and len(m["name"].get("full", "")) <= 100
    assert 0 < len(m["description"]["short"]) <= 80
    assert 0 < len(m["description"]["full"]) <= 4000
    assert m["description"]["short"] != m["description"]["full"]
    assert re.match(r"^#[0-9a-fA-F]{6}$", m["accentColor"])
    (bot,) = m["bots"]
    assert {"botId", "scopes"} <= bot.keys()
    for command_list_ in bot["commandLists"]:
        assert {"scopes", "commands"} <= command_list_.keys()
        assert len(command_list_["commands"]) <= 10
        for c in command_list_["commands"]:
            assert 0 < len(c["title"]) <= 32 and 0 < len(c["description"]) <= 128
    extensions = m.get("composeExtensions", [])
    assert len(extensions) <= 1
    for extension in extensions:
        assert GUID.match(extension["botId"]) and 0 < len(extension["commands"]) <= 10
        for c in extension["commands"]:
            assert 0 < len(c["id"]) <= 64 and c["type"] in ("query", "action")
            assert 0 < len(c["title"]) <= 32 and len(c.get("description", "")) <= 128
            assert set(c.get("context", [])) <= {"compose", "commandBox", "message"}
            assert isinstance(c.get("fetchTask", False), bool)


def test_the_package_validates_and_lists_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MicrosoftAppId", BOT_ID)
    out = tmp_path / "app.zip"

    assert main(["manifest", "teams", "--out", str(out)]) == 0

    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == [
            "color.png",
            "manifest.json",
            "outline.png",
            "zh-cn.json",
        ]
        m = json.loads(archive.read("manifest.json"))
        zh = json.loads(archive.read("zh-cn.json"))
        assert png_size(archive.read(m["icons"]["color"])) == (192, 192)
        assert png_size(archive.read(m["icons"]["outline"])) == (32, 32)
    assert json.loads(capsys.readouterr().out) == m
    check_schema(m)
    (bot,) = m["bots"]
    assert bot["botId"] == BOT_ID
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    slack = yaml.safe_load(COMMANDS.read_text("utf-8"))["features"]["slash_commands"]
    titles = [c["title"] for c in bot["commandLists"][0]["commands"]]
    # the menu holds ten: the first ten of the one list; the rest are typed (and in help)
    assert titles == [c["command"].removeprefix("/") for c in slack][:10]
    assert len(slack) > 10 and "help" in titles
    # the message action "Create ticket from message"
    [extension] = m["composeExtensions"]
    assert extension["botId"] == BOT_ID
    [action] = extension["commands"]
    assert (action["id"], action["type"], action["context"], action["fetchTask"]) == (
        "ticketFromMessage",
        "action",
        ["message"],
        True,
    )
    assert action["title"] == "Create ticket from message"
    check_language_file(m, zh)


def check_language_file(m: dict, zh: dict) -> None:
    """zh-cn.json: named in localizationInfo, every key a manifest path, all in Chinese."""
    info = m["localizationInfo"]
    assert info["defaultLanguageTag"] == "en-us"
    assert info["additionalLanguages"] == [{"languageTag": "zh-cn", "file": "zh-cn.json"}]
    assert zh["$schema"].endswith(
        f"/v{m['manifestVersion']}/MicrosoftTeams.Localization.schema.json"
    )
    commands = m["bots"][0]["commandLists"][0]["commands"]
    for n, c in enumerate(commands):
        # the title is the word the bot understands; the description is translated
        assert zh[f"bots[0].commandLists[0].commands[{n}].title"] == c["title"]
        described = zh[f"bots[0].commandLists[0].commands[{n}].description"]
        assert described != c["description"] and re.search("[\u4e00-\u9fff]", described)
        assert len(described) <= 128
    assert 0 < len(zh["description.short"]) <= 80 and "工单" in zh["description.short"]
    assert 0 < len(zh["description.full"]) <= 4000 and zh["name.full"].startswith("deskbot")


def test_the_app_id_is_stable_for_one_bot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MicrosoftAppId", BOT_ID)
    ids = []
    for n in range(2):
        assert main(["manifest", "teams", "--out", str(tmp_path / f"{n}.zip")]) == 0
        with zipfile.ZipFile(tmp_path / f"{n}.zip") as archive:
            ids.append(json.loads(archive.read("manifest.json"))["id"])
    assert ids[0] == ids[1] != BOT_ID


def test_without_an_app_id_it_says_what_to_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    assert main(["manifest", "teams", "--out", str(tmp_path / "x.zip")]) == 1
    assert "MicrosoftAppId" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()


def test_commands_keep_to_the_schema_limits() -> None:
    long = [{"command": "/ticket", "description": "x" * 200, "usage_hint": "new SUMMARY"}]
    (c,) = command_list(long)
    assert c["title"] == "ticket" and len(c["description"]) == 128
    eleven = command_list([{"command": f"/c{n}", "description": "d"} for n in range(11)])
    assert [c["title"] for c in eleven] == [f"c{n}" for n in range(10)]  # the menu's ten
