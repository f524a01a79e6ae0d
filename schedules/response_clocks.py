"""The response clocks as a `Timer`: the escalation policies' levels and repeats.

The rules (what is due when, in working hours or around the clock, per policy) are
`handlers.tickets.clocks`; who a level reaches is `handlers.tickets.notify`, resolved with
the rota as it stands when the level fires. Each stage is posted once per ticket: it is
claimed by a unique (ticket, stage) row in the transaction that queues its posts, after
re-reading the ticket under a row lock, so a ticket answered, noted or resolved a second
before the deadline has no stage left to post. When the bot was down past several levels
of the same clock, only the latest is posted and the earlier ones are recorded as skipped.
Posts go to the ticket's own scope.

A tick reads only the tickets due (`ticket.clock_due_at`, see `storage.clock_due`): those
with a stage due, and those changed since (every recorded event marks its ticket), a
bounded batch at a time; it recomputes their stages here, the one place for the rule, and
stores each ticket's next unclaimed stage. Other time rules, policies or working hours
(a fingerprint on record) mark every open ticket once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection
from sqlmodel import Session

from handlers.chat.model import Context, Message, Post, Target, Text
from handlers.chat.texts import phrase
from handlers.config.team import TeamConfig
from handlers.desk import Desk
from handlers.oncall.duty import Duty, all_duties, with_duties
from handlers.tickets import clocks, notify
from handlers.tickets.posts import card_key
from schedules.common import local
from storage import clock_due, fires
from storage.db import read_scope, session_scope
from storage.models import Ticket

log = logging.getLogger(__name__)

_BATCH = 500  # tickets per read and write: a tick's memory and statements stay bounded
# A ticket and its running stages not yet claimed, in due order.
Pending = tuple[Ticket, list[clocks.Stage]]


class ResponseClocks:
    name = "response_clocks"

    # Each call checks one connection out for all its transactions: a checkout costs a
    # liveness ping (a round trip), which per ticket was a fifth of a tick's.

    def next_due(self, desk: Desk, after: dt.datetime) -> dt.datetime | None:
        soonest: list[dt.datetime] = []
        with desk.engine.connect() as conn:
            # tickets marked (or left due) by `after`: work out and store their next stage
            for batch in _due(desk, conn, after):
                _store(conn, [(t, [s.due for s in stages]) for t, stages in batch])
                soonest += [s.due for _, stages in batch for s in stages if s.due > after]
            with read_scope(conn) as session:
                stored = clock_due.next_after(session, after)
        return min([*soonest, *([stored] if stored else [])], default=None)

    def fire_due(self, desk: Desk, now: dt.datetime) -> int:
        with desk.engine.connect() as conn:
            rota = _Rota(desk.config, now)
            return sum(_fire_batch(desk, conn, rota, b, now) for b in _due(desk, conn, now))


def _due(desk: Desk, conn: Connection, until: dt.datetime) -> Iterator[list[Pending]]:
    """The tickets due by `until` (a stage due, or marked by a change), a batch at a time,
    each with its unclaimed stages due by then and the next one: reads only what is due."""
    after: tuple[dt.datetime, int] | None = None
    fingerprint: str | None = clocks.fingerprint(desk.config)  # checked in the first read
    while True:
        with read_scope(conn) as session:
            if fingerprint is not None and clock_due.rules(session) != fingerprint:
                batch = None
            else:
                batch = clock_due.due_batch(session, until, after, _BATCH)
        if batch is None:  # due times stored under other rules: mark them, then read again
            _follow_rules(conn, fingerprint, until)
            fingerprint = None
            continue
        fingerprint = None
        tickets = batch.tickets
        if not tickets:
            return
        last = tickets[-1]
        after = (last.clock_due_at or until, last.id or 0)
        progress, claimed = batch.progress, batch.claimed
        yield [(t, _unclaimed(desk, t, progress.get(t.id or 0), claimed, until)) for t in tickets]
        if len(tickets) < _BATCH:
            return


def _unclaimed(
    desk: Desk,
    t: Ticket,
    progress: dt.datetime | None,
    claimed: set[tuple[int, str]],
    until: dt.datetime,
) -> list[clocks.Stage]:
    """The ticket's unclaimed stages due by `until`, then the first one after (when it is
    due next). Not the rest: an urgent clock repeats up to 60 times, and a batch of 500 new
    tickets holding every stage was 15 MB at the top of a server's memory after a burst."""
    found: list[clocks.Stage] = []
    for stage in clocks.stages_in_order(desk.config, t, progress):
        if (t.id, stage.key) not in claimed:
            found.append(stage)
            if stage.due > until:
                break
    return found


@dataclass
class _Rota:
    """Who is on call as the tick stands, read once per tick (in the first transaction
    that posts), not once per stage: with it, the configuration staffed accordingly."""

    config: TeamConfig
    now: dt.datetime
    read: tuple[TeamConfig, list[Duty]] | None = None

    def staffed(self, session: Session) -> tuple[TeamConfig, list[Duty]]:
        if self.read is None:
            duties = all_duties(self.config, session, self.now)
            self.read = (with_duties(self.config, duties), duties)
        return self.read


