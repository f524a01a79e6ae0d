"""Ticket use cases: log, show, take, note, dispatch, resolve, close, reopen.

Each runs in one transaction: the ticket, its audit event and the posts it causes are
written together, and a refusal raises before anything is committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlmodel import Session

from handlers.chat.model import Actor, Message, Place, Post, Reply, Target, Text
from handlers.chat.refusals import Refused
from handlers.chat.texts import phrase, render
from handlers.commands.fields import NewTicket
from handlers.commands.grammar import TicketVerb
from handlers.config.team import Person
from handlers.desk import Desk
from handlers.raci.tagging import responsible, tag
from handlers.tickets import cards, lifecycle, permissions
from storage import tickets as repo
from storage.db import session_scope
from storage.models import Ticket


def card_key(ticket: Ticket) -> str:
    """The dedupe key of a ticket's queue card: threads and edits point at it."""
    return f"{ticket.scope}:{ticket.key}:card"


def _text(markdown: str) -> Message:
    return Message((Text(markdown),), markdown)


def _in_thread(desk: Desk, ticket: Ticket, key: str, phrase_key: str, **context: object) -> Post:
    """A text reply under the ticket's queue card, in the team's language."""
    with desk.for_channel():
        markdown = phrase(phrase_key, t=ticket, **context)
    return Post(Target("channel", "queue", thread=card_key(ticket)), _text(markdown), key)


def log(desk: Desk, actor: Actor, place: Place, fields: NewTicket) -> Reply:
    scope, now = place.channel.scope, desk.now()
    reporter = fields.reporter or actor.key
    with session_scope(desk.engine) as session:
        ticket = Ticket(
            scope=scope,
            number=repo.next_number(session, scope),
            summary=fields.summary,
            description=fields.description,
            reporter=reporter,
            logged_by=actor.key,
            intake=fields.intake,
            category=fields.category,
            priority=fields.priority,
            environment=fields.environment,
            links=list(fields.links),
            tried=fields.tried,
            created_at=now,
            updated_at=now,
            first_response_at=now if _answered_while_logged(desk, actor, fields) else None,
        )
        repo.add(session, ticket)
        repo.record(
            session,
            ticket,
            actor.key,
            "created",
            now,
            summary=ticket.summary,
            category=ticket.category,
            priority=ticket.priority,
            intake=ticket.intake,
        )
        with desk.for_channel():
            card = cards.card(desk.config, ticket, notify=_intake_people(desk, actor, ticket))
        desk.post(
            session,
            actor.ref.platform,
            scope,
            Post(Target("channel", "queue"), card, card_key(ticket)),
        )
    return Reply(
        _text(phrase("done.new", t=ticket, channel=desk.config.channels.queue.name)),
        ephemeral=False,
    )


def _answered_while_logged(desk: Desk, actor: Actor, fields: NewTicket) -> bool:
    rules = desk.config.time_rules
    return fields.intake in rules.answered_at_logging and permissions.works_the_queue(
        desk.config, actor
    )


def _intake_people(desk: Desk, actor: Actor, ticket: Ticket) -> list[Person]:
    """Who a new ticket pings: the R of the intake activity (on-duty L1), not the logger."""
    activity = desk.config.activity(desk.config.purposes.intake)
    if activity is None:
        return []
    return responsible(desk.config, activity, ticket.category, exclude=actor.key)


def show(desk: Desk, place: Place, number: int) -> Reply:
    with session_scope(desk.engine) as session:
        ticket = _get(session, place.channel.scope, number)
        events = repo.events(session, ticket.id or 0)
    return Reply(cards.details(desk.config, ticket, events, desk.now()))


def act(desk: Desk, actor: Actor, place: Place, request: TicketVerb) -> Reply:
    """Any verb that changes a ticket; `show` is read-only and handled by `show`."""
    now = desk.now()
    with session_scope(desk.engine) as session:
        ticket = _get(session, place.channel.scope, request.number, lock=True)
        status = lifecycle.move(
            request.verb, ticket.key, ticket.status, ticket.assignee is not None
        )
        # state first: a move nobody may make now is better explained by the state
        permissions.check(desk.config, actor, request.verb, ticket)
        apply = _EFFECTS[request.verb]
        posts, detail, answer = apply(desk, actor, ticket, request, now)
        ticket.status = status
        ticket.updated_at = now
        if ticket.first_response_at is None and request.verb != "reopen":
            ticket.first_response_at = now
        session.add(ticket)
        session.flush()
        event_id = repo.record(
            session, ticket, actor.key, request.verb, now, status=status, **detail
        )
        with desk.for_channel():  # the card in the channel, pressed or not
            card = cards.card(desk.config, ticket)
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
    return Reply(_text(answer), ephemeral=False, update_card=card)


