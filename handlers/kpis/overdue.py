"""Open tickets past a deadline now, whatever their age: what a digest always lists, so a
ticket breached between two digests, or long ago and still open, is never out of sight.
(`backlog.overdue_now` gives the same for a scope's whole backlog, counted in the database.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from handlers.config.team import TeamConfig
from handlers.kpis.basis import AnyTicket, Breach
from handlers.tickets import clocks


def first_response_breach(config: TeamConfig, t: AnyTicket, now: dt.datetime) -> Breach | None:
    """A first response still awaited now, past its deadline."""
    if t.created_at > now or t.first_response_at is not None:
        return None
    # still waiting: breached once now is past the due time (`clocks.first_response`
    # without the wait's span, which nothing here shows)
    due = clocks.first_response_due(config, t)
    return Breach.of(config, t, "first_response", None, due) if now > due else None


def root_cause_breach(config: TeamConfig, t: AnyTicket, now: dt.datetime) -> Breach | None:
    """A dispatched ticket with no L2 root cause now, past its root-cause deadline."""
    if t.created_at > now or t.status != "dispatched" or t.root_cause_at is not None:
        return None
    rca = clocks.root_cause(config, t, now)
    if rca is None or not rca.breached:
        return None
    return Breach.of(config, t, "root_cause", None, rca.due)


def overdue(
    config: TeamConfig, open_tickets: Sequence[AnyTicket], now: dt.datetime
) -> list[Breach]:
    """Still-running clocks past their deadline: no first response, or a dispatched ticket
    with no L2 root cause; oldest deadline first."""
    found: list[Breach] = []
    for t in open_tickets:
        for breach in (first_response_breach(config, t, now), root_cause_breach(config, t, now)):
            if breach is not None:
                found.append(breach)
    return sorted(found, key=lambda b: (b.due, b.ticket.number))
