"""Ticket use cases: log, show, and every verb that changes a ticket.

Each runs in one transaction: the ticket, its audit event and the posts it causes are
written together, and a refusal raises before anything is committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from handlers.chat.model import Actor, Message, Place, Post, Reply, Target
from handlers.chat.refusals import Refused
from handlers.chat.texts import phrase
from handlers.commands.fields import NewTicket
from handlers.commands.grammar import TicketVerb
from handlers.config.team import Person, TeamConfig
from handlers.desk import Desk
from handlers.knowledge.search import might_help
from handlers.oncall.duty import staffed
from handlers.raci.tagging import responsible
from handlers.tickets import cards, changes, handover, lifecycle, permissions
from handlers.tickets.posts import card_key, in_thread
from storage import tickets as repo
from storage.models import Ticket


def log(desk: Desk, actor: Actor, place: Place, fields: NewTicket) -> Reply:
    ticket = create(desk, actor, place, fields)
    return Reply(
        Message.text(phrase("done.new", t=ticket, channel=desk.config.channels.queue.name)),
        ephemeral=False,
    )


def create(desk: Desk, actor: Actor, place: Place, fields: NewTicket) -> Ticket:
    """A new ticket, its audit event and its queue card, in one transaction (of prebuilt
    statements only: no ORM session outside an inbound request)."""
    scope, now = place.channel.scope, desk.now()
    reporter = fields.reporter or actor.key
    with desk.writing_rows() as session:
        answered = answered_while_logged(desk.config, actor, fields.intake)
        ticket = repo.insert_new(
            session,
            row_from(
                fields,
                scope=scope,
                number=repo.next_number(session, scope),
                reporter=reporter,
                logged_by=actor.key,
                created_at=now,
                updated_at=now,
                first_response_at=now if answered else None,
            ),
        )
        repo.record(
            session,
            ticket,
            actor.key,
            "created",
            now,
            recheck=False,  # `add` marked it for the clocks
            summary=ticket.summary,
            category=ticket.category,
            priority=ticket.priority,
            intake=ticket.intake,
        )
        on_duty = staffed(desk.config, session, now)  # the rota as it stands now
        with desk.for_channel():
            card = cards.card(
                desk.config,
                ticket,
                notify=_intake_people(on_duty, actor, ticket),
                suggestions=might_help(desk.config, session, ticket),
            )
        desk.post(
            session,
            actor.ref.platform,
            scope,
            Post(Target("channel", "queue"), card, card_key(ticket)),
        )
    return ticket


def ticket_from(fields: NewTicket, **values: Any) -> Ticket:
    """A ticket with the intake fields as given (logging, and import), the rest from values."""
    return Ticket(**row_from(fields, **values))


def row_from(fields: NewTicket, **values: Any) -> dict[str, Any]:
    """`ticket_from` as column values, for an insert that needs no model object first."""
    return {
        "summary": fields.summary,
        "description": fields.description,
        "intake": fields.intake,
        "category": fields.category,
        "priority": fields.priority,
        "environment": fields.environment,
        "links": list(fields.links),
        "tried": fields.tried,
        **values,
    }


def answered_while_logged(config: TeamConfig, actor: Actor, intake: str) -> bool:
    """Logging is the first response when someone who works the queue logs a ticket from
    an intake of `time_rules.answered_at_logging` (the caller was on the line)."""
    rules = config.time_rules
    return intake in rules.answered_at_logging and permissions.works_the_queue(config, actor)


def _intake_people(config: TeamConfig, actor: Actor, ticket: Ticket) -> list[Person]:
    """Who a new ticket pings: the R of the intake activity (on-duty L1), not the logger."""
    activity = config.activity(config.purposes.intake)
    if activity is None:
        return []
    return responsible(config, activity, ticket.category, exclude=actor.key)


def show(desk: Desk, place: Place, number: int) -> Reply:
    with desk.reading() as session:
        ticket = _get(session, place.channel.scope, number)
        events = repo.events(session, ticket.id or 0)
    return Reply(cards.details(desk.config, ticket, events, desk.now()))


def act(desk: Desk, actor: Actor, place: Place, request: TicketVerb) -> Reply:
    """Any verb that changes a ticket; `show` is read-only and handled by `show`."""
    now = desk.now()
    with desk.writing() as session:
        ticket = _get(session, place.channel.scope, request.number, lock=True)
        status = lifecycle.move(
            request.verb, ticket.key, ticket.status, ticket.assignee is not None
        )
        # state first: a move nobody may make now is better explained by the state
        permissions.check(desk.config, actor, request.verb, ticket)
        if request.verb == "close":
            changes.check_duplicate(session, ticket, request)
        apply = _EFFECTS[request.verb]
        posts, detail, answer = apply(desk, actor, ticket, request, now)
        ticket.status = status
        ticket.updated_at = now
        # a correction of the ticket's fields is no answer to the user
        if ticket.first_response_at is None and request.verb not in ("reopen", "edit"):
            ticket.first_response_at = now
        session.add(ticket)
        session.flush()
        event_id = repo.record(
            session, ticket, actor.key, request.verb, now, status=status, **detail
        )
        with desk.for_channel():  # the card in the channel, pressed or not
            card = cards.card(
                desk.config, ticket, suggestions=might_help(desk.config, session, ticket)
            )
        platform = actor.ref.platform
        desk.post(
            session,
            platform,
            ticket.scope,
            Post(Target("channel", "queue", replace=card_key(ticket)), card),
        )
        for post in posts:
            key = f"{post.dedupe_key}:{event_id}" if post.dedupe_key else None
            desk.post(session, platform, ticket.scope, Post(post.target, post.message, key))
    return Reply(Message.text(answer), ephemeral=False, update_card=card)


def _get(session: Session, scope: str, number: int, lock: bool = False) -> Ticket:
    ticket = repo.get(session, scope, number, lock=lock)
    if ticket is None:
        raise Refused(phrase("error.unknown_ticket", key=f"T-{number}"))
    return ticket


# -- what each verb does to the ticket -----------------------------------------------------
# Each returns the posts it causes, details for the audit event, and the answer to the actor.
Effect = tuple[list[Post], dict[str, object], str]


def _note(desk: Desk, actor: Actor, t: Ticket, r: TicketVerb, now: dt.datetime) -> Effect:
    with desk.for_channel():
        text = phrase("post.note", t=t, actor=actor.name, text=r.text)
    return [in_thread(t, text, f"{t.key}:note")], {"text": r.text}, phrase("done.note", t=t)


def _reopen(desk: Desk, actor: Actor, t: Ticket, r: TicketVerb, now: dt.datetime) -> Effect:
    t.resolved_at = None
    t.closed_at = None
    t.close_reason, t.duplicate_of = "", None
    t.resolution = ""  # it did not hold; the audit trail keeps it
    with desk.for_channel():
        text = phrase("post.reopened", t=t, actor=actor.name, reason=r.text)
    post = in_thread(t, text, f"{t.key}:reopen")
    return [post], {"reason": r.text}, phrase("done.reopen", t=t)


_EFFECTS: dict[str, Callable[[Desk, Actor, Ticket, TicketVerb, dt.datetime], Effect]] = {
    "take": handover.take,
    "assign": handover.assign,
    "edit": changes.edit,
    "note": _note,
    "dispatch": handover.dispatch,
    "rca": changes.rca,
    "resolve": changes.resolve,
    "close": changes.close,
    "reopen": _reopen,
}
