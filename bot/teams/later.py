"""A Teams answer given after the turn: its conversation gets it as a post.

Free of the Bot Framework SDK, so recovering Teams work at a start loads none of it
(see bot.teams: the SDK is built at the first Teams request or post).
"""

from __future__ import annotations

import asyncio

from bot.work_items import WorkItem, digest
from handlers.chat.model import Message, Post, Reply, Target
from handlers.desk import Desk
from storage.db import session_scope

PLATFORM = "teams"  # the outbox platform and the inbox source


async def answer_later(desk: Desk, item: WorkItem, reply: Reply, live: bool) -> None:
    """A recovered answer: the turn is gone, so it is posted in the conversation."""
    message = reply.message or (Message.text(reply.form.hint) if reply.form else None)
    if message is None:
        return
    target = Target("conversation", item.place().channel.key)
    post = Post(target, message, f"answer:{digest(item.to_json())}")

    def work() -> None:
        with session_scope(desk.engine) as session:
            desk.post(session, PLATFORM, f"{PLATFORM}:{item.workspace}", post)

    await asyncio.to_thread(work)
