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
from handlers.chat.model import Actor, Message, Place, Reply
from handlers.chat.refusals import Refused
from handlers.chat.texts import Md, phrase, render
from handlers.commands.fields import FieldErrors, new_ticket_form, validate
from handlers.commands.grammar import (
    HelpRequest,
    HuddleEnd,
    HuddleStart,
    KpiView,
    OncallGive,
    OncallTake,
    OncallView,
    ParseError,
    QueueView,
    RaciLookup,
    RosterLookup,
    TicketNew,
    TicketVerb,
    parse,
    usage,
)
from handlers.commands.quality import (
    KbNew,
    KbReview,
    KbSearch,
    KbShow,
    QaCause,
    QaCheck,
    ReportRequest,
    SuggestMove,
    SuggestNew,
)
from handlers.desk import Desk
from handlers.huddles import outcome as huddle_outcome
from handlers.huddles import start as huddles
from handlers.huddles.messages import OUTCOME_ACTION, OUTCOME_FORM
from handlers.knowledge import entries as knowledge
from handlers.knowledge import messages as kb_messages
from handlers.knowledge.search import knowledge_reference
from handlers.kpis import command as kpi_command
from handlers.oncall import command as oncall
from handlers.oncall.duty import staffed_now
from handlers.quality import sample as qa_sample
from handlers.quality import satisfaction, suggestions, weekly_report
from handlers.raci import lookup as raci
from handlers.raci import roster
from handlers.sharing import answers as sharing
from handlers.tickets import forms as ticket_forms
from handlers.tickets import from_chat, queue
from handlers.tickets import workflow as tickets
from handlers.tickets.survey import SCORE_ACTION

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
    """A button press: `ticket.take` with value `T-3` is `/ticket take T-3`; the buttons that
    need more than a press (Resolve, Dispatch, Edit) open their form."""
    family, _, verb = action_id.partition(".")
    if action_id == sharing.ACTION:  # the answer of `value`, posted in the conversation
        return handle_text(desk, actor, place, f"{value} share")
    try:
        if family == "ticket" and verb in ticket_forms.FORM_VERBS:
            return ticket_forms.open_form(desk, place, verb, value)
        if action_id == "ticket.take":
            asked = ticket_forms.confirm_take(desk, actor, place, value)
            if asked is not None:
                return asked
        if action_id == ticket_forms.TAKE_OVER:
            verb = "take"
    except Refused as exc:
        return refusal(Md(exc.reason))
    if family == "huddle" and verb in ("start", "join"):
        return handle_text(desk, actor, place, f"huddle {value}")  # join: points to the open one
    if action_id == OUTCOME_ACTION:
        return huddle_outcome.outcome_form(desk, place, value)
    try:
        quality = _quality_action(desk, actor, place, action_id, value)
    except Refused as exc:
        return refusal(Md(exc.reason))
    if quality is not None:
        return quality
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
    if form_id in (knowledge.FORM_ID, satisfaction.CAUSE_FORM):
        return _quality_form(desk, actor, place, form_id, values)
    if form_id.partition(":")[0].removeprefix("ticket.") in ticket_forms.FORM_VERBS:
        try:
            return ticket_forms.submit(desk, actor, place, form_id, values)
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
    desk: Desk,
    actor: Actor,
    place: Place,
    text: str,
    link: str | None = None,
    author: str = "",
) -> Reply:
    """A chat message made into a ticket (a message shortcut or action): the new-ticket form,
    prefilled with the message's first line as summary, its text, a link to it and its
    author as reporter."""
    reporter = from_chat.reporter_of(desk, place, author)
    return Reply(form=new_ticket_form(desk.config, from_chat.prefill(text, link, reporter)))


def ticket_from_reaction(
    desk: Desk, actor: Actor, place: Place, text: str, author: str, link: str | None = None
) -> Reply:
    """A message someone reacted to with the team's ticket emoji: logged at once."""
    try:
        return from_chat.from_reaction(desk, actor, place, text, author, link)
    except Refused as exc:
        return refusal(Md(exc.reason))


def refusal(reason: str) -> Reply:
    return Reply(Message.text(reason), ephemeral=True, ok=False)


