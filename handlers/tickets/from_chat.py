"""A chat message made into a ticket: prefilled intake (a message shortcut or action) or, for
a reaction with the team's emoji, logged at once."""

from __future__ import annotations

from handlers.chat.model import Actor, Message, Place, Reply
from handlers.chat.refusals import Refused
from handlers.chat.texts import phrase
from handlers.commands.fields import SUMMARY_MAX, FieldErrors, validate
from handlers.desk import Desk
from handlers.tickets import workflow


def prefill(text: str, link: str | None = None, reporter: str = "") -> dict[str, str]:
    """The intake form's values for a message: first line as summary, the text, its link."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(first) > SUMMARY_MAX:
        first = first[: SUMMARY_MAX - 1].rstrip() + "…"
    values = {"summary": first, "description": text.strip(), "links": link or ""}
    if reporter:
        values["reporter"] = reporter
    return values


def reporter_of(desk: Desk, place: Place, author: str) -> str:
    """The configured person behind a platform user id, else the id as given."""
    person = desk.config.find_person(place.channel.platform, author) if author else None
    return person.id if person else author


def from_reaction(
    desk: Desk, actor: Actor, place: Place, text: str, author: str, link: str | None
) -> Reply:
    """The reactor logs it, the message's author reported it; the answer names the id."""
    if not text.strip():
        raise Refused(phrase("refused.empty_message"))
    values = prefill(text, link, reporter_of(desk, place, author))
    try:
        fields = validate(values, desk.config)
    except FieldErrors as exc:
        raise Refused(exc.first()) from exc
    t = workflow.create(desk, actor, place, fields)
    message = phrase(
        "done.from_reaction", t=t, actor=actor.name, channel=desk.config.channels.queue.name
    )
    return Reply(Message.text(message), ephemeral=False)
