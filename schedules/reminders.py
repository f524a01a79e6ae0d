"""Reminders: the unassigned queue at 09:00/14:00/17:00 (the weekly L2 report: `l2_reports`)."""

from __future__ import annotations

from sqlmodel import Session

from handlers.chat.model import Context, Message, Post, Target, Text
from handlers.chat.texts import phrase, render
from handlers.desk import Desk
from handlers.oncall.duty import staffed
from handlers.tickets import queue
from schedules.common import local, on_duty_l1
from schedules.fire import Fire
from storage import reports
from storage import tickets as repo


def queue_reminder(desk: Desk, session: Session, scope: str, fire: Fire) -> list[Post]:
    """The unassigned pool, oldest first, with the response-clock marks of `/queue`,
    mentioning the L1 engineers on duty; a short line (or nothing) when it is empty."""
    config, at, late = desk.config, fire.at, fire.late
    pools = fire.cache.get("pools")
    if pools is None:  # the first scope of this fire reads the pools of all of them
        scopes = fire.scopes or (scope,)
        pools = fire.cache["pools"] = reports.unassigned_pools(session, scopes, queue.LIMIT + 1)
    pool = pools.get(scope)
    if pool is None:
        pool = repo.queue(session, scope, unassigned_only=True, limit=queue.LIMIT + 1)
    when = local(config, at)
    waiting = len(pool)
    if not waiting:
        if not config.schedules.queue_reminders.post_when_empty:
            return []
        line = phrase("queue_reminder.empty", at=when)
        blocks: list = [Text(line)]
    else:
        # the rota at the fire time, read once for all the fire's scopes
        rota = fire.cache.get("staffed")
        if rota is None:
            rota = fire.cache["staffed"] = staffed(config, session, at)
        on_duty = on_duty_l1(rota)
        intro = render("queue_reminder.md", at=when, people=on_duty)
        blocks = [Text(intro), *queue.listing(desk, scope, tickets=pool).blocks]
    if late:
        blocks.append(Context(phrase("schedule.late", due=when)))
    fallback = phrase(
        "queue_reminder.fallback",
        at=when,
        count=min(waiting, queue.LIMIT),
        more=waiting > queue.LIMIT,
    )
    return [Post(Target("channel", "queue"), Message(tuple(blocks), fallback))]
