"""How the console shows what the bot says: Markdown as terminal text, and each post with
where it goes and whom it mentions (the console's outbox sender)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import markdown
from bot.delivery import Delivery, Outcome, Sent
from handlers.chat.model import Target
from handlers.chat.texts import Md, phrase
from handlers.config.team import TeamConfig

if TYPE_CHECKING:
    from bot.console.session import Console


def plain(config: TeamConfig, text: str) -> str:
    """Markdown as terminal text: styles dropped, mentions as @Name, links as label <url>."""
    return markdown.plain(config, text, link="{label} <{url}>")


class Printer:
    """The console's outbox sender: a post is delivered by printing it."""

    def __init__(self, console: Console) -> None:
        self.console = console

    async def send(self, delivery: Delivery) -> Outcome:
        c = self.console
        config = c.desk.config
        mentioned = [p for p in map(config.person, delivery.message.mentions) if p]
        with c.reading():
            where = destination(config, delivery.target)
            if delivery.target.replace:
                edit = phrase("console.edit", where=where, text=Md(delivery.message.fallback))
                c.say(plain(config, edit))
            else:
                heading = phrase(
                    "console.post",
                    where=where,
                    thread=bool(delivery.target.thread),
                    people=[p.name for p in mentioned],
                )
                c.show_message(plain(config, heading), delivery.message)
        return Sent({"printed": True})


def destination(config: TeamConfig, target: Target) -> str:
    if target.kind == "person":
        person = config.person(target.name)
        return phrase("console.dm", name=person.name if person else target.name)
    if target.kind == "channel":
        channel = config.channels.named(target.name)
        return f"#{channel.name if channel else target.name}"
    if target.kind == "conversation":  # a conversation heard from: here, a channel's name
        return f"#{target.name.rpartition(':')[2]}"
    return target.name
