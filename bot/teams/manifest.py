"""`deskbot manifest teams`: the Teams app package (manifest.json and two icons, zipped).

The commands are not listed here: they come from the Slack app manifest (`manifest.yaml`
at the repository root, `features.slash_commands`), the one list of commands, so both
platforms offer the same words.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from pathlib import Path
from typing import Any

import yaml

from bot.teams import icons
from bot.teams.render import plain
from handlers.chat import catalogs, language
from handlers.chat.texts import phrase
from handlers.config.team import TeamConfig

SCHEMA_VERSION = "1.28"  # the newest generally available schema (May 2026)
SCHEMA = f"https://developer.microsoft.com/json-schemas/teams/v{SCHEMA_VERSION}/MicrosoftTeams.schema.json"
COMMANDS = Path(__file__).resolve().parents[2] / "manifest.yaml"
SCOPES = ["personal", "team", "groupChat"]
LOCALIZATION_SCHEMA = (
    f"https://developer.microsoft.com/json-schemas/teams/v{SCHEMA_VERSION}"
    "/MicrosoftTeams.Localization.schema.json"
)
# The app's other languages (Teams language tag -> ours); English is the manifest itself.
LANGUAGE_FILES = {"zh-cn": "zh"}
# Limits of the schema: 10 commands per list, a title of 32 and a description of 128.
MAX_COMMANDS, MAX_TITLE, MAX_DESCRIPTION = 10, 32, 128


# The message action "Create ticket from message" (bot/teams/message_action.py).
MESSAGE_ACTION = "ticketFromMessage"

NO_BOT_ID = "MicrosoftAppId is empty: register the bot in Azure first, then set it"


class ManifestError(Exception):
    """The package cannot be built; the message says what to fix."""


def slash_commands(path: Path = COMMANDS) -> list[dict[str, str]]:
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read the command list: {exc.strerror}") from exc
    commands = ((data or {}).get("features") or {}).get("slash_commands") or []
    if not commands:
        raise ManifestError(f"{path}: no features.slash_commands to offer in Teams")
    return commands


def translated_commands(commands: list[dict[str, str]], lang: str) -> list[dict[str, str]]:
    """The commands with their descriptions and hints from the language's catalog (the
    words themselves stay: they are what the bot understands)."""

    def text(c: dict[str, str], part: str) -> str:
        english = c.get(part) or ""
        return catalogs.translated(lang, f"manifest:{c['command']}:{part}", english)

    return [
        {**c, "description": text(c, "description"), "usage_hint": text(c, "usage_hint")}
        for c in commands
    ]


def localization(config: TeamConfig, commands: list[dict[str, str]], lang: str) -> dict[str, Any]:
    """A Teams language file: the app's name and descriptions and the command menu."""
    with language.speaking(lang):
        texts = {
            "name.short": "deskbot",
            "name.full": plain(config, phrase("teams.app.name", team=config.team))[:100],
            "description.short": plain(config, phrase("teams.app.short"))[:80],
            "description.full": plain(config, phrase("teams.app.full"))[:4000],
        }
    for n, c in enumerate(command_list(translated_commands(commands, lang))):
        texts[f"bots[0].commandLists[0].commands[{n}].title"] = c["title"]
        texts[f"bots[0].commandLists[0].commands[{n}].description"] = c["description"]
    return {"$schema": LOCALIZATION_SCHEMA, **texts}


def command_list(commands: list[dict[str, str]]) -> list[dict[str, str]]:
    """Slack's slash commands as Teams bot commands: the same words, without the slash.

    Teams' command menu holds ten; the first ten of `manifest.yaml` are offered there (keep
    the everyday ones first) and the rest are typed as usual, and listed by `help`."""
    out = []
    for c in commands[:MAX_COMMANDS]:
        title = str(c["command"]).removeprefix("/")
        if len(title) > MAX_TITLE:
            raise ManifestError(f"command {title!r} is longer than {MAX_TITLE} characters")
        text = " · ".join(x for x in (c.get("description"), c.get("usage_hint")) if x)
        description = text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"
        out.append({"title": title, "description": description})
    return out


def manifest(config: TeamConfig, bot_id: str, commands: list[dict[str, str]]) -> dict[str, Any]:
    if not bot_id:
        raise ManifestError(NO_BOT_ID)
    commands_for_teams = command_list(commands)
    with language.speaking("en"):  # the default language; others in LANGUAGE_FILES
        name = plain(config, phrase("teams.app.name", team=config.team))[:100]
        short = plain(config, phrase("teams.app.short"))[:80]
        full = plain(config, phrase("teams.app.full"))[:4000]
    return {
        "$schema": SCHEMA,
        "manifestVersion": SCHEMA_VERSION,
        "version": "1.0.0",
        # one app id per bot, the same on every run, so a new package updates the old app
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"deskbot:teams-app:{bot_id}")),
        "developer": {
            "name": "deskbot",
            "websiteUrl": "https://example.org/deskbot",
            "privacyUrl": "https://example.org/deskbot/privacy",
            "termsOfUseUrl": "https://example.org/deskbot/terms",
        },
        "name": {"short": "deskbot", "full": name},
        "description": {"short": short, "full": full},
        "localizationInfo": {
            "defaultLanguageTag": "en-us",
            "additionalLanguages": [
                {"languageTag": tag, "file": f"{tag}.json"} for tag in LANGUAGE_FILES
            ],
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*icons.ACCENT),
        "bots": [
            {
                "botId": bot_id,
                "scopes": SCOPES,
                "isNotificationOnly": False,
                "supportsFiles": False,
                "commandLists": [{"scopes": SCOPES, "commands": commands_for_teams}],
            }
        ],
        "composeExtensions": [
            {
                "botId": bot_id,
                "commands": [
                    {
                        "id": MESSAGE_ACTION,
                        "type": "action",
                        "context": ["message"],
                        "fetchTask": True,
                        "title": plain(config, phrase("teams.action.title"))[:MAX_TITLE],
                        "description": plain(config, phrase("teams.action.description"))[
                            :MAX_DESCRIPTION
                        ],
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
    }


def package(
    config: TeamConfig, bot_id: str, commands_file: Path | None = None
) -> tuple[bytes, dict[str, Any]]:
    """The zip to upload to Teams, and its manifest."""
    if not bot_id:
        raise ManifestError(NO_BOT_ID)
    commands = slash_commands(commands_file or COMMANDS)
    content = manifest(config, bot_id, commands)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(content, ensure_ascii=False, indent=2))
        for tag, lang in LANGUAGE_FILES.items():
            texts = localization(config, commands, lang)
            archive.writestr(f"{tag}.json", json.dumps(texts, ensure_ascii=False, indent=2))
        archive.writestr("color.png", icons.color_icon())
        archive.writestr("outline.png", icons.outline_icon())
    return buffer.getvalue(), content
