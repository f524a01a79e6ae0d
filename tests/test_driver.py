"""Prebuilt statements on the driver (`storage.driver`) behave as SQLAlchemy's own: the
same stored values, aware UTC times back, and SQLAlchemy's exceptions, on every backend."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, bindparam, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from handlers.chat.model import Header, Message
from storage import driver, outbox
from storage import tickets as repo
from storage.db import connection_scope, session_scope
from storage.driver import JsonText
from storage.models import OncallOverride, OutboxMessage, Ticket, TicketEvent
from storage.oncall import active
from tests.conftest import START

EIGHT = dt.timezone(dt.timedelta(hours=8))


def _ticket(s: driver.Tx, number: int) -> Ticket:
    return repo.insert_new(
        s,
        {
            "scope": "a",
            "number": number,
            "summary": "Printer jams",
            "logged_by": "lee",
            "links": ["https://example.com/1"],
            "created_at": START.astimezone(EIGHT),
            "updated_at": START,
        },
    )


def test_a_ticket_inserted_on_the_driver_reads_back_as_the_orm_wrote_it(engine: Engine) -> None:
    with session_scope(engine) as s:
        made = _ticket(s, 1)
        repo.record(s, made, "lee", "created", START, summary="Printer jams", tags=["x"])
    with Session(engine) as s:
        ticket = s.exec(select(Ticket)).one()
        event = s.exec(select(TicketEvent)).one()
    assert ticket.id == made.id
    assert ticket.created_at == START and ticket.created_at.tzinfo == dt.UTC
    assert ticket.clock_due_at == START  # open: due for the clocks at once
    assert ticket.links == ["https://example.com/1"] and ticket.watchers == []
    assert {k: getattr(made, k) for k in Ticket.model_fields} == ticket.model_dump()
    assert (event.ticket_id, event.kind, event.at) == (made.id, "created", START)
    assert event.detail == {"summary": "Printer jams", "tags": ["x"]}


def test_a_ticket_inserted_on_the_driver_is_updated_when_changed_in_a_session(
    engine: Engine,
) -> None:
    # the use case hands the new ticket on (a form, the console): a later change is an
    # UPDATE of its row, not a second ticket
    with connection_scope(engine) as tx:
        made = _ticket(tx, 1)
    with session_scope(engine) as s:
        made.assignee = "kim"
        s.add(made)
    with Session(engine) as s:
        assert [(t.id, t.assignee) for t in s.exec(select(Ticket))] == [(made.id, "kim")]


def test_a_rule_the_database_enforces_raises_sqlalchemys_error(engine: Engine) -> None:
    with session_scope(engine) as s:
        _ticket(s, 1)
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        _ticket(s, 1)  # the same number in the same scope
    with Session(engine) as s:  # the failed transaction left nothing behind
        assert len(s.exec(select(Ticket.id)).all()) == 1


def test_a_driver_transaction_commits_its_rows_and_orm_reads_together_or_not_at_all(
    engine: Engine,
) -> None:
    # logging a ticket: prebuilt rows on the driver, an ORM read (knowledge search) joined
    with pytest.raises(IntegrityError), connection_scope(engine) as tx:
        _ticket(tx, 1)
        with driver.orm(tx) as s:  # sees the transaction's own row
            assert s.exec(select(Ticket.number)).all() == [1]
        _ticket(tx, 1)  # refused: the whole transaction is rolled back
    with connection_scope(engine) as tx:
        _ticket(tx, 2)
        with driver.orm(tx) as s:
            assert s.exec(select(Ticket.number)).all() == [2]
        _ticket(tx, 3)
    with Session(engine) as s:
        assert s.exec(select(Ticket.number).order_by(col(Ticket.number))).all() == [2, 3]


def test_the_outbox_ignores_a_second_post_with_the_same_key(engine: Engine) -> None:
    with session_scope(engine) as s:
        for text in ("first", "second"):
            outbox.enqueue(s, [_post(text, "a:T-1:card")])
    with Session(engine) as s:
        rows = s.exec(select(OutboxMessage)).all()
    assert [(r.message, r.status, r.attempts, r.next_attempt_at) for r in rows] == [
        ({"fallback": "first"}, "pending", 0, START)
    ]


def test_posts_queued_together_are_each_kept_once_in_order(engine: Engine) -> None:
    # a clock stage's posts go in one INSERT; two notices may DM the same person (one key)
    posts = [_post(f"post {n}", key) for n, key in enumerate(["k1", None, "k2", "k1", None])]
    many = [_post(f"many {n}", f"m{n}") for n in range(120)]  # more than one statement's rows
    with session_scope(engine) as s:
        outbox.enqueue(s, posts)
        outbox.enqueue(s, many)
    with Session(engine) as s:
        rows = s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
    texts = [r.message["fallback"] for r in rows]
    assert texts == ["post 0", "post 1", "post 2", "post 4"] + [f"many {n}" for n in range(120)]
    assert {(r.status, r.created_at, r.target["name"]) for r in rows} == {
        ("pending", START, "queue")
    }


def test_a_message_given_as_json_text_reads_back_as_the_same_dict(engine: Engine) -> None:
    # a ticket card is queued encoded already (`driver.JsonText`): not encoded twice
    card = Message((Header("T-1 · *VPN* 网络"),), "T-1: VPN")
    with session_scope(engine) as s:
        outbox.enqueue(
            s, [_post("", "t", JsonText(card.to_json())), _post("", "d", card.to_dict())]
        )
    with Session(engine) as s:
        rows = s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
    assert [Message.from_dict(r.message) for r in rows] == [card, card]


def _post(
    text: str, key: str | None, message: dict[str, Any] | JsonText | None = None
) -> dict[str, Any]:
    return outbox.row(
        platform="console",
        scope="a",
        target={"kind": "channel", "name": "queue"},
        message={"fallback": text} if message is None else message,
        now=START,
        dedupe_key=key,
    )


def test_rows_come_back_processed_as_sqlalchemy_reads_them(engine: Engine) -> None:
    hour = dt.timedelta(hours=1)
    with session_scope(engine) as s:
        for person, start in (("kim", START - hour), ("raj", START + hour)):
            s.add(
                OncallOverride(
                    rota="l2-network",
                    person=person,
                    starts_at=start,
                    ends_at=start + 2 * hour,
                    kind="take",
                    created_by="lee",
                    created_at=START,
                )
            )
    with session_scope(engine) as s:
        now = active(s, START)
        later = active(s, START, until=START + 2 * hour)
    assert [(o.person, o.starts_at, o.ends_at.tzinfo) for o in now] == [
        ("kim", START - hour, dt.UTC)
    ]
    assert [o.person for o in later] == ["kim", "raj"]


def test_a_statement_needing_a_value_sqlalchemy_computes_is_refused(engine: Engine) -> None:
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("x", String))
    defaulted = Table(
        "d", MetaData(), Column("id", Integer, primary_key=True), Column("x", String, default="y")
    )
    assert driver.prepare(engine.dialect, insert(table), ("x",)).sql.startswith("INSERT")
    with pytest.raises(ValueError, match="default"):
        driver.prepare(engine.dialect, insert(defaulted), ("id",))
    with pytest.raises(ValueError, match="expanding"):
        driver.prepare(
            engine.dialect,
            select(table).where(col(table.c.id).in_(bindparam("ids", expanding=True))),
        )
