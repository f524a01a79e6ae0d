"""What a KPI definition reads: the window, the tickets it can involve and their events.

Counts go by the time of the event (a resolution on Monday stays Monday's even if the ticket
is reopened on Tuesday), and a figure sees only what had happened by the window's end, so
an earlier period's figures never change after the fact (FCR's reopen rule excepted: it
looks `kpi_rules.fcr_reopen_days` past the resolution by definition).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Literal, cast

from handlers.config.team import TeamConfig
from handlers.kpis.windows import Window
from handlers.tickets import clocks
from handlers.tickets.worktime import worktime
from storage import kpi_facts
from storage.kpis import KpiEvent, KpiTicket
from storage.models import Ticket, TicketEvent

# What a figure reads of a ticket and an event: ORM objects, or the narrow rows of a window.
AnyTicket = Ticket | KpiTicket
AnyEvent = TicketEvent | KpiEvent
PRIORITIES = ("p1", "p2", "p3", "p4")

# The events the figures count (`storage.kpi_facts` stores the same); `reopen` undoes no
# earlier count, it is counted itself.
EVENT_KINDS = kpi_facts.EVENT_KINDS


@dataclass(frozen=True)
class Breach:
    ticket: AnyTicket
    kind: Literal["first_response", "root_cause"]
    due: dt.datetime
    stopped: dt.datetime | None  # when the clock stopped (late), None: still running
    late: dt.timedelta | None = None  # clock time past the due time when it stopped
    working_time: bool = False  # the ticket's clocks count working hours only

    @classmethod
    def of(
        cls,
        config: TeamConfig,
        ticket: AnyTicket,
        kind: Literal["first_response", "root_cause"],
        stopped: dt.datetime | None,
        due: dt.datetime | None = None,
    ) -> Breach:
        """A missed deadline; "late by" in the ticket's clock time, like every KPI duration."""
        if due is None:
            rules = config.time_rules
            minutes = rules.target(ticket.priority, "first_response")
            due = clocks.deadline(config, ticket.priority, ticket.created_at, minutes)
        late = None if stopped is None else clocks.elapsed(config, ticket.priority, due, stopped)
        working = not clocks.round_the_clock(config, ticket.priority)
        return cls(ticket, kind, due, stopped, late, working)


