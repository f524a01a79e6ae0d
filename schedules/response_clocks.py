"""The response clocks as a `Timer`: the escalation policies' levels and repeats.

The rules (what is due when, in working hours or around the clock, per policy) are
`handlers.tickets.clocks`; who a level reaches is `handlers.tickets.notify`, resolved with
the rota as it stands when the level fires. Each stage is posted once per ticket: it is
claimed by a unique (ticket, stage) row in the transaction that queues its posts, after
re-reading the ticket under a row lock, so a ticket answered, noted or resolved a second
before the deadline has no stage left to post. When the bot was down past several levels
of the same clock, only the latest is posted and the earlier ones are recorded as skipped.
Posts go to the ticket's own scope.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from sqlmodel import Session

from handlers.chat.model import Context, Message, Post, Target, Text
from handlers.chat.texts import phrase
from handlers.desk import Desk
from handlers.oncall.duty import all_duties, with_duties
from handlers.tickets import clocks, notify
from handlers.tickets.posts import card_key
from schedules.common import local
from storage import fires, reports
from storage import tickets as repo
from storage.db import session_scope
from storage.models import Ticket

log = logging.getLogger(__name__)


class ResponseClocks:
    name = "response_clocks"

    def next_due(self, desk: Desk, after: dt.datetime) -> dt.datetime | None:
        with session_scope(desk.engine) as session:
            pending = _pending(desk, session)
        return min((stage.due for _, stage in pending if stage.due > after), default=None)

    def fire_due(self, desk: Desk, now: dt.datetime) -> int:
        with session_scope(desk.engine) as session:
            due = [(t, s) for t, s in _pending(desk, session) if s.due <= now]
        # after downtime, a clock's latest due notice makes its earlier ones pointless
        latest: dict[tuple[int, str], dt.datetime] = defaultdict(
            lambda: dt.datetime.min.replace(tzinfo=dt.UTC)
        )
        for t, stage in due:
            pair = (t.id or 0, stage.kind)
            latest[pair] = max(latest[pair], stage.due)
        fired = 0
        for t, stage in due:  # one transaction each: a failure costs one post, not all
            skip = stage.due < latest[(t.id or 0, stage.kind)]
            try:
                fired += _fire(desk, t, stage, now, skip)
            except Exception:  # left unclaimed: the next call tries it again
                log.exception("response clock %s of %s failed", stage.key, t.key)
        return fired


def _pending(desk: Desk, session: Session) -> list[tuple[Ticket, clocks.Stage]]:
    """Every running stage of every open ticket not yet claimed, in due order."""
    tickets = reports.open_tickets(session)
    progress = reports.dispatched_progress(session)
    claimed = fires.claimed_open_stages(session)
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
        with desk.for_channel():  # channel posts and pages, in the team's language
            posts = [] if skip else _posts(desk, session, ticket, live, now)
        status = "skipped" if skip else "posted" if posts else "quiet"
        if not fires.claim_stage(session, ticket.id, live.key, live.due, status, now):
            return 0  # another process (or an earlier run) had it
        platform = ticket.scope.partition(":")[0]
        for post in posts:
            desk.post(session, platform, ticket.scope, post)
        return 1 if posts else 0


# The phrase of a level: before the clock's target (a nudge) or at/after it.
_PHRASES = {
    ("first_response", True): "clock.nudge",
    ("first_response", False): "clock.breach",
    ("progress", False): "clock.progress",
    ("root_cause", False): "clock.root_cause",
    ("common_problem", False): "clock.common_problem",
}


def _posts(
    desk: Desk, session: Session, t: Ticket, stage: clocks.Stage, now: dt.datetime
) -> list[Post]:
    """A stage's posts: one per notice in the thread or channel, one DM per person; each
    names why it fired and what stops it. Audiences are resolved as the rota stands now;
    durations are as of the level's own moment (a late post says what it was due to say)."""
    duties = all_duties(desk.config, session, now)
    config = with_duties(desk.config, duties)
    early = stage.level.after < 0
    key = _PHRASES.get((stage.kind, early)) or _PHRASES.get((stage.kind, False), "clock.breach")
    target_at = clocks.deadline(config, t.priority, stage.since, stage.target)
    assignee = config.person(t.assignee) if t.assignee else None
    why = phrase(
        "clock.why",
        t=t,
        reason=phrase(f"clock.reason.{stage.kind}"),
        waited=clocks.elapsed(config, t.priority, stage.since, stage.due),
        n=stage.notice,
        stops=phrase(f"clock.stops.{stage.kind}", t=t),
    )
    out: list[Post] = []
    for i, notice in enumerate(stage.level.notify):
        if not notify.in_hours(config, notice, now):
            continue
        people = notify.audience(config, duties, t, notice)
        if not people:
            continue
        if notice.via == "dm":
            targets = [(Target("person", p.id), [p], f":dm:{p.id}") for p in people]
        else:
            where = Target("channel", notice.channel if notice.via == "channel" else "queue")
            if notice.via == "thread":
                where = Target("channel", "queue", thread=card_key(t))
            targets = [(where, people, f":{i}" if i else "")]
        for where, whom, suffix in targets:
            text = phrase(
                key,
                t=t,
                people=whom,
                target=stage.target,
                waited=clocks.elapsed(config, t.priority, stage.since, stage.due),
                left=clocks.elapsed(config, t.priority, stage.due, target_at),
                since=local(config, stage.since).strftime("%H:%M"),
                assignee=assignee.name if assignee else t.assignee,
                working_time=not clocks.round_the_clock(config, t.priority),
            )
            message = Message((Text(text), Context(why)), text)
            out.append(Post(where, message, f"clock:{t.id}:{stage.key}{suffix}"))
    return out


RESPONSE_CLOCKS = ResponseClocks()  # registered in schedules.timers