def _get(session: Session, scope: str, number: int, lock: bool = False) -> Ticket:
    ticket = repo.get(session, scope, number, lock=lock)
    if ticket is None:
        raise Refused(phrase("error.unknown_ticket", key=f"T-{number}"))
    return ticket


# -- what each verb does to the ticket -----------------------------------------------------
# Each returns the posts it causes, details for the audit event, and the answer to the actor.
Effect = tuple[list[Post], dict[str, object], str]


def _take(desk: Desk, actor: Actor, t: Ticket, r: TicketVerb, now: dt.datetime) -> Effect:
    if t.assignee == actor.key:
        raise Refused(phrase("refused.already_yours", key=t.key))
    previous = t.assignee
    t.assignee = actor.key
    return [], {"previous_assignee": previous}, phrase("done.take", t=t)


def _note(desk: Desk, actor: Actor, t: Ticket, r: TicketVerb, now: dt.datetime) -> Effect:
    post = _in_thread(desk, t, f"{t.key}:note", "post.note", actor=actor.name, text=r.text)
    return [post], {"text": r.text}, phrase("done.note", t=t)


def _dispatch(desk: Desk, actor: Actor, t: Ticket, r: TicketVerb, now: dt.datetime) -> Effect:
    config = desk.config
    if r.category:
        t.category = r.category
    if not t.category:
        raise Refused(phrase("refused.no_category", key=t.key))
    experts = config.experts(t.category)
    if not experts:
        raise Refused(phrase("refused.no_experts", key=t.key, category=t.category))
    if r.text:
        t.tried = f"{t.tried}\n{r.text}".strip()
    if t.assignee is None:
        t.assignee = actor.key  # the dispatcher follows it up (2-hourly progress notes)
    t.dispatched_at = now
    activity = config.activity(config.purposes.dispatch)
    tags = tag(config, activity, t.category, exclude=actor.key) if activity else []
    category = config.category(t.category)
    context = {
        "t": t,
        "experts": experts,
        "tags": tags,
        "activity": activity,
        "category": category,
        "actor": actor.name,
    }
    with desk.for_channel():
        thread = render("dispatch_thread.md", **context)
    posts = [
        Post(Target("channel", "queue", thread=card_key(t)), _text(thread), f"{t.key}:dispatch")
    ]
    if t.category in config.channels.l2:
        posts.append(
            Post(Target("channel", f"l2:{t.category}"), _text(thread), f"{t.key}:dispatch-l2")
        )
    for p in experts:
        with desk.for_person(p):
            dm = render("dispatch_dm.md", **context)
        posts.append(Post(Target("person", p.id), _text(dm), f"{t.key}:dispatch-dm:{p.id}"))
    return (
        posts,
        {"category": t.category, "tried": r.text, "experts": [p.id for p in experts]},
        phrase("done.dispatch", t=t, experts=experts),
    )


def _rca(desk: Desk, actor: Actor, t: Ticket, r: TicketVerb, now: dt.datetime) -> Effect:
    """L2's root cause: stops the ticket's root-cause clock (the first one counts for it)."""
    t.root_cause = r.text
    if t.root_cause_at is None:
        t.root_cause_at = now
    post = _in_thread(desk, t, f"{t.key}:rca", "post.rca", actor=actor.name)
    return [post], {"text": r.text}, phrase("done.rca", t=t)


def _resolve(desk: Desk, actor: Actor, t: Ticket, r: TicketVerb, now: dt.datetime) -> Effect:
    t.resolution = r.text
    t.resolved_at = now
    post = _in_thread(desk, t, f"{t.key}:resolve", "post.resolved", actor=actor.name)
    return [post], {"resolution": r.text}, phrase("done.resolve", t=t)


def _close(desk: Desk, actor: Actor, t: Ticket, r: TicketVerb, now: dt.datetime) -> Effect:
    t.closed_at = now
    return [], {}, phrase("done.close", t=t)


def _reopen(desk: Desk, actor: Actor, t: Ticket, r: TicketVerb, now: dt.datetime) -> Effect:
    t.resolved_at = None
    t.closed_at = None
    t.resolution = ""  # it did not hold; the audit trail keeps it
    post = _in_thread(desk, t, f"{t.key}:reopen", "post.reopened", actor=actor.name, reason=r.text)
    return [post], {"reason": r.text}, phrase("done.reopen", t=t)


_EFFECTS: dict[str, Callable[[Desk, Actor, Ticket, TicketVerb, dt.datetime], Effect]] = {
    "take": _take,
    "note": _note,
    "dispatch": _dispatch,
    "rca": _rca,
    "resolve": _resolve,
    "close": _close,
    "reopen": _reopen,
}
