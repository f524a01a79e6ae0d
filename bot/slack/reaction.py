"""A ticket from an emoji: `reaction_added` with the team's emoji (default :ticket:) on a
message in a channel the bot is in.

The work's key is the reacted message, not the event: the same emoji again, by anyone, is
the same work and makes no second ticket. The message itself (text, author) and its link are
read after the ack (`conversations.replies`, `chat.getPermalink`), then the core logs the
ticket and the answer goes in the message's thread.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.incoming import team_of, text_in
from bot.slack.work import Payload, key_of
from handlers.config.team import TeamConfig

log = logging.getLogger(__name__)
KIND = "reaction"


def taken(
    config: TeamConfig, body: dict[str, Any], event: dict[str, Any], bot_user: str | None
) -> tuple[str, Payload] | None:
    """The work a reaction stands for; None for other emoji, other items and the bot's own."""
    item = event.get("item") or {}
    user = event.get("user")
    wanted = config.tickets.reaction_emoji
    # skin tones arrive as `ticket::skin-tone-2`
    if event.get("reaction", "").split("::")[0] != wanted or item.get("type") != "message":
        return None
    if not user or user == bot_user or not item.get("channel") or not item.get("ts"):
        return None
    team = team_of(body)
    payload = {
        "kind": KIND,
        "team": team,
        "user": user,
        "channel": item["channel"],
        "thread": item["ts"],  # the answer goes in the message's thread
        "message_ts": item["ts"],
    }
    return key_of(KIND, team, item["channel"], item["ts"]), payload


async def read_message(config: TeamConfig, web: AsyncWebClient, payload: Payload) -> None:
    """Fill in the message's text, author and link (what it says is read after the ack)."""
    channel, ts = payload["channel"], payload["message_ts"]
    resp = await web.conversations_replies(channel=channel, ts=ts, limit=1, inclusive=True)
    messages = resp.get("messages") or []
    message = next((m for m in messages if m.get("ts") == ts), messages[0] if messages else {})
    payload["text"] = text_in(config, message.get("text", ""))
    payload["author"] = message.get("user") or ""
    try:
        link = await web.chat_getPermalink(channel=channel, message_ts=ts)
        payload["permalink"] = link.get("permalink")
    except Exception as exc:  # the ticket is logged without the link
        log.warning("slack chat.getPermalink failed: %s", exc)
