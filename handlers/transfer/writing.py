"""The writing side of `deskbot import tickets`: checked rows, bound for the database,
written a batch at a time in the import's transaction."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlmodel import Session

from storage import transfer

if TYPE_CHECKING:
    from handlers.transfer.importing import Outcome


class Ready(NamedTuple):
    """A checked row as it is written: its values bound for the database (plain values, so a
    checking process can hand it over cheaply)."""

    line: int
    scope: str
    number: int  # 0: none given, one is allotted when it is written
    key: tuple[dt.datetime, str] | None  # an unnumbered one's (created_at, summary)
    values: tuple[Any, ...]  # the ticket's columns, in `Batch.names`' order
    events: list[tuple[Any, ...]]  # its audit trail: (at, actor, kind, detail) each


class Batch:
    """Writes checked rows: one look-up of what is already there, one counter update per
    scope and two executemany INSERTs per batch."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.written = 0  # batches
        self.names: tuple[str, ...] = ()  # the ticket columns of `Ready.values`

    def write(self, session: Session, rows: list[Ready]) -> None:
        if not rows:
            return
        self.written += 1
        transfer.refresh_statistics(session, self.written)
        added = 0
        by_scope: dict[str, list[Ready]] = {}
        for row in rows:
            by_scope.setdefault(row.scope, []).append(row)
        for scope, group in by_scope.items():
            numbered = [r for r in group if r.number]
            wanted = [r.number for r in numbered]
            there = transfer.numbers_there(session, scope, wanted) if wanted else set()
            fresh = [r for r in numbered if r.number not in there]
            if numbered:  # numbers handed out later start after the highest imported one
                transfer.raise_counter(session, scope, max(wanted))
            # unnumbered: the same time and summary means the same ticket (in this batch too)
            same: set[tuple[dt.datetime, str]] = set()
            unnumbered = []
            for r in group:
                if r.key is None or r.key in same:
                    continue
                same.add(r.key)
                if transfer.find_same(session, scope, *r.key) is None:
                    unnumbered.append(r)
            if unnumbered:
                last = transfer.allot_numbers(session, scope, len(unnumbered))
                at = self.names.index("number")
                for n, r in enumerate(unnumbered, last - len(unnumbered) + 1):
                    values = (*r.values[:at], n, *r.values[at + 1 :])
                    fresh.append(r._replace(number=n, values=values))
            if fresh:
                transfer.add_bound(
                    session,
                    scope,
                    self.names,
                    [r.values for r in fresh],
                    [r.number for r in fresh],
                    [r.events for r in fresh],
                )
            self.outcome.added += len(fresh)
            added += len(fresh)
        self.outcome.unchanged += len(rows) - added
