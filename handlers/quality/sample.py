"""The daily QA sample (seed 003 §2.1.5): a random share of the previous working day's closed
or resolved tickets, with the four checks as pass/fail buttons, and recording a check.

The draw is seeded by the scope and the date, so every replica (and every retry) picks the
same tickets; overdue and low-satisfaction tickets of the day are always in it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from collections.abc import Sequence

from handlers.chat.model import (
    Actions,
    Actor,
    Button,
    Divider,
    Header,
    Message,
    Place,
    Reply,
    Text,
)
from handlers.chat.refusals import Refused
from handlers.chat.texts import phrase
from handlers.commands.quality import QaCheck
from handlers.config.team import TeamConfig
from handlers.desk import Desk
from handlers.quality.common import button_value, locked_ticket, require_qa
from handlers.tickets import clocks
from storage import quality as store
from storage import tickets as repo
from storage.models import Ticket

PASS_ACTION, FAIL_ACTION = "qa.pass", "qa.fail"


def overdue(config: TeamConfig, ticket: Ticket) -> bool:
    """A response or root-cause clock that ran out before it stopped."""
    end = ticket.resolved_at or ticket.closed_at or ticket.updated_at
    if clocks.first_response(config, ticket, end).breached:
        return True
    rca = clocks.root_cause(config, ticket, end)
    return rca is not None and rca.breached


def draw(
    config: TeamConfig,
    scope: str,
    day: dt.date,
    tickets: Sequence[Ticket],
    low_scored: set[int],
) -> list[tuple[Ticket, list[str]]]:
    """The sample of a day's finished tickets, each with why it is in it (drawn, overdue,
    low score), ordered by ticket number."""
    pool = sorted(tickets, key=lambda t: t.number)
    if not pool:
        return []
    size = max(1, math.ceil(config.quality.sample.share * len(pool)))
    seed = int.from_bytes(hashlib.sha256(f"{scope}:{day.isoformat()}".encode()).digest()[:8], "big")
    drawn = {t.number for t in random.Random(seed).sample(pool, min(size, len(pool)))}
    picked = []
    for t in pool:
        why = [
            reason
            for reason, hit in (
                ("drawn", t.number in drawn),
                ("overdue", overdue(config, t)),
                ("low_score", (t.id or 0) in low_scored),
            )
            if hit
        ]
        if why:
            picked.append((t, why))
    return picked


def message(
    config: TeamConfig, day: dt.date, picked: list[tuple[Ticket, list[str]]], total: int
) -> Message:
    checks = config.quality.sample.checks
    blocks: list = [Text(phrase("qa.sample_intro", day=day, count=len(picked), total=total))]
    for ticket, why in picked:
        blocks += [
            Divider(),
            Header(phrase("card.header", t=ticket)),
            Text(phrase("qa.sample_ticket", t=ticket, why=[phrase(f"qa.why.{w}") for w in why])),
        ]
        for check in checks:
            value = f"{ticket.key}:{check}"
            blocks.append(
                Actions(
                    (
                        Button(
                            phrase("qa.pass_button", check=phrase(f"qa.check.{check}")),
                            PASS_ACTION,
                            value,
                            style="primary",
                        ),
                        Button(
                            phrase("qa.fail_button", check=phrase(f"qa.check.{check}")),
                            FAIL_ACTION,
                            value,
                            style="danger",
                        ),
                    )
                )
            )
    blocks.append(Text(phrase("qa.sample_hint", checks=checks)))
    return Message(tuple(blocks), phrase("qa.sample_fallback", day=day, count=len(picked)))


def from_button(desk: Desk, actor: Actor, place: Place, passed: bool, value: str) -> Reply:
    number, check = button_value(value)
    return record(desk, actor, place, QaCheck(number, check, passed))


def record(desk: Desk, actor: Actor, place: Place, request: QaCheck) -> Reply:
    config, now = desk.config, desk.now()
    require_qa(config, actor)
    if request.check not in config.quality.sample.checks:
        raise Refused(
            phrase("error.unknown_check", given=request.check, known=config.quality.sample.checks)
        )
    with desk.writing() as session:
        ticket = locked_ticket(session, place.channel.scope, request.number)
        store.save_check(
            session,
            ticket.id or 0,
            ticket.scope,
            request.check,
            request.passed,
            request.note,
            actor.key,
            now,
        )
        repo.record(
            session,
            ticket,
            actor.key,
            "qa_check",
            now,
            check=request.check,
            passed=request.passed,
            note=request.note,
        )
    result = "done.qa_pass" if request.passed else "done.qa_fail"
    return Reply(Message.text(phrase(result, t=ticket, check=phrase(f"qa.check.{request.check}"))))
