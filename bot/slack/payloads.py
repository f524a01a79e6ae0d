"""Slack request bodies as typed work items (`bot.work_items`) for `bot.inbox`.

Each function returns the delivery's key (what Slack repeats when it delivers the same thing
again) and the item: who (the person resolved here, once), where, what was asked, and how to
answer (`via`: response URL, trigger id, message ts). A body that does not say who and where
is refused (pydantic's ValidationError), never defaulted. Nothing here runs.
"""

from __future__ import annotations

from typing import Any

from bot.slack import modals
from bot.slack.incoming import PLATFORM, team_of, text_in
from bot.work_items import (
    Command,
    FormSubmission,
    Mention,
    MessageShortcut,
    Press,
    WorkItem,
    digest,
    key_of,
)
from handlers.config.team import TeamConfig

Taken = tuple[str, WorkItem]


def _asker(config: TeamConfig, body: dict[str, Any], user: Any, name: Any = "") -> dict[str, Any]:
    """Who asked, in which workspace, as the item's fields."""
    person = config.find_person(PLATFORM, user) if isinstance(user, str) and user else None
    return {
        "platform": PLATFORM,
        "workspace": team_of(body),
        "user": user,
        "name": name or "",
        "person": person.id if person else None,
    }


def _via(**parts: Any) -> dict[str, str]:
    return {k: v for k, v in parts.items() if isinstance(v, str) and v}


def _user(body: dict[str, Any]) -> tuple[Any, Any]:
    user = body.get("user") or {}
    return user.get("id"), user.get("username") or user.get("name", "")


def command(config: TeamConfig, body: dict[str, Any]) -> Taken:
    """`/ticket new VPN down`: the command word goes in front, as the grammar reads it."""
    word = str(body.get("command") or "").lstrip("/")
    text = text_in(config, body.get("text") or "")
    item = Command(
        **_asker(config, body, body.get("user_id"), body.get("user_name")),
        channel=body.get("channel_id"),
        text=f"{word} {text}".strip(),
        via=_via(response_url=body.get("response_url"), trigger_id=body.get("trigger_id")),
    )
    return key_of("command", body.get("trigger_id") or digest(body)), item


def mention(
    config: TeamConfig, body: dict[str, Any], event: dict[str, Any], bot_user: str | None
) -> Taken | None:
    """`@deskbot ticket new ...`; None for the bot's own and other bots' messages."""
    user = event.get("user")
    if event.get("bot_id") or event.get("subtype") or user == bot_user:
        return None
    item = Mention(
        **_asker(config, body, user),
        channel=event.get("channel"),
        thread=event.get("thread_ts") or event.get("ts"),
        text=text_in(config, event["text"], bot_user),
    )
    return key_of("event", body.get("event_id") or digest(event)), item


def action(config: TeamConfig, body: dict[str, Any], pressed: dict[str, Any]) -> Taken | None:
    """A button on a message; None for link buttons and controls inside a modal."""
    container = body.get("container") or {}
    if pressed.get("type") != "button" or pressed.get("url") or container.get("type") == "view":
        return None
    item = Press(
        **_asker(config, body, *_user(body)),
        channel=(body.get("channel") or {}).get("id") or container.get("channel_id"),
        action_id=pressed.get("action_id"),
        value=pressed.get("value") or "",
        via=_via(
            response_url=body.get("response_url"),
            trigger_id=body.get("trigger_id"),
            message_ts=container.get("message_ts"),
        ),
    )
    return key_of("action", body.get("trigger_id") or pressed.get("action_ts")), item


def shortcut(config: TeamConfig, body: dict[str, Any]) -> Taken:
    """The message shortcut: the message's text (its permalink is looked up after the ack)."""
    message = body.get("message") or {}
    item = MessageShortcut(
        **_asker(config, body, *_user(body)),
        channel=(body.get("channel") or {}).get("id"),
        text=text_in(config, message.get("text") or ""),
        author=message.get("user") or "",
        via=_via(
            response_url=body.get("response_url"),
            trigger_id=body.get("trigger_id"),
            message_ts=message.get("ts"),
        ),
    )
    return key_of("shortcut", body.get("trigger_id") or digest(item.to_json())), item


def submission(config: TeamConfig, body: dict[str, Any], view: dict[str, Any]) -> Taken:
    """A modal submitted: its values, and where it was opened (from its metadata). The same
    values submitted again are the same work; corrected values are new work."""
    meta = modals.metadata(view)
    values = modals.values(config, view, team_of(body) or "")
    item = FormSubmission(
        **_asker(config, body, *_user(body)),
        form_id=view.get("callback_id"),
        values=values,
        channel=meta.get("channel"),
        thread=meta.get("thread"),
        via=_via(response_url=meta.get("response_url")),
    )
    return key_of("view", view.get("id", ""), digest(values)), item
