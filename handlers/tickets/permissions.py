"""Who may act on a ticket. The rules are the team's `permissions` configuration."""

from __future__ import annotations

from handlers.chat.model import Actor
from handlers.chat.refusals import Refused
from handlers.chat.texts import label, phrase
from handlers.config.team import TeamConfig
from storage.models import Ticket


def check(config: TeamConfig, actor: Actor, verb: str, ticket: Ticket) -> None:
    allowed: tuple[str, ...] = getattr(config.permissions, verb)
    if _matches(actor, allowed, ticket):
        return
    raise Refused(
        phrase(
            "refused.permission", verb=verb, key=ticket.key, who=_describe(config, allowed, ticket)
        )
    )


def works_the_queue(config: TeamConfig, actor: Actor) -> bool:
    """Whether the actor holds a role that may take tickets (L1, L2, team lead by default)."""
    person = actor.person
    return person is not None and any(person.holds(r) for r in config.permissions.take)


def _matches(actor: Actor, allowed: tuple[str, ...], ticket: Ticket) -> bool:
    if "assignee" in allowed and ticket.assignee and ticket.assignee == actor.key:
        return True
    if "reporter" in allowed and actor.key in (ticket.reporter, ticket.logged_by):
        return True
    person = actor.person
    return person is not None and any(person.holds(role) for role in allowed)


def _describe(config: TeamConfig, allowed: tuple[str, ...], ticket: Ticket) -> list[str]:
    names = []
    for who in allowed:
        if who == "assignee":
            holder = config.person(ticket.assignee) if ticket.assignee else None
            names.append(phrase("who.assignee", person=holder))
        elif who == "reporter":
            names.append(phrase("who.reporter"))
        else:
            role = config.role(who)
            names.append(label(role) if role else who)
    return names
