"""Who holds a ticket's clock now: the one function escalations ask for "the owner"."""

from __future__ import annotations

from handlers.config.team import Person, TeamConfig
from handlers.raci.tagging import responsible
from storage.models import Ticket


def clock_owners(config: TeamConfig, ticket: Ticket) -> list[Person]:
    """The assignee; with nobody assigned, the R of the intake activity (the L1 on duty,
    as the rota has it in a `staffed` configuration)."""
    if ticket.assignee:
        person = config.person(ticket.assignee)
        if person is not None:
            return [person]
    activity = config.activity(config.purposes.intake)
    if activity is None:
        return config.holders("l1", ticket.category)
    return responsible(config, activity, ticket.category)
