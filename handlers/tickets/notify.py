"""Who an escalation level's notice reaches, resolved at the moment it fires.

`config` is the configuration as staffed at that moment and `duties` the rotas' duties then
(`handlers.oncall.duty`), so the owner, `oncall:` and `role:` audiences follow the rota and
its overrides.
"""

from __future__ import annotations

import datetime as dt

from handlers.config.escalation import Notice
from handlers.config.team import Person, TeamConfig
from handlers.config.workdays import in_working_hours
from handlers.oncall.duty import Duty, on_call
from handlers.tickets.owners import clock_owners
from storage.models import Ticket


def audience(
    config: TeamConfig, duties: list[Duty], ticket: Ticket, notice: Notice
) -> list[Person]:
    people: dict[str, Person] = {}
    for token in notice.who:
        for person in _resolve(config, duties, ticket, token):
            people.setdefault(person.id, person)
    return list(people.values())


def _resolve(config: TeamConfig, duties: list[Duty], ticket: Ticket, token: str) -> list[Person]:
    kind, _, rest = token.partition(":")
    if kind == "owner":
        return clock_owners(config, ticket)
    if kind == "oncall":
        return on_call(config, duties, rest, ticket.category)
    if kind == "role":
        return config.holders(rest, ticket.category)
    if kind == "person":
        person = config.person(rest)
        return [person] if person else []
    name, _, letters = rest.partition(":")  # raci:<activity or purpose>:<letters>
    activity = config.activity(config.purposes.model_dump().get(name, name))
    if activity is None:
        return []
    return [
        person
        for letter in letters
        for role in activity.holders(letter)
        for person in config.holders(role, ticket.category)
    ]


def in_hours(config: TeamConfig, notice: Notice, at: dt.datetime) -> bool:
    """Whether a notice goes out at `at`: `working` ones in working hours, `off` ones
    outside them (an after-hours page), `any` always."""
    if notice.hours == "any":
        return True
    working = in_working_hours(config.team, at)
    return working if notice.hours == "working" else not working
