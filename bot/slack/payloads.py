"""Slack request bodies as the work payloads `bot.slack.work` stores and runs.

Each function returns the delivery's key (what Slack repeats when it delivers the same thing
again) and the payload: who, where, what was asked, and how to answer. Nothing here runs.
"""

from __future__ import annotations

from typing import Any

from bot.slack import modals
from bot.slack.incoming import team_of, text_in
from bot.slack.work import Payload, key_of, values_digest
from handlers.config.team import TeamConfig

Taken = tuple[str, Payload]


def _user(body: dict[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    return user.get("id", ""), user.get("username") or user.get("name", "")


def command(config: TeamConfig, body: dict[str, Any]) -> Taken:
    """`/ticket new VPN down`: the command word goes in front, as the grammar reads it."""
    word = body.get("command", "").lstrip("/")
    text = text_in(config, body.get("text", ""))
    payload = {
        "kind": "command",
        "team": team_of(body),
        "user": body.get("user_id", ""),
        "name": body.get("user_name", ""),
        "channel": body.get("channel_id"),
        "text": f"{word} {text}".strip(),
        "response_url": body.get("response_url"),
        "trigger_id": body.get("trigger_id"),
    }
    return key_of("command", body.get("trigger_id") or values_digest(body)), payload


def mention(
    config: TeamConfig, body: dict[str, Any], event: dict[str, Any], bot_user: str | None
) -> Taken | None:
    """`@deskbot ticket new ...`; None for the bot's own and other bots' messages."""
    user = event.get("user")
    if event.get("bot_id") or event.get("subtype") or not user or user == bot_user:
        return None
    payload = {
        "kind": "mention",
        "team": team_of(body),
        "user": user,
        "channel": event.get("channel"),
        "thread": event.get("thread_ts") or event.get("ts"),
        "text": text_in(config, event.get("text", ""), bot_user),
    }
    return key_of("event", body.get("event_id") or values_digest(event)), payload


def action(body: dict[str, Any], pressed: dict[str, Any]) -> Taken | None:
    """A button on a message; None for link buttons and controls inside a modal."""
    container = body.get("container") or {}
    if pressed.get("type") != "button" or pressed.get("url") or container.get("type") == "view":
        return None
    user, name = _user(body)
    payload = {
        "kind": "action",
        "team": team_of(body),
        "user": user,
        "name": name,
        "channel": (body.get("channel") or {}).get("id") or container.get("channel_id"),
        "message_ts": container.get("message_ts"),
        "action_id": pressed.get("action_id", ""),
        "value": pressed.get("value", ""),
        "response_url": body.get("response_url"),
        "trigger_id": body.get("trigger_id"),
    }
    return key_of("action", body.get("trigger_id") or pressed.get("action_ts")), payload


def shortcut(config: TeamConfig, body: dict[str, Any]) -> Taken:
    """The message shortcut: the message's text (its permalink is looked up after the ack)."""
    user, name = _user(body)
    message = body.get("message") or {}
    payload = {
        "kind": "shortcut",
        "team": team_of(body),
        "user": user,
        "name": name,
        "channel": (body.get("channel") or {}).get("id"),
        "message_ts": message.get("ts"),
        "text": text_in(config, message.get("text", "")),
        "author": message.get("user") or "",
        "response_url": body.get("response_url"),
        "trigger_id": body.get("trigger_id"),
    }
    return key_of("shortcut", body.get("trigger_id") or values_digest(payload)), payload


def submission(config: TeamConfig, body: dict[str, Any], view: dict[str, Any]) -> Taken:
    """A modal submitted: its values, and where it was opened (from its metadata). The same
    values submitted again are the same work; corrected values are new work."""
    team = team_of(body)
    user, name = _user(body)
    meta = modals.metadata(view)
    values = modals.values(config, view, team)
    payload = {
        "kind": "form",
        "team": team,
        "user": user,
        "name": name,
        "form_id": view.get("callback_id", ""),
        "values": values,
        "channel": meta.get("channel"),
        "thread": meta.get("thread"),
        "response_url": meta.get("response_url"),
    }
    return key_of("view", view.get("id", ""), values_digest(values)), payload
