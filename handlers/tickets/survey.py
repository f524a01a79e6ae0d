"""The satisfaction survey a resolved ticket sends (seed 003 §2.1.5): who is asked, and the
message with its five score buttons. Recording the answer is `handlers.quality.satisfaction`.
"""

from __future__ import annotations

from handlers.chat.model import Actions, Button, Context, Message, Post, Target, Text
from handlers.chat.texts import phrase
from handlers.config.team import Person, TeamConfig
from storage.models import Ticket

SCORE_ACTION = "csat.score"
SCORES = (1, 2, 3, 4, 5)


def respondent(config: TeamConfig, ticket: Ticket) -> tuple[Person | None, bool]:
    """Who the survey goes to, and whether they relay it: the reporter when the team knows
    them in chat; else whoever logged the ticket, who asks the reporter by phone."""
    reporter = config.person(ticket.reporter) if ticket.reporter else None
    if reporter is not None:
        return reporter, False
    logger = config.person(ticket.logged_by)
    return logger, logger is not None


def message(config: TeamConfig, ticket: Ticket, reminder: bool = False) -> Message:
    _, relay = respondent(config, ticket)
    body = phrase(
        "csat.ask", t=ticket, relay=relay, reminder=reminder, reporter=ticket.reporter or ""
    )
    buttons = tuple(
        Button(phrase(f"csat.button.{n}"), SCORE_ACTION, f"{ticket.key}:{n}") for n in SCORES
    )
    return Message(
        (
            Text(body),
            Actions(buttons),
            Context(
                phrase("csat.comment_hint", t=ticket, window=config.quality.survey.change_window)
            ),
        ),
        phrase("csat.fallback", t=ticket),
    )


def ask(config: TeamConfig, ticket: Ticket, reminder: bool = False) -> Post | None:
    """The survey post for a ticket just resolved (or its one reminder), if anyone can answer."""
    if not config.quality.survey.enabled:
        return None
    person, _ = respondent(config, ticket)
    if person is None:
        return None
    stage = "csat-reminder" if reminder else "csat"
    return Post(
        Target("person", person.id), message(config, ticket, reminder), f"{ticket.key}:{stage}"
    )
