"""Who may act on a ticket. The rules are the team's `permissions` configuration."""

from __future__ import annotations

from handlers.chat import language
from handlers.chat.model import Actor
from handlers.chat.refusals import Refused
from handlers.chat.texts import label, phrase
from handlers.config.team import Person, TeamConfig
from storage.models import Ticket


def check(config: TeamConfig, actor: Actor, verb: str, ticket: Ticket) -> None:
    allowed: tuple[str, ...] = getattr(config.permissions, verb)
    if _matches(config, actor, allowed, ticket):
        return
    raise Refused(
        phrase(
            "refused.permission",
            verb=verb,
            key=ticket.key,
            who=natural_list(_describe(config, allowed, ticket)),
        )
    )


def check_assignee(config: TeamConfig, actor: Actor, ticket: Ticket, to: Person) -> None:
    """An L1 hands a ticket to an L1, an L2 to an L2; `assign_any` roles to anyone."""
    person = actor.person
    rules = config.permissions
    if person is None or any(person.holds(r) for r in rules.assign_any):
        return
    tiers = [r for r in rules.assign if person.holds(r)]
    if any(to.holds(r) for r in tiers):
        return
    raise Refused(
        phrase(
            "refused.assign_tier",
            key=ticket.key,
            person=to.name,
            tiers=natural_list([_role_words(config, r) for r in tiers]),
        )
    )


def works_the_queue(config: TeamConfig, actor: Actor) -> bool:
    """Whether the actor holds a role that may take tickets (L1, L2, team lead by default)."""
    person = actor.person
    return person is not None and any(person.holds(r) for r in config.permissions.take)


def _matches(config: TeamConfig, actor: Actor, allowed: tuple[str, ...], ticket: Ticket) -> bool:
    if "assignee" in allowed and ticket.assignee and ticket.assignee == actor.key:
        return True
    if "reporter" in allowed and actor.key in (ticket.reporter, ticket.logged_by):
        return True
    person = actor.person
    if person is None:
        return False
    if "experts" in allowed and ticket.category and ticket.category in person.specialties:
        return True
    return any(person.holds(role) for role in allowed)


def _describe(config: TeamConfig, allowed: tuple[str, ...], ticket: Ticket) -> list[str]:
    names = []
    for who in allowed:
        if who == "assignee":
            holder = config.person(ticket.assignee) if ticket.assignee else None
            names.append(phrase("who.assignee", person=holder))
        elif who == "reporter":
            names.append(phrase("who.reporter"))
        elif who == "experts":
            category = config.category(ticket.category) if ticket.category else None
            names.append(phrase("who.experts", category=category))
        else:
            names.append(_role_words(config, who))
    return names


def _role_words(config: TeamConfig, role_id: str) -> str:
    role = config.role(role_id)
    if role is None:
        return role_id
    return role.plural if role.plural and language.current() == "en" else label(role)


def natural_list(items: list[str]) -> str:
    """ "L1 engineers", "L2 engineers", "the team lead" → "L1 and L2 engineers and the team
    lead": neighbours that end in the same plural noun share it."""
    merged: list[str] = []
    for item in items:
        head, _, last = item.rpartition(" ")
        if merged and head and " " in merged[-1]:
            prev_head, _, prev_last = merged[-1].rpartition(" ")
            if prev_last == last and not prev_head.startswith("the "):
                merged[-1] = phrase("list.pair", a=prev_head, b=item)
                continue
        merged.append(item)
    if len(merged) <= 1:
        return "".join(merged)
    return phrase("list.join", head=merged[:-1], last=merged[-1])