@dataclass(frozen=True)
class Basis:
    config: TeamConfig
    window: Window
    tickets: Sequence[AnyTicket]
    events: dict[int, list[AnyEvent]] = field(default_factory=dict)
    # what more than one figure derives (the breaches): computed once per basis
    memo: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def within(self, when: dt.datetime | None) -> bool:
        return when is not None and self.window.start <= when < self.window.end

    def known(self, when: dt.datetime | None) -> dt.datetime | None:
        """A time as the window's end saw it: later events had not happened yet."""
        return when if when is not None and when < self.window.end else None

    def events_of(self, ticket: AnyTicket, kind: str) -> Sequence[AnyEvent]:
        return self._by_kind.get((ticket.id or 0, kind), ())

    @cached_property
    def _by_kind(self) -> dict[tuple[int, str], list[AnyEvent]]:
        """Each ticket's events of each kind, in order (the figures ask a million times)."""
        shared = self.memo.get("by_kind")
        if shared is not None:  # a narrowed basis looks its tickets up in its parent's
            return shared  # type: ignore[return-value]
        found: dict[tuple[int, str], list[AnyEvent]] = {}
        for key, events in self.events.items():
            for e in events:
                found.setdefault((key, e.kind), []).append(e)
        return found

    def counted(self, ticket: AnyTicket) -> bool:
        """False for a ticket closed as a duplicate, cancelled or not reproducible: it is
        left out of the resolution figures. Reads `close_reason` once tickets carry one."""
        reason = getattr(ticket, "close_reason", None)
        return reason not in self.config.kpi_rules.excluded_close_reasons

    @property
    def logged(self) -> list[AnyTicket]:
        return [t for t in self.tickets if self.within(t.created_at)]

    def in_window(self, kind: str) -> list[tuple[AnyTicket, AnyEvent]]:
        """Every event of a kind inside the window, with its ticket, in time order."""
        trail, times = self._trail(kind)
        lo, hi = bisect_left(times, self.window.start), bisect_left(times, self.window.end)
        return trail[lo:hi]

    def _trail(self, kind: str) -> tuple[list[tuple[AnyTicket, AnyEvent]], list[dt.datetime]]:
        """The basis's events of a kind with their tickets, by time, and their times: a
        window's are a slice (a narrowed basis shares its parent's; the events inside its
        part are all of its own tickets, see `narrowed`)."""
        key = f"trail:{kind}"
        if key not in self.memo:  # every kind's in one pass over the tickets
            trails: dict[str, list[tuple[AnyTicket, AnyEvent]]] = {kind: []}
            for t in self.tickets:
                for e in self.events.get(t.id or 0, ()):
                    trails.setdefault(e.kind, []).append((t, e))
            for k, trail in trails.items():
                trail.sort(key=lambda pair: pair[1].at)
                self.memo.setdefault(f"trail:{k}", (trail, [e.at for _, e in trail]))
        return self.memo[key]  # type: ignore[return-value]

    def dispatched_by(self, ticket: AnyTicket, when: dt.datetime) -> bool:
        return any(e.at <= when for e in self.events_of(ticket, "dispatch"))

    def first_response_due(self, ticket: AnyTicket) -> dt.datetime:
        # three figures ask for each logged ticket's; the deadline does not depend on the window
        dues: dict[int, dt.datetime] = self.memo.setdefault("first_response_due", {})  # type: ignore[assignment]
        due = dues.get(id(ticket))
        if due is None:
            minutes = self.config.time_rules.target(ticket.priority, "first_response")
            due = clocks.deadline(self.config, ticket.priority, ticket.created_at, minutes)
            dues[id(ticket)] = due
        return due

    def root_cause_due(self, ticket: AnyTicket, dispatched: dt.datetime) -> dt.datetime:
        """The root-cause deadline of a dispatch (two figures and the breaches ask)."""
        dues = cast(dict[tuple[int, dt.datetime], dt.datetime], self.memo.setdefault("rc_due", {}))
        key = (id(ticket), dispatched)
        due = dues.get(key)
        if due is None:
            minutes = self.config.time_rules.target(ticket.priority, "root_cause")
            due = dues[key] = clocks.deadline(self.config, ticket.priority, dispatched, minutes)
        return due

    def root_cause_stop(self, ticket: AnyTicket, dispatched: dt.datetime) -> dt.datetime | None:
        """When the root-cause clock of a dispatch stopped, as the window's end saw it: the
        root cause, or a resolution (the resolution event: a later reopen does not undo it)."""
        stops = [self.known(ticket.root_cause_at)]
        stops += [self.known(e.at) for e in self.events_of(ticket, "resolve")]
        return min((s for s in stops if s is not None and s >= dispatched), default=None)

    @cached_property
    def _by_time(self) -> tuple[list[AnyTicket], list[dt.datetime], list[tuple[dt.datetime, int]]]:
        """The tickets by logging time, and every event's (time, ticket id) in time order."""
        tickets = sorted(self.tickets, key=lambda t: (t.created_at, t.id or 0))
        trail = sorted((e.at, key) for key, events in self.events.items() for e in events)
        return tickets, [t.created_at for t in tickets], trail

    @property
    def _dues(self) -> dict[int, dt.datetime]:
        return self.memo.setdefault("first_response_due", {})  # type: ignore[return-value]

    def narrowed(self, window: Window) -> Basis:
        """The basis of a part of its window (a chart's day): only the tickets that part can
        involve (see `reach`), so a month's chart does not walk the month thirty times."""
        lo = reach(self.config, window.start)
        tickets, created, trail = self._by_time
        ids = {
            t.id or 0 for t in tickets[bisect_left(created, lo) : bisect_left(created, window.end)]
        }
        ids.update(
            key for _, key in trail[bisect_left(trail, (lo,)) : bisect_left(trail, (window.end,))]
        )
        kept = [t for t in tickets if (t.id or 0) in ids]
        # what does not depend on the window is worked out once, on the parent, and shared
        memo: dict[str, object] = {"by_kind": self._by_kind}
        for kind in EVENT_KINDS:
            memo[f"trail:{kind}"] = self._trail(kind)
        for key in ("first_response_due", "rc_due"):
            memo[key] = self.memo.setdefault(key, {})
        return replace(self, window=window, tickets=kept, memo=memo)


def reach(
    config: TeamConfig,
    start: dt.datetime,
    deadlines: tuple[str, ...] = ("first_response", "root_cause"),
) -> dt.datetime:
    """The earliest logging or dispatch whose first-response or root-cause deadline (or
    those of `deadlines` only) can fall at or after `start`: a report from `start` needs no
    ticket logged, and no dispatch made, before it (unless another of its events is in the
    window). A logging starts the first-response clock, a dispatch the root-cause clock."""
    rules = config.time_rules
    earliest = start
    for priority in (*PRIORITIES, ""):  # "": the team's own targets, for any other priority
        minutes = max(rules.target(priority, name) for name in deadlines)
        if priority and clocks.round_the_clock(config, priority):
            earliest = min(earliest, start - dt.timedelta(minutes=minutes))
        else:
            earliest = min(earliest, worktime(config.team).reach(start, minutes))
    return earliest


def half_up(value: float, places: int = 1) -> Decimal:
    """Rounded half-up (48.95 -> 49.0), as a person rounds; never used to decide a target."""
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