def _fire_batch(
    desk: Desk, conn: Connection, rota: _Rota, batch: list[Pending], now: dt.datetime
) -> int:
    # the tickets in the order of their earliest due stage: the oldest deadline posts first
    due = sorted(
        ((t, [s for s in stages if s.due <= now]) for t, stages in batch),
        key=lambda pair: (pair[1][0].due if pair[1] else now, pair[0].id or 0),
    )
    fired, settled = 0, set()
    for t, stages in due:  # one transaction per ticket: a failure costs its posts, not all
        if not stages:
            continue
        try:
            posted = _fire(desk, conn, rota, t, stages, now)
        except Exception:  # left unclaimed (and due): the next call tries it again
            log.exception("response clocks of %s failed", t.key)
            continue
        fired += posted
        settled.update((t.id, s.key) for s in stages)
    # each ticket is due next at its first stage left (NULL: no clock runs any more)
    _store(conn, [(t, [s.due for s in ss if (t.id, s.key) not in settled]) for t, ss in batch])
    return fired


def _store(conn: Connection, dues: list[tuple[Ticket, list[dt.datetime]]]) -> None:
    changes = [(t.id or 0, t.clock_due_at, min(left, default=None)) for t, left in dues]
    with session_scope(conn) as session:
        clock_due.store(session, [(tid, seen, due) for tid, seen, due in changes if seen])


def _follow_rules(conn: Connection, fingerprint: str, at: dt.datetime) -> None:
    """The stored due times were computed under other time rules, policies or working
    hours: mark every open ticket due (one UPDATE); the tick recomputes them in batches.
    Checked every tick (one row read in the tick's first read): a process-wide "already
    checked" went stale when the database under it was replaced (a restore, a test's fresh
    tables), and missed another replica's rules: due times it stored under them stayed
    until they came due."""
    with session_scope(conn) as session:
        if clock_due.rules(session) != fingerprint:  # (another replica may have just done it)
            marked = clock_due.recheck_open(session, at)
            clock_due.set_rules(session, fingerprint, at)
            log.info("clock rules changed: %d open tickets to re-evaluate", marked)


def _fire(
    desk: Desk,
    conn: Connection,
    rota: _Rota,
    seen: Ticket,
    due: list[clocks.Stage],
    now: dt.datetime,
) -> int:
    """Post (or skip) a ticket's due stages, each claimed once, in one transaction. Returns
    how many stages queued posts. Whatever it returns, the stages are settled: claimed here
    or elsewhere, or no longer live."""
    with session_scope(conn) as session:
        # re-read under a lock: a ticket action in flight either lands first or waits
        found = clock_due.locked(session, seen.id or 0)
        if found is None:
            return 0
        ticket, progress = found
        current = {s.key: s for s in clocks.stages(desk.config, ticket, progress)}
        # answered, noted or resolved in time: those stages have nothing to say
        live = [s for s in (current.get(d.key) for d in due) if s is not None and s.due <= now]
        if not live:
            return 0
        # after downtime, a clock's latest due notice makes its earlier ones pointless
        # (whoever posts it: a stage another replica claimed counts too)
        latest: dict[str, dt.datetime] = {}
        for stage in (s for s in current.values() if s.due <= now):
            latest[stage.kind] = max(latest.get(stage.kind, stage.due), stage.due)
        posts: dict[str, list[Post]] = {}
        with desk.for_channel():  # channel posts and pages, in the team's language
            for stage in live:
                if stage.due >= latest[stage.kind]:
                    posts[stage.key] = _posts(*rota.staffed(session), ticket, stage, now)
        status = {key: "posted" if queued else "quiet" for key, queued in posts.items()}
        claims = [(s.key, s.due, status.get(s.key, "skipped")) for s in live]
        # another process (or an earlier run) may own some: only this caller's are posted
        owned = fires.claim_stages(session, ticket.id, claims, now)
        mine = [posts[s.key] for s in live if s.key in owned and posts.get(s.key)]
        if mine:  # one INSERT for all of them
            platform = ticket.scope.partition(":")[0]
            desk.post_all(session, platform, ticket.scope, [p for ps in mine for p in ps])
        return len(mine)


# The phrase of a level: before the clock's target (a nudge) or at/after it.
_PHRASES = {
    ("first_response", True): "clock.nudge",
    ("first_response", False): "clock.breach",
    ("progress", False): "clock.progress",
    ("root_cause", False): "clock.root_cause",
    ("common_problem", False): "clock.common_problem",
}


def _posts(
    config: TeamConfig, duties: list[Duty], t: Ticket, stage: clocks.Stage, now: dt.datetime
) -> list[Post]:
    """A stage's posts: one per notice in the thread or channel, one DM per person; each
    names why it fired and what stops it. Audiences are resolved as the rota stands now
    (`config` staffed by `duties`); durations are as of the level's own moment (a late post
    says what it was due to say)."""
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
