"""Inbound work is marked done in the same commit as its change and its answer, and only once."""

from __future__ import annotations

from sqlmodel import Session, select

from handlers import router
from handlers.desk import Desk
from storage import inbound
from storage.db import session_scope
from storage.models import InboundEvent, Ticket
from tests.conftest import PLACE, actor_of


def _take(desk: Desk, key: str) -> None:
    with session_scope(desk.engine) as session:
        assert inbound.claim(session, "test", key, desk.now(), {"text": "ticket new x"})


def _row(desk: Desk, key: str) -> InboundEvent:
    with Session(desk.engine) as session:
        return session.exec(select(InboundEvent).where(InboundEvent.event_id == key)).one()


def _tickets(desk: Desk) -> list[Ticket]:
    with Session(desk.engine) as session:
        return list(session.exec(select(Ticket)))


def test_the_work_and_its_done_mark_commit_together(desk: Desk) -> None:
    _take(desk, "k1")
    lee = actor_of(desk.config, "lee")
    unit = inbound.Unit(desk.engine, "test", "k1", desk.now())
    router.handle_text(desk.running(unit), lee, PLACE, "ticket new VPN down")
    assert unit.commit({"said": "T-1"})
    row = _row(desk, "k1")
    assert row.done_at == desk.now() and row.answer == {"said": "T-1"}
    assert len(_tickets(desk)) == 1
    with session_scope(desk.engine) as session:  # the answer went out
        assert inbound.answered(session, "test", ["k1"], desk.now())
        assert not inbound.answered(session, "test", ["k1"], desk.now())
    row = _row(desk, "k1")
    assert row.payload is None and row.answer is None


def test_prebuilt_rows_and_orm_changes_of_one_request_commit_together(desk: Desk) -> None:
    # logging writes prebuilt rows on the unit's connection, taking it the ORM session
    # joined to the same transaction: the take sees the new ticket, and both commit at once
    _take(desk, "k6")
    lee = actor_of(desk.config, "lee")
    unit = inbound.Unit(desk.engine, "test", "k6", desk.now())
    worked = desk.running(unit)
    assert router.handle_text(worked, lee, PLACE, "ticket new VPN down").ok
    assert router.handle_text(worked, lee, PLACE, "ticket take T-1").ok
    assert unit.commit(None)
    assert [(t.number, t.assignee) for t in _tickets(desk)] == [(1, "lee")]
    assert _row(desk, "k6").done_at == desk.now()


def test_a_second_runner_of_finished_work_changes_nothing(desk: Desk) -> None:
    _take(desk, "k2")
    with session_scope(desk.engine) as session:  # someone else finished it meanwhile
        assert inbound.mark_done(session, "test", "k2", desk.now())
    lee = actor_of(desk.config, "lee")
    unit = inbound.Unit(desk.engine, "test", "k2", desk.now())
    router.handle_text(desk.running(unit), lee, PLACE, "ticket new VPN down")
    assert not unit.commit(None)
    assert _tickets(desk) == []  # the ticket's transaction was rolled back


def test_reading_does_not_mark_the_work_done(desk: Desk) -> None:
    _take(desk, "k3")
    lee = actor_of(desk.config, "lee")
    unit = inbound.Unit(desk.engine, "test", "k3", desk.now())
    router.handle_text(desk.running(unit), lee, PLACE, "queue")
    assert not unit.wrote and _row(desk, "k3").done_at is None


def test_unfinished_lists_what_a_stopped_process_left(desk: Desk) -> None:
    _take(desk, "k4")
    _take(desk, "k5")
    with session_scope(desk.engine) as session:
        inbound.mark_done(session, "test", "k5", desk.now())
    with session_scope(desk.engine) as session:
        rows = inbound.unfinished(session, "test")
        assert [r.event_id for r in rows] == ["k4"]
        assert inbound.retake(session, rows[0], desk.now())
        assert not inbound.retake(session, rows[0], desk.now())  # a second taker loses
