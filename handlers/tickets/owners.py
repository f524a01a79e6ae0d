"""Who answers for a ticket's clocks right now: the one rule the clocks and escalation
policies share (a policy's `owner`).

Before dispatch the assignee answers, or while nobody is assigned the R of the intake
activity (the L1 on duty, as the rota has it in a `staffed` configuration). A dispatched
ticket follows its L2 owner; while it waits unclaimed in the category's L2 pool its clocks
fall to the category's experts.
"""

from __future__ import annotations

from handlers.config.team import Person, TeamConfig
from handlers.raci.tagging import responsible
from storage.models import Ticket


def clock_owners(config: TeamConfig, ticket: Ticket) -> list[Person]:
    if ticket.assignee:
        person = config.person(ticket.assignee)
        if person is not None:
            return [person]
    if ticket.dispatched_at is not None and ticket.category:
        return config.experts(ticket.category)
    activity = config.activity(config.purposes.intake)
    if activity is None:
        return config.holders("l1", ticket.category)
    return responsible(config, activity, ticket.category)
