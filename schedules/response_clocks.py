"""The response clocks as a `Timer`: nudges, breaches, progress pings and escalations.

The rules (what is due when, in working hours or around the clock) are `handlers.tickets.clocks`;
this module posts each stage once per ticket. A stage is claimed by a unique (ticket, stage)
row in the transaction that queues its post, after re-reading the ticket under a row lock:
a ticket answered, noted or resolved a second before the deadline has no stage left to post.
When the bot was down past two deadlines of the same clock, only the later one (the breach)
is posted and the nudge is recorded as skipped. Posts go to the ticket's own scope.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from sqlmodel import Session

from handlers.chat.model import Message, Post, Target, Text
from handlers.chat.texts import phrase
from handlers.config.team import Person
from handlers.desk import Desk
from handlers.tickets import clocks
from handlers.tickets.workflow import card_key
from schedules.common import holders, local, on_duty_l1
from storage import fires, reports
from storage import tickets as repo
from storage.db import session_scope
from storage.models import Ticket

log = logging.getLogger(__name__)

# A later stage makes an earlier one of the same clock pointless when both are due.
_SUPERSEDED_BY = {"nudge": "breach"}


class ResponseClocks:
    name = "response_clocks"

    def next_due(self, desk: Desk, after: dt.datetime) -> dt.datetime | None:
        with session_scope(desk.engine) as session:
            pending = _pending(desk, session)
        return min((stage.due for _, stage in pending if stage.due > after), default=None)

    def fire_due(self, desk: Desk, now: dt.datetime) -> int:
        with session_scope(desk.engine) as session:
            due = [(t, s) for t, s in _pending(desk, session) if s.due <= now]
        kinds_due: dict[int, set[str]] = defaultdict(set)
        for t, stage in due:
            kinds_due[t.id or 0].add(stage.kind)
        fired = 0
        for t, stage in due:  # one transaction each: a failure costs one post, not all
            later = _SUPERSEDED_BY.get(stage.kind)
            skip = later is not None and later in kinds_due[t.id or 0]
            try:
                fired += _fire(desk, t, stage, now, skip)
            except Exception:  # left unclaimed: the next call tries it again
                log.exception("response clock %s of %s failed", stage.key, t.key)
        return fired


def _pending(desk: Desk, session: Session) -> list[tuple[Ticket, clocks.Stage]]:
    """Every running stage of every open ticket not yet claimed, in due order."""
    tickets = reports.open_tickets(session)
    ids = [t.id for t in tickets if t.id is not None]
    progress = reports.last_progress(session, [t.id for t in tickets if t.dispatched_at and t.id])
    claimed = fires.claimed_stages(session, ids)
    pending = [
        (t, stage)
        for t in tickets
        for stage in clocks.stages(desk.config, t, progress.get(t.id or 0))
        if (t.id, stage.key) not in claimed
    ]
    return sorted(pending, key=lambda pair: (pair[1].due, pair[0].id or 0))


def _fire(desk: Desk, seen: Ticket, stage: clocks.Stage, now: dt.datetime, skip: bool) -> int:
    with session_scope(desk.engine) as session:
        # re-read under a lock: a ticket action in flight either lands first or waits
        ticket = repo.get(session, seen.scope, seen.number, lock=True)
        if ticket is None or ticket.id is None:
            return 0
        progress = reports.last_progress(session, [ticket.id]).get(ticket.id)
        current = {s.key: s for s in clocks.stages(desk.config, ticket, progress)}
        live = current.get(stage.key)
        if live is None or live.due > now:
            return 0  # answered, noted or resolved in time: nothing to say
        status = "skipped" if skip else "posted"
        if not fires.claim_stage(session, ticket.id, live.key, live.due, status, now):
            return 0  # another process (or an earlier run) had it
        if skip:
            return 0
        with desk.for_channel():
            post = _post(desk, ticket, live, now)
        platform = ticket.scope.partition(":")[0]
        desk.post(session, platform, ticket.scope, post)
        return 1


def _post(desk: Desk, t: Ticket, stage: clocks.Stage, now: dt.datetime) -> Post:
    config, rules = desk.config, desk.config.time_rules
    calls = config.schedules.clocks
    thread = Target("channel", "queue", thread=card_key(t))
    top = Target("channel", "queue")
    assignee = config.person(t.assignee) if t.assignee else None
    if stage.kind == "nudge":
        breach = clocks.deadline(config, t.priority, t.created_at, rules.first_response)
        text = phrase(
            "clock.nudge",
            t=t,
            people=on_duty_l1(config, t.category),
            waited=clocks.elapsed(config, t.priority, t.created_at, now),
            left=clocks.elapsed(config, t.priority, now, breach),
            rules=rules,
        )
        target = thread
    elif stage.kind == "breach":
        people = _unique([*on_duty_l1(config, t.category), *holders(config, calls.breach)])
        text = phrase("clock.breach", t=t, people=people, rules=rules)
        target = top
    elif stage.kind == "progress":
        text = phrase(
            "clock.progress",
            t=t,
            people=[assignee] if assignee else [],
            since=local(config, stage.since).strftime("%H:%M"),
            rules=rules,
        )
        target = thread
    else:
        incident = config.activity(config.purposes.incident)
        accountable = holders(config, incident.holders("A")) if incident else []
        people = _unique([*accountable, *holders(config, calls.root_cause)])
        text = phrase(
            "clock.root_cause",
            t=t,
            people=people,
            assignee=assignee.name if assignee else t.assignee,
            rules=rules,
        )
        target = top
    return Post(target, Message((Text(text),), text), f"clock:{t.id}:{stage.key}")


def _unique(people: list[Person]) -> list[Person]:
    return list({p.id: p for p in people}.values())


RESPONSE_CLOCKS = ResponseClocks()  # registered in schedules.timers
