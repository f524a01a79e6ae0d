"""What Slack sends, as the core reads it: who, where, and the words of a command."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from typing import Any

from handlers.chat import language
from handlers.chat.model import Actor, Place, Ref
from handlers.config.team import TeamConfig

PLATFORM = "slack"
_MARKUP = re.compile(r"<([^<>]*)>")


def text_in(config: TeamConfig, text: str, bot_user_id: str | None = None) -> str:
    """Slack's message markup as plain command words.

    `<@U123|name>` becomes `@personid` for a configured person (else `@U123`), channel links
    `<#C1|name>` become `#name`, links their URL, special mentions their label; the bot's own
    mention is dropped, and `&amp; &lt; &gt;` are turned back into the characters typed.
    """
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)

    def replace(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            person = config.find_person(PLATFORM, target[1:])
            return f"@{person.id}" if person else f"@{target[1:]}"
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!"):  # <!here>, <!subteam^S1|@team>, <!date^…|fallback>
            return label or f"@{target[1:].split('^')[0]}"
        if target.startswith("mailto:"):
            return label or target.removeprefix("mailto:")
        return target

    text = _MARKUP.sub(replace, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def team_of(body: dict[str, Any]) -> str:
    """The workspace a request comes from: tickets are scoped by it."""
    team = body.get("team")
    if isinstance(team, dict) and team.get("id"):
        return str(team["id"])
    if body.get("team_id"):
        return str(body["team_id"])
    user = body.get("user")
    if isinstance(user, dict) and user.get("team_id"):
        return str(user["team_id"])
    return str(body.get("enterprise_id") or "unknown")


def actor(
    config: TeamConfig, team: str, user_id: str, name: str = "", locale: str | None = None
) -> Actor:
    person = config.find_person(PLATFORM, user_id)
    return Actor(Ref(PLATFORM, team, user_id), person, name, locale)


def reading(config: TeamConfig, payload: dict[str, Any]) -> AbstractContextManager[None]:
    """Texts the adapter writes itself to the user (acks, apologies) in their language."""
    person = config.find_person(PLATFORM, payload.get("user") or "")
    reader = language.of_reader(config, person, payload.get("locale"))
    return language.speaking(reader, config.team.both_names)


def place(team: str, channel: str | None, thread: str | None = None) -> Place:
    return Place(Ref(PLATFORM, team, channel or "unknown"), thread)
