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

from bot.slack.incoming import PLATFORM, team_of, text_in
from bot.work_items import Reaction, key_of
from handlers.config.team import TeamConfig

log = logging.getLogger(__name__)


def taken(
    config: TeamConfig, body: dict[str, Any], event: dict[str, Any], bot_user: str | None
) -> tuple[str, Reaction] | None:
    """The work a reaction stands for; None for other emoji, other items and the bot's own."""
    item = event.get("item") or {}
    user = event.get("user")
    wanted = config.tickets.reaction_emoji
    # skin tones arrive as `ticket::skin-tone-2`
    if str(event.get("reaction", "")).split("::")[0] != wanted or item.get("type") != "message":
        return None
    if not isinstance(user, str) or not user or user == bot_user:
        return None
    channel, ts = item.get("channel"), item.get("ts")
    if not isinstance(channel, str) or not channel or not isinstance(ts, str) or not ts:
        return None
    team = team_of(body)
    person = config.find_person(PLATFORM, user)
    work = Reaction(
        platform=PLATFORM,
        workspace=team,
        user=user,
        person=person.id if person else None,
        channel=channel,
        thread=ts,  # the answer goes in the message's thread
        message_ts=ts,
    )
    return key_of("reaction", team, channel, ts), work


async def read_message(config: TeamConfig, web: AsyncWebClient, work: Reaction) -> Reaction:
    """The item with the message's text, author and link (read after the ack)."""
    channel, ts = work.channel, work.message_ts
    resp = await web.conversations_replies(channel=channel, ts=ts, limit=1, inclusive=True)
    messages = resp.get("messages") or []
    message = next((m for m in messages if m.get("ts") == ts), messages[0] if messages else {})
    permalink = None
    try:
        link = await web.chat_getPermalink(channel=channel, message_ts=ts)
        permalink = link.get("permalink")
    except Exception as exc:  # the ticket is logged without the link
        log.warning("slack chat.getPermalink failed: %s", exc)
    return work.model_copy(
        update={
            "text": text_in(config, message.get("text") or ""),
            "author": message.get("user") or "",
            "permalink": permalink,
        }
    )
