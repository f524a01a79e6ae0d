"""The front door of the core: text commands, button presses, form submissions, and a chat
message made into a ticket.

Adapters call these functions and render the `Reply`; a press on a card runs the same use
case as the matching text command.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from handlers.chat import language
from handlers.chat.model import Actor, Message, Place, Reply, Text
from handlers.chat.refusals import Refused
from handlers.chat.texts import Md, phrase, render
from handlers.commands.fields import SUMMARY_MAX, FieldErrors, new_ticket_form, validate
from handlers.commands.grammar import (
    HelpRequest,
    HuddleEnd,
    HuddleStart,
    KpiView,
    ParseError,
    QueueView,
    RaciLookup,
    RosterLookup,
    TicketNew,
    TicketVerb,
    parse,
    usage,
)
from handlers.desk import Desk
from handlers.huddles import outcome as huddle_outcome
from handlers.huddles import start as huddles
from handlers.huddles.messages import OUTCOME_ACTION, OUTCOME_FORM
from handlers.kpis import figures as kpis
from handlers.raci import lookup as raci
from handlers.raci import roster
from handlers.tickets import queue
from handlers.tickets import workflow as tickets

_Entry = TypeVar("_Entry", bound=Callable[..., Reply])


def _in_readers_language(entry: _Entry) -> _Entry:
    """Everything a request renders is in the asker's language; channel posts and DMs
    switch to their readers' (`Desk.for_channel`, `Desk.for_person`)."""

    @functools.wraps(entry)
    def run(desk: Desk, actor: Actor, *args: Any, **kwargs: Any) -> Reply:
        config = desk.config
        reader = language.of_reader(config, actor.person, actor.locale)
        with language.speaking(reader, config.team.both_names):
            return entry(desk, actor, *args, **kwargs)

    return run  # type: ignore[return-value]


@_in_readers_language
def handle_text(desk: Desk, actor: Actor, place: Place, text: str) -> Reply:
    try:
        request = parse(text, desk.config)
        return _run(desk, actor, place, request)
    except ParseError as exc:
        return refusal(phrase("error.with_usage", reason=exc.reason, usage=exc.usage))
    except Refused as exc:
        return refusal(Md(exc.reason))


@_in_readers_language
def handle_action(desk: Desk, actor: Actor, place: Place, action_id: str, value: str) -> Reply:
    """A button press: `ticket.take` with value `T-3` is `/ticket take T-3`."""
    family, _, verb = action_id.partition(".")
    if family == "ticket" and verb in ("resolve",):
        # resolving needs a resolution: answer with the command to type (forms come later)
        return Reply(
            _text(phrase("action.needs_text", verb=verb, key=value, usage=usage(f"ticket.{verb}")))
        )
    if family == "huddle" and verb in ("start", "join"):
        return handle_text(desk, actor, place, f"huddle {value}")  # join: points to the open one
    if action_id == OUTCOME_ACTION:
        return huddle_outcome.outcome_form(desk, place, value)
    return handle_text(desk, actor, place, f"{family} {verb} {value}")


@_in_readers_language
def handle_form(
    desk: Desk, actor: Actor, place: Place, form_id: str, values: dict[str, str]
) -> Reply:
    if form_id == OUTCOME_FORM:
        try:
            return huddle_outcome.submit(desk, actor, place, values)
        except Refused as exc:
            return refusal(Md(exc.reason))
    if form_id != "ticket.new":
        return refusal(phrase("error.unknown_form", given=form_id))
    try:
        fields = validate(values, desk.config)
    except FieldErrors as exc:
        return Reply(form=new_ticket_form(desk.config, values), form_errors=exc.errors, ok=False)
    return tickets.log(desk, actor, place, fields)


@_in_readers_language
def ticket_from_message(
    desk: Desk, actor: Actor, place: Place, text: str, link: str | None = None
) -> Reply:
    """A chat message made into a ticket (a message shortcut or action): the new-ticket form,
    prefilled with the message's first line as summary, its text, and a link to it."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(first) > SUMMARY_MAX:
        first = first[: SUMMARY_MAX - 1].rstrip() + "…"
    initial = {"summary": first, "description": text.strip(), "links": link or ""}
    return Reply(form=new_ticket_form(desk.config, initial))


def refusal(reason: str) -> Reply:
    return Reply(_text(reason), ephemeral=True, ok=False)


def _text(markdown: str) -> Message:
    return Message((Text(markdown),), markdown)


def _run(desk: Desk, actor: Actor, place: Place, request: object) -> Reply:
    match request:
        case TicketNew(fields=None):
            return Reply(form=new_ticket_form(desk.config))
        case TicketNew(fields=fields) if fields is not None:
            return tickets.log(desk, actor, place, fields)
        case TicketVerb(verb="show", number=number):
            return tickets.show(desk, place, number)
        case TicketVerb():
            return tickets.act(desk, actor, place, request)
        case QueueView():
            return queue.show(desk, actor, place, request)
        case RaciLookup(query=query):
            return raci.lookup(desk.config, query)
        case RosterLookup(role=role):
            return roster.roster(desk.config, role)
        case HuddleStart():
            return huddles.start(desk, actor, place, request)
        case HuddleEnd():
            return huddle_outcome.end(desk, actor, place, request)
        case KpiView(period=period):
            return kpis.show(desk, place, period)  # type: ignore[arg-type]
        case HelpRequest(topic=topic):
            return Reply(_text(render("help.md", topic=topic)))
    raise AssertionError(f"unhandled request {request!r}")
