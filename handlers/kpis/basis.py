"""What a KPI definition reads: the window, the tickets it can involve and their events.

Counts go by the time of the event (a resolution on Monday stays Monday's even if the ticket
is reopened on Tuesday), and a figure sees only what had happened by the window's end, so
an earlier period's figures never change after the fact (FCR's reopen rule excepted: it
looks `kpi_rules.fcr_reopen_days` past the resolution by definition).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from handlers.config.team import TeamConfig
from handlers.kpis.windows import Window
from handlers.tickets import clocks
from storage.models import Ticket, TicketEvent

# The events the figures count; `reopen` undoes no earlier count, it is counted itself.
EVENT_KINDS = ("resolve", "reopen", "dispatch")


@dataclass(frozen=True)
class Breach:
    ticket: Ticket
    kind: Literal["first_response", "root_cause"]
    due: dt.datetime
    stopped: dt.datetime | None  # when the clock stopped (late), None: still running
    late: dt.timedelta | None = None  # clock time past the due time when it stopped
    working_time: bool = False  # the ticket's clocks count working hours only

    @classmethod
    def of(
        cls,
        config: TeamConfig,
        ticket: Ticket,
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
    tickets: list[Ticket]
    events: dict[int, list[TicketEvent]] = field(default_factory=dict)

    def within(self, when: dt.datetime | None) -> bool:
        return when is not None and self.window.start <= when < self.window.end

    def known(self, when: dt.datetime | None) -> dt.datetime | None:
        """A time as the window's end saw it: later events had not happened yet."""
        return when if when is not None and when < self.window.end else None

    def events_of(self, ticket: Ticket, kind: str) -> list[TicketEvent]:
        return [e for e in self.events.get(ticket.id or 0, ()) if e.kind == kind]

    def counted(self, ticket: Ticket) -> bool:
        """False for a ticket closed as a duplicate, cancelled or not reproducible: it is
        left out of the resolution figures. Reads `close_reason` once tickets carry one."""
        reason = getattr(ticket, "close_reason", None)
        return reason not in self.config.kpi_rules.excluded_close_reasons

    @property
    def logged(self) -> list[Ticket]:
        return [t for t in self.tickets if self.within(t.created_at)]

    def in_window(self, kind: str) -> list[tuple[Ticket, TicketEvent]]:
        """Every event of a kind inside the window, with its ticket."""
        return [(t, e) for t in self.tickets for e in self.events_of(t, kind) if self.within(e.at)]

    def dispatched_by(self, ticket: Ticket, when: dt.datetime) -> bool:
        return any(e.at <= when for e in self.events_of(ticket, "dispatch"))

    def first_response_due(self, ticket: Ticket) -> dt.datetime:
        minutes = self.config.time_rules.target(ticket.priority, "first_response")
        return clocks.deadline(self.config, ticket.priority, ticket.created_at, minutes)

    def root_cause_stop(self, ticket: Ticket, dispatched: dt.datetime) -> dt.datetime | None:
        """When the root-cause clock of a dispatch stopped, as the window's end saw it: the
        root cause, or a resolution (the resolution event: a later reopen does not undo it)."""
        stops = [self.known(ticket.root_cause_at)]
        stops += [self.known(e.at) for e in self.events_of(ticket, "resolve")]
        return min((s for s in stops if s is not None and s >= dispatched), default=None)


def half_up(value: float, places: int = 1) -> Decimal:
    """Rounded half-up (48.95 -> 49.0), as a person rounds; never used to decide a target."""
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
