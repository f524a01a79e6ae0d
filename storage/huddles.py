"""Huddles and their timers: tables and queries.

A huddle belongs to a ticket; at most one per ticket is open (no outcome yet), which a
partial unique index decides. Its timers (warning, end, outcome reminder) are rows written
with the huddle, each fired at most once: firing is a conditional update of the row
(`done_at` from NULL to now), so a restart, a second replica or a repeated call never posts
twice, and the post sits in the same transaction as the claim, so nothing is lost either.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint, func, text, update
from sqlmodel import Field, Session, SQLModel, col, select

from storage.models import UTCDateTime

OPEN_ONLY = text("outcome_at IS NULL")


def _when(nullable: bool = True) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable)


class Huddle(SQLModel, table=True):
    __tablename__ = "huddle"
    __table_args__ = (
        UniqueConstraint("ticket_id", "number", name="uq_huddle_ticket_number"),
        # one open huddle per ticket: the database decides, not a read before the write
        Index(
            "uq_huddle_open",
            "ticket_id",
            unique=True,
            sqlite_where=OPEN_ONLY,
            postgresql_where=OPEN_ONLY,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    scope: str = Field(max_length=200)  # the ticket's: platform + workspace
    number: int  # 1, 2, ... on its ticket
    topic: str = Field(max_length=200)
    caller: str = Field(max_length=200)  # actor key
    participants: list[str] = Field(default_factory=list, sa_type=JSON)  # person ids, in order
    link: str = ""
    link_kind: str = Field(default="", max_length=20)  # template, slack_huddle, teams_call, ...
    external_id: str | None = Field(default=None, max_length=300)  # Slack call / Graph meeting
    started_at: dt.datetime = _when(nullable=False)
    ends_at: dt.datetime = _when(nullable=False)
    outcome: str = ""
    outcome_by: str | None = Field(default=None, max_length=200)
    outcome_at: dt.datetime | None = _when()

    @property
    def platform(self) -> str:
        return self.scope.partition(":")[0]


class HuddleTimer(SQLModel, table=True):
    __tablename__ = "huddle_timer"
    __table_args__ = (
        UniqueConstraint("huddle_id", "stage", name="uq_huddle_timer_stage"),
        Index("ix_huddle_timer_due", "done_at", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    huddle_id: int = Field(foreign_key="huddle.id")
    stage: str = Field(max_length=20)  # warning, end, reminder
    due_at: dt.datetime = _when(nullable=False)
    done_at: dt.datetime | None = _when()
    result: str = Field(default="", max_length=20)  # posted, late, cancelled


def add(session: Session, huddle: Huddle, stages: dict[str, dt.datetime]) -> Huddle:
    """A new huddle and its timers; raises IntegrityError when the ticket has an open one."""
    session.add(huddle)
    session.flush()
    assert huddle.id is not None
    for stage, due in stages.items():
        session.add(HuddleTimer(huddle_id=huddle.id, stage=stage, due_at=due))
    session.flush()
    return huddle


def open_for(session: Session, ticket_id: int, lock: bool = False) -> Huddle | None:
    query = select(Huddle).where(Huddle.ticket_id == ticket_id, col(Huddle.outcome_at).is_(None))
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


def next_number(session: Session, ticket_id: int) -> int:
    query = select(func.max(Huddle.number)).where(Huddle.ticket_id == ticket_id)
    return int(session.exec(query).one() or 0) + 1


def get(session: Session, huddle_id: int) -> Huddle | None:
    return session.get(Huddle, huddle_id)


def next_due(session: Session, after: dt.datetime) -> dt.datetime | None:
    query = select(func.min(HuddleTimer.due_at)).where(
        col(HuddleTimer.done_at).is_(None), HuddleTimer.due_at > after
    )
    return session.exec(query).one()  # min() keeps the column's type: aware UTC


def due(session: Session, now: dt.datetime, limit: int = 100) -> list[HuddleTimer]:
    """Timers not yet fired that are due by `now`, in due order."""
    query = (
        select(HuddleTimer)
        .where(col(HuddleTimer.done_at).is_(None), HuddleTimer.due_at <= now)
        .order_by(col(HuddleTimer.due_at), col(HuddleTimer.id))
        .limit(limit)
    )
    return list(session.exec(query))


def claim(session: Session, timer_id: int, now: dt.datetime, result: str) -> bool:
    """Mark a timer fired; false when someone else already did (then do nothing)."""
    stmt = (
        update(HuddleTimer)
        .where(col(HuddleTimer.id) == timer_id, col(HuddleTimer.done_at).is_(None))
        .values(done_at=now, result=result)
    )
    return session.execute(stmt).rowcount == 1  # type: ignore[attr-defined]


def cancel_pending(session: Session, huddle_id: int, now: dt.datetime) -> None:
    """The outcome is in: the timers still to come have nothing left to say."""
    session.execute(
        update(HuddleTimer)
        .where(col(HuddleTimer.huddle_id) == huddle_id, col(HuddleTimer.done_at).is_(None))
        .values(done_at=now, result="cancelled")
    )


def timers(session: Session, huddle_id: int) -> list[HuddleTimer]:
    query = (
        select(HuddleTimer)
        .where(HuddleTimer.huddle_id == huddle_id)
        .order_by(col(HuddleTimer.due_at), col(HuddleTimer.id))
    )
    return list(session.exec(query))
