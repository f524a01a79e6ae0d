"""The front door of the core: text commands, button presses and form submissions.

Adapters call these three functions and render the `Reply`; a press on a card runs the same
use case as the matching text command.
"""

from __future__ import annotations

from handlers import queue, raci, roster, tickets
from handlers.chat import Actor, Message, Place, Reply, Text
from handlers.desk import Desk
from handlers.grammar import (
    HelpRequest,
    ParseError,
    QueueView,
    RaciLookup,
    RosterLookup,
    TicketNew,
    TicketVerb,
    parse,
    usage,
)
from handlers.lifecycle import Refused
from handlers.texts import Md, phrase, render
from handlers.ticket_fields import FieldErrors, new_ticket_form, validate


def handle_text(desk: Desk, actor: Actor, place: Place, text: str) -> Reply:
    try:
        request = parse(text, desk.config)
        return _run(desk, actor, place, request)
    except ParseError as exc:
        return refusal(phrase("error.with_usage", reason=exc.reason, usage=exc.usage))
    except Refused as exc:
        return refusal(Md(exc.reason))


def handle_action(desk: Desk, actor: Actor, place: Place, action_id: str, value: str) -> Reply:
    """A button press: `ticket.take` with value `T-3` is `/ticket take T-3`."""
    family, _, verb = action_id.partition(".")
    if family == "ticket" and verb in ("resolve",):
        # resolving needs a resolution: answer with the command to type (forms come later)
        return Reply(
            _text(phrase("action.needs_text", verb=verb, key=value, usage=usage(f"ticket.{verb}")))
        )
    return handle_text(desk, actor, place, f"{family} {verb} {value}")


def handle_form(
    desk: Desk, actor: Actor, place: Place, form_id: str, values: dict[str, str]
) -> Reply:
    if form_id != "ticket.new":
        return refusal(phrase("error.unknown_form", given=form_id))
    try:
        fields = validate(values, desk.config)
    except FieldErrors as exc:
        return Reply(form=new_ticket_form(desk.config, values), form_errors=exc.errors, ok=False)
    return tickets.log(desk, actor, place, fields)


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
        case HelpRequest(topic=topic):
            return Reply(_text(render("help.md", topic=topic)))
    raise AssertionError(f"unhandled request {request!r}")
