"""Open tickets past a deadline now, whatever their age: what a digest always lists, so a
ticket breached between two digests, or long ago and still open, is never out of sight."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from handlers.config.team import TeamConfig
from handlers.kpis.basis import AnyTicket, Breach
from handlers.tickets import clocks
from handlers.tickets.clocks import ClockState


def overdue(
    config: TeamConfig,
    open_tickets: Sequence[AnyTicket],
    now: dt.datetime,
    root_causes: Mapping[int, ClockState | None] | None = None,
) -> list[Breach]:
    """Still-running clocks past their deadline: no first response, or a dispatched ticket
    with no L2 root cause; oldest deadline first. `root_causes`: the dispatched tickets'
    root-cause clocks at `now` by ticket id, when the caller has worked them out already."""
    found: list[Breach] = []
    for t in open_tickets:
        if t.created_at > now:
            continue
        if t.first_response_at is None:
            # still waiting: breached once now is past the due time (`clocks.first_response`
            # without the wait's span, which nothing here shows: a backlog has tens of
            # thousands of these)
            due = clocks.first_response_due(config, t)
            if now > due:
                found.append(Breach.of(config, t, "first_response", None, due))
        if t.status == "dispatched" and t.root_cause_at is None:
            known = root_causes.get(t.id or 0) if root_causes is not None else None
            rca = known or clocks.root_cause(config, t, now)
            if rca is not None and rca.breached:
                found.append(Breach.of(config, t, "root_cause", None, rca.due))
    return sorted(found, key=lambda b: (b.due, b.ticket.number))
