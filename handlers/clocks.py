"""Response clocks: how long a ticket has waited against the team's time rules.

The one place that says when a clock is due, so the queue, reminders and nudges agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from handlers.team import TeamConfig
from storage.models import Ticket


@dataclass(frozen=True)
class ClockState:
    waited: dt.timedelta
    due: dt.datetime
    breached: bool


def first_response(config: TeamConfig, ticket: Ticket, now: dt.datetime) -> ClockState:
    due = ticket.created_at + dt.timedelta(minutes=config.time_rules.first_response)
    answered = ticket.first_response_at
    end = answered or now
    return ClockState(waited=end - ticket.created_at, due=due, breached=end > due)
