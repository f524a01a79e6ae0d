"""What the quality use cases share: who the QA specialists are, the ticket a press or command
names, and the button values `T-5:<something>`."""

from __future__ import annotations

from sqlmodel import Session

from handlers.chat.model import Actor
from handlers.chat.refusals import Refused
from handlers.chat.texts import phrase
from handlers.config.team import Person, TeamConfig
from storage import tickets as repo
from storage.models import Ticket


def qa_people(config: TeamConfig) -> list[Person]:
    return [p for p in config.people if p.holds(config.quality.role)]


def require_qa(config: TeamConfig, actor: Actor) -> None:
    if actor.person is None or not actor.person.holds(config.quality.role):
        raise Refused(phrase("refused.qa_only", role=config.quality.role))


def locked_ticket(session: Session, scope: str, number: int) -> Ticket:
    ticket = repo.get(session, scope, number, lock=True)
    if ticket is None:
        raise Refused(phrase("error.unknown_ticket", key=f"T-{number}"))
    return ticket


def button_value(value: str) -> tuple[int, str]:
    """`T-5:4` → (5, "4"): the ticket a button is about, and what it says of it."""
    key, _, rest = value.rpartition(":")
    number = key.upper().removeprefix("T-")
    if not number.isdigit():
        raise Refused(phrase("error.unknown_ticket", key=key))
    return int(number), rest
