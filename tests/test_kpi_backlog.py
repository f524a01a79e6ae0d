"""The backlog as a digest and a standup list it, counted in the database, equals the rule
(`overdue.overdue`) applied to every open ticket: the same count, the same first ones in
the same order (deadlines tied across a weekend, numbers out of logging order included)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from handlers.config.team import TeamConfig
from handlers.kpis import backlog
from handlers.kpis.backlog import Listing, escalations_now, overdue_now
from handlers.kpis.basis import AnyTicket, Breach
from handlers.kpis.overdue import overdue
from handlers.tickets import clocks
from storage.models import Ticket
from storage.tickets import OPEN
from tests.test_kpi_basis import NOW, SCOPE, fill

NOWS = [NOW, NOW - dt.timedelta(days=3, hours=5), NOW - dt.timedelta(days=40, minutes=7)]


def open_by(session: Session, now: dt.datetime) -> list[AnyTicket]:
    query = select(Ticket).where(Ticket.scope == SCOPE).order_by(Ticket.created_at, Ticket.id)  # type: ignore[arg-type]
    return [t for t in session.exec(query) if t.status in OPEN and t.created_at <= now]


def shown(found: list[Breach] | Listing[Breach]) -> list[tuple[object, ...]]:
    return [(b.ticket.number, b.kind, b.due, b.stopped, b.late, b.working_time) for b in found]


@pytest.mark.parametrize("listed", [3, 20])
def test_overdue_now_equals_the_rule_over_every_open_ticket(
    sample: TeamConfig, engine: Engine, listed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backlog, "LISTED", listed)
    fill(engine, 900)
    with Session(engine) as session:
        for now in NOWS:
            expected = overdue(sample, open_by(session, now), now)
            got = overdue_now(sample, session, SCOPE, now)
            assert len(got) == len(expected) > listed
            assert shown(got[:listed]) == shown(expected[:listed]), now
            kinds = {b.kind for b in expected}
            assert kinds == {"first_response", "root_cause"}


def test_escalations_now_equal_every_open_dispatched_ticket(
    sample: TeamConfig, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backlog, "LISTED", 4)
    fill(engine, 900)
    with Session(engine) as session:
        for now in NOWS:
            dispatched = [t for t in open_by(session, now) if t.status == "dispatched"]
            got = escalations_now(sample, session, SCOPE, now)
            assert len(got) == len(dispatched) > 4
            assert [(t.number, clock) for t, clock in got[:4]] == [
                (t.number, clocks.root_cause(sample, t, now)) for t in dispatched[:4]
            ]


def test_a_listing_never_passes_for_the_whole_list() -> None:
    partial = Listing((1, 2, 3), 10)
    assert len(partial) == 10 and bool(partial)
    assert partial[:3] == [1, 2, 3] and partial[:2] == [1, 2] and partial[1] == 2
    for wrong in (slice(None, 5), slice(None, None), slice(2, None)):
        with pytest.raises(LookupError):
            partial[wrong]
    with pytest.raises(LookupError):
        partial[4]
    with pytest.raises(LookupError):
        list(partial)
    whole = Listing((1, 2), 2)
    assert list(whole) == [1, 2] and whole[:20] == [1, 2] and whole[-1] == 2
    assert not Listing((), 0)
