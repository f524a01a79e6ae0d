"""Test helpers that read the database the way a person would check it."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session, col, select

from handlers.chat.model import Message
from storage.db import make_engine
from storage.models import OutboxMessage, Ticket, TicketEvent


def snapshot(engine: Engine) -> dict[str, Any]:
    """Everything a use case could have written, to compare before and after."""
    with Session(engine) as session:
        tickets = [t.model_dump() for t in session.exec(select(Ticket).order_by(col(Ticket.id)))]
        events = session.exec(select(TicketEvent)).all()
        outbox = session.exec(select(OutboxMessage)).all()
        counter = session.execute(text("select scope, last from ticket_counter")).all()
    return {
        "tickets": tickets,
        "events": len(events),
        "outbox": len(outbox),
        "counter": sorted(counter),
    }


def posts(engine: Engine) -> list[tuple[dict[str, Any], Message]]:
    """Outbox rows in order, as (target, message)."""
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        return [(row.target, Message.from_dict(row.message)) for row in rows]


def ticket(engine: Engine, number: int, scope: str = "console:local") -> Ticket:
    with Session(engine) as session:
        found = session.exec(
            select(Ticket).where(Ticket.number == number, Ticket.scope == scope)
        ).one()
        return found


def events(engine: Engine, number: int) -> list[TicketEvent]:
    t = ticket(engine, number)
    with Session(engine) as session:
        query = (
            select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(col(TicketEvent.id))
        )
        return list(session.exec(query))


def text_of(message: Message) -> str:
    """All text of a message, joined, mentions left as tokens."""
    parts = [message.fallback]
    for block in message.blocks:
        for attr in ("text",):
            if hasattr(block, attr):
                parts.append(getattr(block, attr))
        if hasattr(block, "items"):
            for item in block.items:
                parts.extend(item if isinstance(item, tuple) else [item])
    return "\n".join(parts)


def in_lockstep(
    url: str,
    setup: Callable[[Engine], Callable[[Any], None]],
    moments: Sequence[Any],
    processes: int = 2,
) -> None:
    """Several "processes" (threads, each with its own engine and connections) step through
    the same moments together; the first error any of them met is raised here."""
    engines = [make_engine(url) for _ in range(processes)]
    barrier = threading.Barrier(processes)
    errors: list[BaseException] = []

    def run(engine: Engine) -> None:
        try:
            step = setup(engine)
            for moment in moments:
                barrier.wait(timeout=30)
                step(moment)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    if errors:
        raise errors[0]


@contextmanager
def scratch_database(url: str, prefix: str = "deskbot_test") -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of `url` (whose own database is never
    written); its URL, and it is dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{url.rpartition('/')[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
