"""The lease on inbound work (`taken_at`): work left for the worker process is taken by one
reader only, a runner's fresh lease is never taken from it, and a stale one is."""

from __future__ import annotations

import datetime as dt

from handlers.desk import Desk, ManualClock
from storage import inbound
from storage.db import connection_scope, session_scope
from storage.driver import JsonText

SECOND = dt.timedelta(seconds=1)


def _claim(desk: Desk, *items: tuple[str, bool]) -> list[bool]:
    with desk.engine.begin() as conn:
        work = [(key, {"text": "ticket new x"}, taken) for key, taken in items]
        return inbound.claim_many(conn, "test", work, desk.now())


def _waiting(desk: Desk, untaken: bool = True) -> list[str]:
    """What a worker process's read (or, not `untaken`, its recovery pass) would find."""
    with session_scope(desk.engine) as session:
        before = desk.now() - inbound.STALE
        return [r.event_id for r in inbound.unfinished(session, "test", before, untaken=untaken)]


def test_work_left_untaken_is_taken_by_one_reader(desk: Desk) -> None:
    assert _claim(desk, ("left", False), ("mine", True)) == [True, True]
    assert _waiting(desk) == ["left"]  # "mine" has its claimer's fresh lease
    assert _waiting(desk, untaken=False) == []  # recovery leaves untaken work to the reads
    with session_scope(desk.engine) as session:
        first = inbound.unfinished(session, "test", desk.now() - inbound.STALE)
        second = inbound.unfinished(session, "test", desk.now() - inbound.STALE)
        assert inbound.retake(session, first[0], desk.now())
        assert not inbound.retake(session, second[0], desk.now())  # read the same row: loses
    assert _waiting(desk) == []  # a reader after the take finds nothing


def test_a_stale_lease_is_taken_again(desk: Desk, clock: ManualClock) -> None:
    _claim(desk, ("left", False), ("mine", True))
    with session_scope(desk.engine) as session:
        row = inbound.unfinished(session, "test", desk.now() - inbound.STALE)[0]
        assert inbound.retake(session, row, desk.now())
    clock.advance(inbound.STALE + SECOND)  # both runners went quiet (they died)
    assert _waiting(desk) == ["left", "mine"]
    assert _waiting(desk, untaken=False) == ["left", "mine"]


def test_a_redelivery_of_untaken_work_is_no_new_claim(desk: Desk, clock: ManualClock) -> None:
    _claim(desk, ("left", False))
    assert _claim(desk, ("left", False)) == [False]  # waits for the worker process
    clock.advance(inbound.STALE + SECOND)
    assert _claim(desk, ("left", False)) == [False]  # untaken is not stale: still its turn


def test_a_page_is_taken_in_one_statement_by_one_reader(desk: Desk) -> None:
    _claim(desk, ("a", False), ("b", False), ("mine", True))
    before = desk.now() - inbound.STALE
    with session_scope(desk.engine) as session:
        first = inbound.unfinished(session, "test", before)
        second = inbound.unfinished(session, "test", before)  # a second reader, same page
        assert [r.event_id for r in first] == ["a", "b"]
        taken = inbound.take(session, first, desk.now(), before)
        assert taken == {r.id for r in first}
        assert inbound.take(session, second, desk.now(), before) == set()
    assert _waiting(desk) == []


def test_a_payload_encoded_already_is_stored_as_an_object(desk: Desk, clock: ManualClock) -> None:
    """The ack path hands the request over as JSON text (pydantic's, in one step): the row
    holds the object, whether the claim inserts it or retakes a stale leftover."""
    text = JsonText('{"text": "ticket new Printer jams", "via": {"n": 1}}')
    with desk.engine.begin() as conn:
        assert inbound.claim_many(conn, "test", [("fresh", text, True)], desk.now()) == [True]
    clock.advance(inbound.STALE + SECOND)  # its runner died: a redelivery retakes it
    again = JsonText('{"text": "ticket new Printer jams", "via": {"n": 2}}')
    with connection_scope(desk.engine) as tx:
        assert inbound.claim_many(tx, "test", [("fresh", again, True)], desk.now()) == [True]
    with session_scope(desk.engine) as session:
        (row,) = inbound.unfinished(session, "test")
        assert row.payload == {"text": "ticket new Printer jams", "via": {"n": 1}}
