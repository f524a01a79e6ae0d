"""Small pieces the scheduled posts share: who to mention, the late note."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from handlers.chat.model import Context, Message, Text
from handlers.chat.texts import Md, phrase
from handlers.config.team import Person, TeamConfig
from handlers.raci.tagging import responsible


def holders(config: TeamConfig, roles: Iterable[str], category: str | None = None) -> list[Person]:
    """The people to tag for some roles (on duty where the role tracks duty), once each."""
    people: dict[str, Person] = {}
    for role in roles:
        for person in config.holders(role, category):
            people.setdefault(person.id, person)
    return list(people.values())


def everyone(config: TeamConfig, role: str) -> list[Person]:
    """Everyone holding a role, on duty or not (each L2 expert files the weekly report)."""
    return [p for p in config.people if p.holds(role)]


def on_duty_l1(config: TeamConfig, category: str | None = None) -> list[Person]:
    """The R of the intake activity: the L1 engineers on duty, as a new ticket pings them."""
    activity = config.activity(config.purposes.intake)
    if activity is None:
        return holders(config, ("l1",), category)
    return responsible(config, activity, category)


def local(config: TeamConfig, at: dt.datetime) -> dt.datetime:
    return at.astimezone(config.team.zone)


def message(config: TeamConfig, body: Md, fallback: Md, at: dt.datetime, late: bool) -> Message:
    """A scheduled post; a late one says so (it ran after a restart, within the grace window)."""
    blocks: list = [Text(body)]
    if late:
        blocks.append(Context(phrase("schedule.late", due=local(config, at))))
    return Message(tuple(blocks), fallback)
