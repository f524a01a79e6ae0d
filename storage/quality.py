"""Quality records: satisfaction scores, QA check results, improvement suggestions.

A score belongs to one resolution of a ticket (`resolved_at`): a ticket reopened and resolved
again is asked again, and the unique key keeps one answer per resolution.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint, and_, or_
from sqlmodel import Field, Session, SQLModel, col, select

from storage.db import by_other_index, chunked
from storage.db import dialect_insert as _insert
from storage.models import ClockStage, Ticket, TicketEvent, _when
from storage.tickets import next_number


class SatisfactionScore(SQLModel, table=True):
    __tablename__ = "satisfaction_score"
    __table_args__ = (
        UniqueConstraint("ticket_id", "resolved_at", name="uq_satisfaction_resolution"),
        Index("ix_satisfaction_scope_resolved", "scope", "resolved_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    scope: str = Field(max_length=200)
    resolved_at: dt.datetime = _when(nullable=False)  # which resolution was scored
    score: int
    comment: str = ""
    given_by: str = Field(max_length=200)  # actor key: the reporter, or who phoned them
    via: str = Field(max_length=20)  # chat (the survey) or phone (`/ticket csat`)
    answered_at: dt.datetime = _when(nullable=False)  # first answer: the change window
    updated_at: dt.datetime = _when(nullable=False)


class QaResult(SQLModel, table=True):
    """One QA check of one ticket: pass or fail, with an optional note; the last word wins."""

    __tablename__ = "qa_result"
    __table_args__ = (
        UniqueConstraint("ticket_id", "check", name="uq_qa_result"),
        Index("ix_qa_result_scope_at", "scope", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    scope: str = Field(max_length=200)
    check: str = Field(max_length=64)
    passed: bool
    note: str = ""
    by: str = Field(max_length=200)
    at: dt.datetime = _when(nullable=False)


class Suggestion(SQLModel, table=True):
    """A process-improvement suggestion (seed 003: at least five a month)."""

    __tablename__ = "suggestion"
    __table_args__ = (
        UniqueConstraint("scope", "number", name="uq_suggestion_scope_number"),
        Index("ix_suggestion_scope_created", "scope", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=200)
    number: int
    text: str
    author: str = Field(max_length=200)
    status: str = Field(default="new", max_length=20)  # new, accepted, done
    created_at: dt.datetime = _when(nullable=False)
    updated_at: dt.datetime = _when(nullable=False)

    @property
    def key(self) -> str:
        return f"S-{self.number}"


# -- satisfaction ----------------------------------------------------------------------


def score_of(
    session: Session, ticket_id: int, resolved_at: dt.datetime
) -> SatisfactionScore | None:
    query = select(SatisfactionScore).where(
        SatisfactionScore.ticket_id == ticket_id, SatisfactionScore.resolved_at == resolved_at
    )
    return session.exec(query.with_for_update()).first()


def scores_between(
    session: Session, scope: str, start: dt.datetime, end: dt.datetime
) -> list[SatisfactionScore]:
    """Scores of the resolutions that fell in [start, end)."""
    query = select(SatisfactionScore).where(
        SatisfactionScore.scope == scope,
        SatisfactionScore.resolved_at >= start,
        SatisfactionScore.resolved_at < end,
    )
    return list(session.exec(query))


# -- QA checks -------------------------------------------------------------------------


def save_check(
    session: Session,
    ticket_id: int,
    scope: str,
    check: str,
    passed: bool,
    note: str,
    by: str,
    at: dt.datetime,
) -> None:
    """Record a check; checking again replaces the earlier result (one row per check)."""
    values = {
        "ticket_id": ticket_id,
        "scope": scope,
        "check": check,
        "passed": passed,
        "note": note,
        "by": by,
        "at": at,
    }
    stmt = (
        _insert(session, QaResult)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["ticket_id", "check"],
            set_={k: values[k] for k in ("passed", "note", "by", "at")},
        )
    )
    session.execute(stmt)


def checks_between(
    session: Session, scope: str, start: dt.datetime, end: dt.datetime
) -> list[QaResult]:
    query = select(QaResult).where(QaResult.scope == scope, QaResult.at >= start, QaResult.at < end)
    return list(session.exec(query))


# -- suggestions -----------------------------------------------------------------------


def add_suggestion(
    session: Session, scope: str, text: str, author: str, at: dt.datetime
) -> Suggestion:
    # numbered by the ticket counter under a scope of their own: race-free on every backend
    number = next_number(session, f"{scope}#suggestion")
    row = Suggestion(
        scope=scope,
        number=number,
        text=text,
        author=author,
        created_at=at,
        updated_at=at,
    )
    session.add(row)
    session.flush()
    return row


def suggestion(session: Session, scope: str, number: int) -> Suggestion | None:
    query = select(Suggestion).where(Suggestion.scope == scope, Suggestion.number == number)
    return session.exec(query.with_for_update()).first()


def suggestions(
    session: Session,
    scope: str,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    open_only: bool = False,
) -> list[Suggestion]:
    query = select(Suggestion).where(Suggestion.scope == scope)
    if start is not None:
        query = query.where(Suggestion.created_at >= start)
    if end is not None:
        query = query.where(Suggestion.created_at < end)
    if open_only:
        query = query.where(Suggestion.status != "done")
    return list(session.exec(query.order_by(col(Suggestion.number))))


def awaiting_reminder(session: Session, since: dt.datetime, prefix: str) -> list[Ticket]:
    """Tickets of every scope resolved (and not reopened) since a moment, oldest first,
    whose resolution has no score and no reminder claimed (a `prefix…` stage of the ticket
    due at or after that resolution: an earlier resolution's fell due before the reopen).
    Filtered in the database: a day of resolutions as objects, each tick, was ~30 MB of a
    server's memory at a million tickets."""
    scored = (
        select(SatisfactionScore.ticket_id)
        .where(
            col(SatisfactionScore.ticket_id) == col(Ticket.id),
            col(SatisfactionScore.resolved_at) == col(Ticket.resolved_at),
        )
        .exists()
    )
    reminded = (
        select(ClockStage.ticket_id)
        .where(
            col(ClockStage.ticket_id) == col(Ticket.id),
            col(ClockStage.stage).startswith(prefix),
            col(ClockStage.due_at) >= col(Ticket.resolved_at),
        )
        .exists()
    )
    query = select(Ticket).where(
        col(Ticket.resolved_at).is_not(None),
        col(Ticket.resolved_at) >= since,
        col(Ticket.status).in_(("resolved", "closed")),
        ~scored,
        ~reminded,
    )
    return list(session.exec(query.order_by(col(Ticket.resolved_at), col(Ticket.id))))


def finished_between(
    session: Session, scope: str, start: dt.datetime, end: dt.datetime
) -> list[Ticket]:
    """Tickets resolved or closed in [start, end): the QA sample's pool."""
    query = select(Ticket).where(
        Ticket.scope == scope,
        or_(
            and_(col(Ticket.resolved_at) >= start, col(Ticket.resolved_at) < end),
            and_(col(Ticket.closed_at) >= start, col(Ticket.closed_at) < end),
        ),
    )
    return list(session.exec(query.order_by(col(Ticket.number))))


def low_scored(session: Session, ticket_ids: Iterable[int], at_most: int) -> set[int]:
    found: set[int] = set()
    for chunk in chunked(ticket_ids):  # a day's finished tickets: bounded statements
        query = select(SatisfactionScore.ticket_id).where(
            col(SatisfactionScore.ticket_id).in_(chunk), SatisfactionScore.score <= at_most
        )
        found.update(session.exec(query))
    return found


def reused_entries(session: Session, ticket_ids: Iterable[int]) -> dict[int, int]:
    """Per ticket, the knowledge entry its latest resolution named, when it named one.

    Read in chunks of ids, narrow: a month's resolutions at scale are tens of thousands (one
    bound parameter each would pass PostgreSQL's limit of 65,535 in one statement)."""
    latest: dict[int, dict[str, Any]] = {}
    for chunk in chunked(ticket_ids):
        query = (
            select(TicketEvent.ticket_id, TicketEvent.detail)
            .where(
                col(TicketEvent.ticket_id).in_(chunk),
                by_other_index(col(TicketEvent.kind)) == "resolve",
            )
            .order_by(col(TicketEvent.id))
        )
        latest.update({ticket_id: detail for ticket_id, detail in session.exec(query)})
    return {t: int(d["knowledge"]) for t, d in latest.items() if d.get("knowledge")}


class WeeklyReport(SQLModel, table=True):
    """An L2 expert's weekly complex-problem report, filed once per week (seed 003 §2.1.3)."""

    __tablename__ = "weekly_report"
    __table_args__ = (UniqueConstraint("scope", "person", "week", name="uq_weekly_report"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=200)
    person: str = Field(max_length=200)
    week: dt.date  # the Monday of the week reported on
    tickets: list[int] = Field(default_factory=list, sa_type=JSON)  # ticket numbers covered
    suggestions: str = ""
    filed_at: dt.datetime = _when(nullable=False)


def file_report(session: Session, row: WeeklyReport) -> bool:
    """Insert a report; False when that person already filed for that week."""
    values = row.model_dump(exclude={"id"})
    stmt = (
        _insert(session, WeeklyReport)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["scope", "person", "week"])
        .returning(WeeklyReport.id)
    )
    return session.execute(stmt).first() is not None


def filed(session: Session, scope: str, week: dt.date) -> set[str]:
    query = select(WeeklyReport.person).where(
        WeeklyReport.scope == scope, WeeklyReport.week == week
    )
    return set(session.exec(query))


def dispatched_since(session: Session, scope: str, since: dt.datetime) -> list[Ticket]:
    """Tickets dispatched at or after a moment, and open ones dispatched before it: what an
    L2 report covers (the week's work, and what is still overdue from earlier weeks)."""
    query = select(Ticket).where(
        Ticket.scope == scope,
        col(Ticket.dispatched_at).is_not(None),
        or_(
            col(Ticket.dispatched_at) >= since,
            col(Ticket.status).in_(("new", "in_progress", "dispatched")),
        ),
    )
    return list(session.exec(query.order_by(col(Ticket.dispatched_at), col(Ticket.number))))
