"""What a digest and a standup list of the open backlog: every open ticket past a deadline
now, and every open escalation, as a count with the first `LISTED` in order.

`overdue.overdue` states the rule over a list of open tickets; at a million tickets that
list is tens of thousands of rows, nearly all past due for months. Here the clocks settled
long ago (started before `reach`: past due whatever their priority) are counted in the
database per priority and read oldest first only until the first `LISTED` are certain; the
rest go through the rule one by one. `tests/test_kpi_backlog.py` checks both give the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar, overload

from sqlmodel import Session

from handlers.config.team import TeamConfig
from handlers.kpis.basis import Breach, reach
from handlers.kpis.overdue import first_response_breach, root_cause_breach
from handlers.tickets import clocks
from handlers.tickets.clocks import ClockState
from storage import backlog as store
from storage.backlog import Clock
from storage.kpis import KpiTicket

LISTED = 20  # what a post lists (the templates' `listed`); the rest is counted
T = TypeVar("T")


@dataclass(frozen=True)
class Listing(Sequence[T]):
    """A long list as a post shows it: its length, and its first items only. Asking for
    an item past those is an error, never a silently short list."""

    head: tuple[T, ...]
    total: int

    def __len__(self) -> int:
        return self.total

    @overload
    def __getitem__(self, i: int) -> T: ...

    @overload
    def __getitem__(self, i: slice) -> list[T]: ...

    def __getitem__(self, i: int | slice) -> T | list[T]:
        whole = len(self.head) == self.total
        if isinstance(i, slice):
            if not whole and (i.stop is None or i.stop < 0 or i.stop > len(self.head)):
                raise LookupError(f"only the first {len(self.head)} of {self.total} are read")
            return list(self.head[i])
        if 0 <= i < len(self.head) or (whole and -self.total <= i < 0):
            return self.head[i]
        if i >= self.total:
            raise IndexError(i)
        raise LookupError(f"only the first {len(self.head)} of {self.total} are read")

    def __iter__(self) -> Iterator[T]:
        if len(self.head) != self.total:
            raise LookupError(f"only the first {len(self.head)} of {self.total} are read")
        return iter(self.head)


def _order(b: Breach) -> tuple[dt.datetime, int, str]:
    return b.due, b.ticket.number, b.kind  # a ticket's first response before its root cause


def _breach(config: TeamConfig, clock: Clock, t: KpiTicket, now: dt.datetime) -> Breach | None:
    if clock == "first_response":
        return first_response_breach(config, t, now)
    return root_cause_breach(config, t, now)


def overdue_now(
    config: TeamConfig, session: Session, scope: str, now: dt.datetime
) -> Listing[Breach]:
    """Every open ticket past a deadline now (`overdue.overdue` over all open tickets),
    oldest deadline first: the count, and the first `LISTED`."""
    cuts: dict[Clock, dt.datetime] = {
        "first_response": reach(config, now, ("first_response",)),
        "root_cause": reach(config, now, ("root_cause",)),
    }
    found: list[Breach] = []
    for clock, cut in cuts.items():  # the clocks that may still run: each by the rule
        for t in store.unsettled(session, scope, now, clock, cut):
            breach = _breach(config, clock, t, now)
            if breach is not None:
                found.append(breach)
    total = len(found)
    for clock, cut in cuts.items():
        for priority, count in store.settled_counts(session, scope, now, clock, cut).items():
            total += count
            found += _oldest(config, session, scope, now, clock, cut, priority, count)
    return Listing(tuple(sorted(found, key=_order)[:LISTED]), total)


def _oldest(
    config: TeamConfig,
    session: Session,
    scope: str,
    now: dt.datetime,
    clock: Clock,
    cut: dt.datetime,
    priority: str,
    count: int,
) -> list[Breach]:
    """The settled clocks of one priority, oldest first, until the first `LISTED` by
    deadline and number are certain: deadlines grow with the start, so read on while the
    last one read is due no later than the `LISTED`-th (an equal one may have a lower
    number)."""
    found: list[Breach] = []
    while len(found) < count:
        page = store.settled_page(session, scope, now, clock, cut, priority, len(found), LISTED)
        for t in page:
            breach = _breach(config, clock, t, now)
            assert breach is not None, (t.number, clock)  # settled: past due by `cut`
            found.append(breach)
        if not page or (len(found) >= LISTED and found[-1].due > found[LISTED - 1].due):
            break
    return found


def escalations_now(
    config: TeamConfig, session: Session, scope: str, at: dt.datetime
) -> Listing[tuple[KpiTicket, ClockState | None]]:
    """Every open escalation, oldest first, with its root-cause clock: the count, and the
    first `LISTED`."""
    total, first = store.escalations(session, scope, at, LISTED)
    return Listing(tuple((t, clocks.root_cause(config, t, at)) for t in first), total)


def as_reasons(listing: Listing[Breach]) -> Listing[tuple[KpiTicket, str]]:
    """The standup's "to coordinate": each overdue ticket with the clock it is past."""
    return Listing(tuple((b.ticket, b.kind) for b in listing.head), listing.total)  # type: ignore[misc]
