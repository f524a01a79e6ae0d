"""Messages about tickets: the queue card and the full view."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache, lru_cache

from handlers.chat import language
from handlers.chat.model import Actions, Button, Context, Fields, Header, Message, Text
from handlers.chat.texts import Md, escape_md, label, name, phrase, render
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
    words = _words(language.current())
    category = config.category(ticket.category) if ticket.category else None
    values = (
        words[f"status.{ticket.status}"],
        ticket.priority.upper(),
        label(category) if category else _or_none(ticket.category, "card.no_category"),
        words[f"intake.{ticket.intake}"],
        _person(config, ticket.assignee, "card.unassigned"),
        _person(config, ticket.reporter, "card.no_reporter"),
    )
    return Fields(tuple(zip(words.labels, values, strict=True)))


class _Words(dict[str, Md]):
    """A language's fixed words of a card (states, intakes, buttons), each phrase rendered
    once: a card asks for some twenty, for every ticket logged and every change."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        self.labels = tuple(self[f"field.{name}"] for name in _FIELDS)

    def __missing__(self, key: str) -> Md:
        with language.speaking(self.lang):
            found = self[key] = phrase(key)
        return found


_FIELDS = ("status", "priority", "category", "intake", "assignee", "reporter")


@cache
def _words(lang: str) -> _Words:
    return _Words(lang)


def _person(config: TeamConfig, key: str | None, empty: str) -> str:
    person = config.person(key) if key else None
    return name(person) if person else _or_none(key, empty)


def _or_none(raw: str | None, empty: str) -> str:
    return escape_md(raw) if raw else _words(language.current())[empty]


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
    words = _words(language.current())
    blocks: list = [
        Header(phrase("card.header", t=ticket)),
        _fields(config, ticket),
    ]
    if ticket.description:
        blocks.append(Text(phrase("card.description", t=ticket)))
    missing = missing_key_fields(ticket)
    if missing:
        blocks.append(Context(_missing(words.lang, language.both_names(), tuple(missing))))
    if suggestions:
        blocks.append(Context(phrase("card.might_help", entries=suggestions)))
    if notify:
        blocks.append(Context(_notify(words.lang, language.both_names(), tuple(notify))))
    key = ticket.key
    buttons = tuple(
        Button(
            words[f"button.{verb}"],
            f"ticket.{verb}",
            key,
            style="primary" if verb == "take" else None,
        )
        for verb in _BUTTONS[ticket.status]
    )
    if ticket.status in OPEN_STATES:  # a huddle needs an open ticket
        buttons += (Button(words["button.huddle"], START_ACTION, key),)
    blocks.append(Actions(buttons))
    return Message(tuple(blocks), phrase("card.fallback", t=ticket))


# The lines of a card that depend on few values, rendered once per language and values (the
# arguments before the values are the language the caller speaks: part of the key).
@cache
def _missing(_lang: str, _both: bool, missing: tuple[str, ...]) -> Md:
    return phrase("card.missing", fields=[phrase(f"field.{m}") for m in missing])


@lru_cache(maxsize=256)  # the L1 on duty change with the shifts and overrides
def _notify(_lang: str, _both: bool, people: tuple[Person, ...]) -> Md:
    return phrase("card.notify", people=people)


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
