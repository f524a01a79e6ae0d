"""The huddle timers: "1 minute left", "time's up" with the outcome prompt, the reminder.

A `Timer` (see `schedules.timers`): the due times are rows written with the huddle, so they
survive a restart; each is claimed by a conditional update in the transaction that queues
its post, so it fires exactly once however many processes or restarts ask.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlmodel import Session

from handlers.chat.model import Message, Post, Target
from handlers.desk import Desk
from handlers.huddles import messages as say
from handlers.huddles.start import huddle_key, thread_of
from storage import huddles as store
from storage.db import read_scope, session_scope
from storage.huddles import Huddle, HuddleTimer
from storage.models import Ticket

log = logging.getLogger(__name__)


class HuddleTimers:
    """Every huddle's timers, as one `Timer`."""

    name = "huddles"

    def next_due(self, desk: Desk, after: dt.datetime) -> dt.datetime | None:
        with read_scope(desk.engine) as session:
            return store.next_due(session, after)

    def fire_due(self, desk: Desk, now: dt.datetime) -> int:
        with read_scope(desk.engine) as session:
            due = [t.id for t in store.due(session, now) if t.id is not None]
        fired = 0
        for timer_id in due:  # one transaction each: a failure costs one post, not all
            try:
                with session_scope(desk.engine) as session:
                    fired += _fire(desk, session, timer_id, now)
            except Exception:  # left unclaimed: the next call tries it again
                log.exception("huddle timer %s failed", timer_id)
        return fired


def _fire(desk: Desk, session: Session, timer_id: int, now: dt.datetime) -> int:
    timer = session.get(HuddleTimer, timer_id)
    huddle = store.get(session, timer.huddle_id) if timer else None
    ticket = session.get(Ticket, huddle.ticket_id) if huddle else None
    if timer is None or huddle is None or ticket is None:
        return 0
    with desk.for_channel():
        post = _post(desk, ticket, huddle, timer.stage, now)
    result = "posted" if post is not None else "late"
    if not store.claim(session, timer_id, now, result):
        return 0  # fired already, by another process or an earlier call
    if post is None:
        log.info("huddle %s: %s skipped, its moment has passed", huddle.id, timer.stage)
        return 0
    desk.post(session, huddle.platform, huddle.scope, post)
    return 1


def _post(desk: Desk, ticket: Ticket, huddle: Huddle, stage: str, now: dt.datetime) -> Post | None:
    """What a stage posts, or None when it would come too late to mean anything."""
    config, key = desk.config, huddle_key(ticket, huddle.number)
    message: Message
    if stage == "warning":
        if now >= huddle.ends_at:  # "1 minute left" after the end helps nobody
            return None
        message = say.warning(config, ticket.key, huddle)
        return Post(thread_of(ticket), message, f"{key}:warning")
    if stage == "end":
        return Post(thread_of(ticket), say.times_up(config, ticket.key, huddle), f"{key}:end")
    if stage == "reminder":
        caller = config.person(huddle.caller)
        with desk.for_person(caller) if caller else desk.for_channel():
            message = say.reminder(ticket.key, huddle, now)
        # the caller is reminded in private; someone the team does not know, in the thread
        target = Target("person", caller.id) if caller else thread_of(ticket)
        return Post(target, message, f"{key}:reminder")
    log.warning("huddle %s: unknown timer stage %r", huddle.id, stage)
    return None


HUDDLES = HuddleTimers()
