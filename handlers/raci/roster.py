"""`/roster [role]`: who holds which role, who is on duty, the L2 specialties."""

from __future__ import annotations

from handlers.chat.model import Message, Reply
from handlers.chat.refusals import Refused
from handlers.chat.texts import label, phrase, render
from handlers.config.team import TeamConfig


def roster(config: TeamConfig, role_query: str) -> Reply:
    roles = list(config.roles)
    if role_query:
        q = role_query.casefold()
        roles = [
            r
            for r in roles
            if q in (r.id.casefold(), r.name.casefold(), r.name_zh)
            or q in r.name.casefold()
            or (r.name_zh and q in r.name_zh)
        ]
        if not roles:
            raise Refused(
                phrase(
                    "error.unknown_role", given=role_query, known=[label(r) for r in config.roles]
                )
            )
    rows = [(r, [p for p in config.people if p.holds(r.id)]) for r in roles]
    body = render("roster.md", rows=rows, config=config)
    return Reply(Message.text(body, phrase("roster.fallback")))
