"""Messages about tickets: the queue card and the full view."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from handlers.chat import Actions, Button, Context, Fields, Header, Message, Text
from handlers.team import Person, TeamConfig
from handlers.texts import phrase, render
from handlers.ticket_fields import missing_key_fields
from storage.models import Ticket, TicketEvent

# Which buttons a card offers in each status.
_BUTTONS = {
    "new": ("take", "dispatch", "resolve"),
    "in_progress": ("take", "dispatch", "resolve"),
    "dispatched": ("take", "resolve"),
    "resolved": ("close", "reopen"),
    "closed": ("reopen",),
}


def _fields(config: TeamConfig, ticket: Ticket) -> Fields:
    category = config.category(ticket.category) if ticket.category else None
    assignee = config.person(ticket.assignee) if ticket.assignee else None
    values = {
        "status": phrase(f"status.{ticket.status}"),
        "priority": ticket.priority.upper(),
        "category": phrase("card.category", category=category, raw=ticket.category),
        "intake": phrase(f"intake.{ticket.intake}"),
        "assignee": phrase("card.assignee", person=assignee, raw=ticket.assignee),
        "reporter": phrase(
            "card.reporter", person=config.person(ticket.reporter), raw=ticket.reporter
        ),
    }
    return Fields(tuple((phrase(f"field.{k}"), v) for k, v in values.items()))


def card(config: TeamConfig, ticket: Ticket, notify: Sequence[Person] = ()) -> Message:
    """The ticket as posted in the queue channel, with its action buttons.

    `notify`: people to ping with the first post (edits of the card do not ping again).
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
    blocks.append(Actions(buttons))
    return Message(tuple(blocks), phrase("card.fallback", t=ticket))


def details(
    config: TeamConfig, ticket: Ticket, events: list[TicketEvent], now: dt.datetime
) -> Message:
    """`/ticket show`: every field, the clocks and the audit trail."""
    body = render(
        "ticket_show.md",
        t=ticket,
        config=config,
        events=events,
        now=now,
        missing=[phrase(f"field.{m}") for m in missing_key_fields(ticket)],
    )
    return Message(
        (Header(phrase("card.header", t=ticket)), _fields(config, ticket), Text(body)),
        phrase("card.fallback", t=ticket),
    )
