"""Who is in a huddle: the ticket's people, its L2 specialty, the RACI, the caller, extras."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from handlers.chat.model import Actor
from handlers.config.team import Person, TeamConfig
from handlers.raci.tagging import tag
from storage.models import Ticket


@dataclass(frozen=True)
class Participants:
    people: tuple[Person, ...]  # everyone in, in order, each once
    unreachable: tuple[Person, ...]  # of those, who has no id on the platform in use

    @property
    def reachable(self) -> tuple[Person, ...]:
        return tuple(p for p in self.people if p not in self.unreachable)


def platform_id(person: Person, platform: str) -> str | None:
    """How a platform knows a person; the console knows everyone by their person id."""
    if platform == "slack":
        return person.slack
    if platform == "teams":
        return person.teams
    return person.id


def resolve(
    config: TeamConfig,
    ticket: Ticket,
    caller: Actor,
    extras: Sequence[Person],
    platform: str,
) -> Participants:
    """The assignee, the L2 experts of the ticket's category, R and A of the huddle activity
    (`purposes.huddle`, 跨团队资源协调), the caller, then the people asked for by mention."""
    found: dict[str, Person] = {}

    def add(person: Person | None) -> None:
        if person is not None:
            found.setdefault(person.id, person)

    add(config.person(ticket.assignee) if ticket.assignee else None)
    for person in config.experts(ticket.category) if ticket.category else ():
        add(person)
    activity = config.activity(config.purposes.huddle)
    if activity is not None:
        for tagged in tag(config, activity, ticket.category):
            if tagged.letter in "RA":
                for person in tagged.people:
                    add(person)
    add(caller.person)
    for person in extras:
        add(person)
    people = tuple(found.values())
    unreachable = tuple(p for p in people if not platform_id(p, platform))
    return Participants(people, unreachable)
