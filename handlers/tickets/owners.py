"""Who answers for a ticket's clocks right now: the one rule the clocks and escalations share.

The progress and root-cause clocks of a dispatched ticket follow its L2 owner; while it waits
unclaimed in the category's L2 pool they fall to the category's experts. Before dispatch the
assignee answers, and nobody while the ticket is unassigned (the first-response clock has its
own people: the on-duty L1).
"""

from __future__ import annotations

from handlers.config.team import Person, TeamConfig
from storage.models import Ticket


def clock_owners(config: TeamConfig, ticket: Ticket) -> list[Person]:
    if ticket.assignee:
        person = config.person(ticket.assignee)
        return [person] if person else []
    if ticket.dispatched_at is not None and ticket.category:
        return config.experts(ticket.category)
    return []