def _run(desk: Desk, actor: Actor, place: Place, request: object) -> Reply:
    match request:
        case TicketNew(fields=None):
            return Reply(form=new_ticket_form(desk.config))
        case TicketNew(fields=fields) if fields is not None:
            return tickets.log(desk, actor, place, fields)
        case TicketVerb(verb="show", number=number):
            return tickets.show(desk, place, number)
        case TicketVerb(verb="csat"):
            return satisfaction.from_command(desk, actor, place, request)
        case TicketVerb(verb="resolve", text=text) if entry := knowledge_reference(text):
            knowledge.check_reference(desk, place.channel.scope, entry)
            return tickets.act(desk, actor, place, request)
        case TicketVerb():
            return tickets.act(desk, actor, place, request)
        case QueueView():
            return queue.show(desk, actor, place, request)
        case RaciLookup(query=query, share=share):
            lookup = functools.partial(raci.lookup, desk.config, query)
            return _shared(desk, actor, place, lookup, share, f"raci {query}")
        case RosterLookup(role=role, share=share):
            # on duty as the rota says now
            on_duty = functools.partial(roster.roster, staffed_now(desk), role)
            return _shared(desk, actor, place, on_duty, share, f"roster {role}")
        case HuddleStart():
            return huddles.start(desk, actor, place, request)
        case HuddleEnd():
            return huddle_outcome.end(desk, actor, place, request)
        case KpiView(period=period, chart=chart, share=share):
            figures = functools.partial(kpi_command.show, desk, place, period, chart)  # type: ignore[arg-type]
            return _shared(desk, actor, place, figures, share, f"kpi {period}")
        case KbNew(values=None, ticket=ticket):
            return knowledge.new_form(desk, place, ticket)
        case KbNew(values=values) if values is not None:
            return knowledge.submit(desk, actor, place, values, from_form=False)
        case KbShow(number=number):
            return knowledge.show(desk, place, number)
        case KbSearch(text=text):
            return knowledge.search(desk, place, text)
        case KbReview():
            return knowledge.review(desk, actor, place, request)
        case SuggestNew():
            return suggestions.add(desk, actor, place, request)
        case SuggestMove():
            return suggestions.move(desk, actor, place, request)
        case QaCheck():
            return qa_sample.record(desk, actor, place, request)
        case QaCause():
            return satisfaction.record_cause(desk, actor, place, request)
        case ReportRequest(verb="submit", text=text):
            return weekly_report.submit(desk, actor, place, text)
        case ReportRequest():
            return weekly_report.show(desk, actor, place)
        case OncallView():
            return oncall.show(desk, request)
        case OncallTake():
            return oncall.take(desk, actor, place, request)
        case OncallGive():
            return oncall.give(desk, actor, place, request)
        case HelpRequest(topic=topic):
            return Reply(Message.text(render("help.md", topic=topic)))
    raise AssertionError(f"unhandled request {request!r}")


def _quality_action(
    desk: Desk, actor: Actor, place: Place, action_id: str, value: str
) -> Reply | None:
    """Presses on the survey, the review request, the QA sample and the low-score ping."""
    if action_id == SCORE_ACTION:
        return satisfaction.from_button(desk, actor, place, value)
    if action_id in (qa_sample.PASS_ACTION, qa_sample.FAIL_ACTION):
        return qa_sample.from_button(desk, actor, place, action_id == qa_sample.PASS_ACTION, value)
    if action_id == weekly_report.SUBMIT_ACTION:
        return weekly_report.submit(desk, actor, place, "")
    if action_id == satisfaction.CAUSE_ACTION:
        return satisfaction.cause_form(desk, value)
    if action_id == kb_messages.APPROVE_ACTION:
        return handle_text(desk, actor, place, f"kb approve {value}")
    if action_id == kb_messages.RETURN_ACTION:
        # returning needs a comment: answer with the command to type
        return Reply(
            Message.text(
                phrase("action.needs_text", verb="return", key=value, usage=usage("kb.return"))
            )
        )
    return None


def _quality_form(
    desk: Desk, actor: Actor, place: Place, form_id: str, values: dict[str, str]
) -> Reply:
    try:
        if form_id == knowledge.FORM_ID:
            return knowledge.submit(desk, actor, place, values, from_form=True)
        text = f"ticket qa {values.get('ticket', '')} cause {values.get('cause', '')}"
        return handle_text(desk, actor, place, text)
    except Refused as exc:
        return refusal(Md(exc.reason))


def _shared(
    desk: Desk, actor: Actor, place: Place, answer: Callable[[], Reply], share: bool, asked: str
) -> Reply:
    """A private answer with a Share button, or (`share`) posted in the conversation: a
    channel post, so in the team's language whoever asked."""
    if share:
        with desk.for_channel():
            reply = answer()
        return sharing.share(desk, actor, place, reply)
    return sharing.offer(answer(), asked.strip())
