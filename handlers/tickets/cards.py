"""Messages about tickets: the queue card and the full view."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from handlers.chat.model import Actions, Button, Context, Fields, Header, Message, Text
from handlers.chat.texts import escape_md, label, name, phrase, render
from handlers.commands.fields import missing_key_fields
from handlers.config.team import Person, TeamConfig
from handlers.tickets import clocks, history
from handlers.tickets.lifecycle import OPEN_STATES
from storage.knowledge import KnowledgeEntry
from storage.models import Ticket, TicketEvent

# Which buttons a card offers in each status.
_BUTTONS = {
    "new": ("take", "dispatch", "resolve", "edit"),
    "in_progress": ("take", "dispatch", "resolve", "edit"),
    "dispatched": ("take", "resolve", "edit"),
    "resolved": ("close", "reopen", "edit"),
    "closed": ("reopen",),
}

# The ticket card offers a huddle; the huddles package answers the press.
START_ACTION = "huddle.start"


def _fields(config: TeamConfig, ticket: Ticket) -> Fields:
    # Values are data (names), formatted here; the fixed words come from phrases. Rendering a
    # template per value was a quarter of the cost of logging a ticket.
    category = config.category(ticket.category) if ticket.category else None
    values = {
        "status": phrase(f"status.{ticket.status}"),
        "priority": ticket.priority.upper(),
        "category": label(category) if category else _or_none(ticket.category, "card.no_category"),
        "intake": phrase(f"intake.{ticket.intake}"),
        "assignee": _person(config, ticket.assignee, "card.unassigned"),
        "reporter": _person(config, ticket.reporter, "card.no_reporter"),
    }
    return Fields(tuple((phrase(f"field.{k}"), v) for k, v in values.items()))


def _person(config: TeamConfig, key: str | None, empty: str) -> str:
    person = config.person(key) if key else None
    return name(person) if person else _or_none(key, empty)


def _or_none(raw: str | None, empty: str) -> str:
    return escape_md(raw) if raw else phrase(empty)


def card(
    config: TeamConfig,
    ticket: Ticket,
    notify: Sequence[Person] = (),
    suggestions: Sequence[KnowledgeEntry] = (),
) -> Message:
    """The ticket as posted in the queue channel, with its action buttons.

    `notify`: people to ping with the first post (edits of the card do not ping again).
    `suggestions`: published knowledge entries that match it ("Might help: KB-12 ...").
    """
    blocks: list = [
        Header(phrase("card.header", t=ticket)),
        _fields(config, ticket),
    ]
    if ticket.description:
        blocks.append(Text(phrase("card.description", t=ticket)))
    missing = missing_key_fields(ticket)
    if missing:
        blocks.append(
            Context(phrase("card.missing", fields=[phrase(f"field.{m}") for m in missing]))
        )
    if suggestions:
        blocks.append(Context(phrase("card.might_help", entries=suggestions)))
    if notify:
        blocks.append(Context(phrase("card.notify", people=notify)))
    buttons = tuple(
        Button(
            phrase(f"button.{verb}"),
            f"ticket.{verb}",
            ticket.key,
            style="primary" if verb == "take" else None,
        )
        for verb in _BUTTONS[ticket.status]
    )
    if ticket.status in OPEN_STATES:  # a huddle needs an open ticket
        buttons += (Button(phrase("button.huddle"), START_ACTION, ticket.key),)
    blocks.append(Actions(buttons))
    return Message(tuple(blocks), phrase("card.fallback", t=ticket))


def details(
    config: TeamConfig, ticket: Ticket, events: list[TicketEvent], now: dt.datetime
) -> Message:
    """`/ticket show`: every field, the clocks and the audit trail."""
    spans = {
        stop: clocks.span(config, ticket.priority, ticket.created_at, at)
        for stop, at in (
            ("first_response", ticket.first_response_at),
            ("dispatched", ticket.dispatched_at),
            ("resolved", ticket.resolved_at),
        )
        if at is not None
    }
    body = render(
        "ticket_show.md",
        t=ticket,
        config=config,
        history=history.lines(config, events),
        now=now,
        spans=spans,
        missing=[phrase(f"field.{m}") for m in missing_key_fields(ticket)],
    )
    return Message(
        (Header(phrase("card.header", t=ticket)), _fields(config, ticket), Text(body)),
        phrase("card.fallback", t=ticket),
    )
