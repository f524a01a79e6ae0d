"""Satisfaction scores: the survey's buttons, `/ticket csat T-5 4 [comment]` for a score given
by phone, and the QA follow-up of a low score (seed 003: 低满意度 ≤ 3).

One score per resolution of a ticket; it may be changed within `quality.survey.change_window`
of the first answer. A low score pings the QA specialist in the ticket's thread with a
**Record root cause** button; the score and the follow-up are events in the ticket's history.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from handlers.chat.model import (
    Actions,
    Actor,
    Button,
    Message,
    Place,
    Post,
    Reply,
    Target,
    Text,
)
from handlers.chat.refusals import Refused
from handlers.chat.texts import phrase
from handlers.commands.grammar import ParseError, TicketVerb, usage
from handlers.commands.quality import QaCause
from handlers.desk import Desk
from handlers.quality.common import button_value, locked_ticket, qa_people, require_qa
from handlers.tickets import permissions
from handlers.tickets.posts import card_key
from handlers.tickets.survey import SCORES
from storage import quality as store
from storage import tickets as repo
from storage.models import Ticket
from storage.quality import SatisfactionScore

CAUSE_ACTION = "qa.cause"
CAUSE_FORM = "qa.cause"


def from_button(desk: Desk, actor: Actor, place: Place, value: str) -> Reply:
    """A press on the survey: value `T-5:4`."""
    number, score = button_value(value)
    if not score.isdigit() or int(score) not in SCORES:
        raise Refused(phrase("error.bad_score", given=score))
    return record(desk, actor, place.channel.scope, number, int(score), "", "chat")


def from_command(desk: Desk, actor: Actor, place: Place, request: TicketVerb) -> Reply:
    """`/ticket csat T-5 4 [comment]`: the reporter themselves, or a score given by phone."""
    word, _, comment = request.text.partition(" ")
    if not word.isdigit() or int(word) not in SCORES:
        raise ParseError(phrase("error.bad_score", given=word), usage("ticket.csat"))
    return record(
        desk, actor, place.channel.scope, request.number, int(word), comment.strip(), None
    )


def record(
    desk: Desk, actor: Actor, scope: str, number: int, score: int, comment: str, via: str | None
) -> Reply:
    config, now = desk.config, desk.now()
    with desk.writing() as session:
        ticket = locked_ticket(session, scope, number)
        if ticket.resolved_at is None:
            raise Refused(phrase("refused.csat_open", t=ticket))
        is_reporter = actor.key in (ticket.reporter, ticket.logged_by)
        if not is_reporter and not permissions.works_the_queue(config, actor):
            raise Refused(phrase("refused.csat_who", t=ticket))
        how = via or ("chat" if actor.key == ticket.reporter else "phone")
        row = store.score_of(session, ticket.id or 0, ticket.resolved_at)
        window = dt.timedelta(minutes=config.quality.survey.change_window)
        if row is not None and now > row.answered_at + window:
            raise Refused(phrase("refused.csat_closed", t=ticket, score=row.score))
        previous = row.score if row else None
        if row is None:
            row = SatisfactionScore(
                ticket_id=ticket.id or 0,
                scope=ticket.scope,
                resolved_at=ticket.resolved_at,
                score=score,
                comment=comment,
                given_by=actor.key,
                via=how,
                answered_at=now,
                updated_at=now,
            )
        row.score, row.updated_at, row.given_by, row.via = score, now, actor.key, how
        if comment:
            row.comment = comment
        session.add(row)
        session.flush()
        event = repo.record(
            session, ticket, actor.key, "csat", now, score=score, comment=comment, via=how
        )
        low = config.quality.survey.low_score
        if score <= low and (previous is None or previous > low):
            _follow_up(desk, session, ticket, actor, score, comment, event)
    return Reply(
        Message.text(phrase("done.csat", t=ticket, score=score, changed=previous is not None))
    )


def _follow_up(
    desk: Desk, session: Session, ticket: Ticket, actor: Actor, score: int, comment: str, event: int
) -> None:
    """A low score: the QA specialist is pinged in the ticket's thread to find the root cause."""
    people = qa_people(desk.config)
    body = phrase("csat.low", t=ticket, score=score, comment=comment, people=people)
    message = Message(
        (Text(body), Actions((Button(phrase("button.qa_cause"), CAUSE_ACTION, ticket.key),))),
        body,
    )
    thread = Target("channel", "queue", thread=card_key(ticket))
    desk.post(
        session,
        ticket.scope.partition(":")[0],
        ticket.scope,
        Post(thread, message, f"{ticket.key}:csat-low:{event}"),
    )
    repo.record(
        session, ticket, "deskbot", "qa_flag", desk.now(), score=score, qa=[p.id for p in people]
    )


def cause_form(desk: Desk, key: str) -> Reply:
    from handlers.chat.model import Form, FormField

    fields = (
        FormField("ticket", phrase("field.ticket"), required=True, initial=key),
        FormField("cause", phrase("field.qa_cause"), kind="multiline", required=True),
    )
    return Reply(
        form=Form(
            CAUSE_FORM,
            phrase("form.qa_cause.title", key=key),
            phrase("form.qa_cause.submit"),
            fields,
            phrase("form.qa_cause.hint", key=key),
        )
    )


def record_cause(desk: Desk, actor: Actor, place: Place, request: QaCause) -> Reply:
    """The QA specialist's root cause of a low score (or of an overdue ticket)."""
    config, now = desk.config, desk.now()
    require_qa(config, actor)
    with desk.writing() as session:
        ticket = locked_ticket(session, place.channel.scope, request.number)
        event = repo.record(session, ticket, actor.key, "qa_cause", now, text=request.text)
        thread = Target("channel", "queue", thread=card_key(ticket))
        post = Post(
            thread,
            Message.text(phrase("post.qa_cause", t=ticket, actor=actor.name, text=request.text)),
            f"{ticket.key}:qa-cause:{event}",
        )
        desk.post(session, actor.ref.platform, ticket.scope, post)
    return Reply(Message.text(phrase("done.qa_cause", t=ticket)))
