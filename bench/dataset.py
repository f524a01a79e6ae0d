"""The stress data set of the scale benchmarks: a desk's two years, 1 M tickets by default.

900 k closed over two years and 100 k still open (a backlog far beyond any real desk's), in
the sample team's Slack workspace, with the audit trail the use cases would have written.
Deterministic: the same count gives the same tickets.

    rows(count, now)            the tickets as export rows (what `deskbot import tickets` reads)
    write_file(path, count)     those rows as a JSON-lines file
    fill(engine, count)         the same tickets straight into a migrated database, fast
                                (for development; `bench/scale.py` goes through the importer)

    .venv/bin/python bench/dataset.py FILE [COUNT]
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from collections.abc import Iterator
from typing import Any

SCOPE = "slack:T0SAMPLE"
L1 = ("lee", "sam", "ana")
L2 = {"network": ("raj", "kim"), "system": ("dana", "sofia"), "application": ("omar", "sofia")}
CATEGORIES = tuple(L2)
PRIORITIES = ("p1", "p2", "p3", "p3", "p4", "p4")  # p3/p4 are most of a desk's load
OPEN_SHARE = 0.1
SPAN = dt.timedelta(days=730)


def default_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _iso(at: dt.datetime | None) -> str:
    return "" if at is None else at.isoformat()


def tickets(count: int, now: dt.datetime) -> Iterator[dict[str, Any]]:
    """Ticket values and their events, oldest first; times as aware datetimes."""
    rng = random.Random(count)
    start = now - SPAN
    step = SPAN / count
    for i in range(count):
        number = i + 1
        created = start + step * i + dt.timedelta(seconds=rng.randint(0, 59))
        category = CATEGORIES[i % 3]
        priority = PRIORITIES[i % len(PRIORITIES)]
        logger = L1[i % 3]
        # the open tenth is spread over the whole span (old forgotten tickets included)
        still_open = rng.random() < OPEN_SHARE
        events: list[tuple[dt.datetime, str, str, dict[str, Any]]] = [
            (created, logger, "created", {"summary": f"Printer {number} jams"})
        ]
        t: dict[str, Any] = {
            "scope": SCOPE,
            "number": number,
            "summary": f"Printer {number} jams on floor {i % 9 + 1}",
            "description": "",
            "reporter": "",
            "logged_by": logger,
            "intake": "chat",
            "category": category,
            "priority": priority,
            "environment": "",
            "links": [],
            "tried": "",
            "status": "new",
            "assignee": None,
            "root_cause": "",
            "resolution": "",
            "created_at": created,
            "first_response_at": None,
            "updated_at": created,
            "dispatched_at": None,
            "root_cause_at": None,
            "resolved_at": None,
            "closed_at": None,
        }
        kind = rng.random()
        if still_open and kind < 0.5:
            pass  # in the unassigned pool
        else:
            taken = created + dt.timedelta(minutes=rng.randint(1, 90))
            t["first_response_at"] = taken
            t["assignee"] = logger
            t["status"] = "in_progress"
            events.append((taken, logger, "take", {}))
            at = taken
            if kind > 0.6:  # handed to L2
                at += dt.timedelta(minutes=rng.randint(5, 240))
                expert = L2[category][i % 2]
                t.update(status="dispatched", dispatched_at=at, assignee=expert)
                events.append((at, logger, "dispatch", {"to": expert}))
                if kind > 0.8:
                    at += dt.timedelta(minutes=rng.randint(30, 600))
                    t["root_cause_at"], t["root_cause"] = at, "Driver update"
                    events.append((at, expert, "rca", {"text": "Driver update"}))
            if not still_open:
                at += dt.timedelta(minutes=rng.randint(5, 2880))
                t.update(status="resolved", resolved_at=at, resolution="Cleared the tray")
                events.append((at, t["assignee"], "resolve", {"text": "Cleared the tray"}))
                if rng.random() < 0.9:
                    at += dt.timedelta(days=rng.randint(1, 5))
                    t.update(status="closed", closed_at=at)
                    events.append((at, t["assignee"], "close", {}))
            t["updated_at"] = at
        t["events"] = events
        yield t


def rows(count: int, now: dt.datetime) -> Iterator[dict[str, Any]]:
    """The tickets as rows of the export format, events included."""
    for t in tickets(count, now):
        row = {k: _iso(v) if isinstance(v, dt.datetime) else v for k, v in t.items()}
        row["links"] = ""
        row["category"] = t["category"] or ""
        row["assignee"] = t["assignee"] or ""
        row["events"] = [
            {"at": _iso(at), "actor": actor, "kind": kind, "detail": detail}
            for at, actor, kind, detail in t["events"]
        ]
        yield row


def write_file(path: str, count: int, now: dt.datetime | None = None) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for row in rows(count, now or default_now()):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def fill(engine: Any, count: int, now: dt.datetime | None = None, batch: int = 20_000) -> None:
    """Insert the data set with Core executemany (no importer): minutes instead of hours
    when a development loop needs a big database."""
    from sqlalchemy import insert

    from storage.models import Ticket, TicketCounter, TicketEvent

    def flush(ts: list[dict[str, Any]], evs: list[list[tuple[Any, ...]]]) -> None:
        with engine.begin() as conn:
            stmt = insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True)
            ids = conn.execute(stmt, ts)
            events = [
                {"ticket_id": tid, "at": at, "actor": actor, "kind": kind, "detail": detail}
                for tid, trail in zip(ids.scalars(), evs, strict=True)
                for at, actor, kind, detail in trail
            ]
            conn.execute(insert(TicketEvent), events)

    pending: list[dict[str, Any]] = []
    trails: list[list[tuple[Any, ...]]] = []
    for t in tickets(count, now or default_now()):
        trails.append(t.pop("events"))
        pending.append(t)
        if len(pending) >= batch:
            flush(pending, trails)
            pending, trails = [], []
    if pending:
        flush(pending, trails)
    with engine.begin() as conn:
        conn.execute(insert(TicketCounter), [{"scope": SCOPE, "last": count}])


if __name__ == "__main__":
    write_file(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000)
