"""Quality deadlines as `Timer`s (see `schedules.timers`): the satisfaction survey's one
reminder, and the knowledge-review clock (a nudge to the knowledge manager before the 24 h are
up, then the team lead when they are).

Each is claimed by the existing unique rows in the transaction that queues its post: a survey
reminder by a `clock_stage` row of its ticket (`csat:<resolution>`), a review stage by a
`schedule_fire` row (`kb-review:<entry>:<stage>`), so restarts and replicas post it once.
"""

from __future__ import annotations

import datetime as dt
import logging

from handlers.chat.model import Message, Post, Target
from handlers.chat.texts import phrase
from handlers.desk import Desk
from handlers.knowledge.entries import reviewers
from handlers.tickets import survey
from schedules.common import everyone
from storage import fires
from storage import knowledge as kb_store
from storage import quality as store
from storage import tickets as repo
from storage.db import read_scope, session_scope
from storage.knowledge import KnowledgeEntry
from storage.models import Ticket

log = logging.getLogger(__name__)
# A reminder more than a day past its moment (the bot was down) is not sent late; this also
# keeps each tick's read to a couple of days of resolved tickets.
LOOKBACK = dt.timedelta(days=1)


def _stamp(at: dt.datetime) -> str:
    return f"{at.astimezone(dt.UTC):%Y%m%dT%H%M%S}"


class SurveyReminders:
    name = "survey_reminders"

    def _pending(self, desk: Desk, after: dt.datetime) -> list[tuple[dt.datetime, Ticket]]:
        if not desk.config.quality.survey.enabled:
            return []
        wait = dt.timedelta(minutes=desk.config.quality.survey.reminder_after)
        with read_scope(desk.engine) as session:
            tickets = store.awaiting_reminder(session, after - wait - LOOKBACK, "csat:")
        return [
            (t.resolved_at + wait, t)
            for t in tickets
            if t.resolved_at is not None and survey.respondent(desk.config, t)[0] is not None
        ]

    def next_due(self, desk: Desk, after: dt.datetime) -> dt.datetime | None:
        return min((due for due, _ in self._pending(desk, after) if due > after), default=None)

    def fire_due(self, desk: Desk, now: dt.datetime) -> int:
        fired = 0
        for due, seen in self._pending(desk, now):
            if due > now:
                continue
            try:
                fired += self._fire(desk, seen, due, now)
            except Exception:  # left unclaimed: the next call tries it again
                log.exception("survey reminder of %s failed", seen.key)
        return fired

    def _fire(self, desk: Desk, seen: Ticket, due: dt.datetime, now: dt.datetime) -> int:
        with session_scope(desk.engine) as session:
            ticket = repo.get(session, seen.scope, seen.number, lock=True)
            if ticket is None or ticket.resolved_at != seen.resolved_at:
                return 0  # reopened (and maybe resolved again: a new survey) in between
            stamp = _stamp(ticket.resolved_at)
            if store.score_of(session, ticket.id or 0, ticket.resolved_at) is not None:
                return 0
            post = survey.ask(desk.config, ticket, reminder=True)
            if post is None or not fires.claim_stage(
                session, ticket.id or 0, f"csat:{stamp}", due, "posted", now
            ):
                return 0
            keyed = Post(post.target, post.message, f"{ticket.scope}:{post.dedupe_key}:{stamp}")
            desk.post(session, ticket.scope.partition(":")[0], ticket.scope, keyed)
        return 1


class KnowledgeReview:
    name = "knowledge_review"

    def _stages(self, desk: Desk, entry: KnowledgeEntry) -> list[tuple[str, dt.datetime]]:
        k = desk.config.knowledge
        deadline = entry.submitted_at + dt.timedelta(minutes=k.review)
        nudge = deadline - dt.timedelta(minutes=min(k.nudge_before, k.review))
        return [("nudge", nudge), ("overdue", deadline)]

    def _pending(self, desk: Desk) -> list[tuple[dt.datetime, str, KnowledgeEntry]]:
        out = []
        with read_scope(desk.engine) as session:
            for entry in kb_store.awaiting_review(session):
                for stage, due in self._stages(desk, entry):
                    if not fires.is_claimed(session, entry.scope, _job(entry, stage), due):
                        out.append((due, stage, entry))
        return sorted(out, key=lambda item: (item[0], item[2].id or 0))

    def next_due(self, desk: Desk, after: dt.datetime) -> dt.datetime | None:
        return min((due for due, _, _ in self._pending(desk) if due > after), default=None)

    def fire_due(self, desk: Desk, now: dt.datetime) -> int:
        due_now = [(d, s, e) for d, s, e in self._pending(desk) if d <= now]
        overdue = {e.id for _, s, e in due_now if s == "overdue"}
        fired = 0
        for due, stage, entry in due_now:
            # down past both: only the escalation is posted, the nudge is recorded as skipped
            skip = stage == "nudge" and entry.id in overdue
            try:
                fired += self._fire(desk, entry, stage, due, now, skip)
            except Exception:  # left unclaimed: the next call tries it again
                log.exception("review %s of %s failed", stage, entry.key)
        return fired

    def _fire(
        self,
        desk: Desk,
        seen: KnowledgeEntry,
        stage: str,
        due: dt.datetime,
        now: dt.datetime,
        skip: bool,
    ) -> int:
        config = desk.config
        with session_scope(desk.engine) as session:
            entry = kb_store.get(session, seen.scope, seen.number, lock=True)
            if entry is None or entry.status != "submitted":
                return 0
            status = "skipped" if skip else "posted"
            if not fires.claim_fire(session, entry.scope, _job(entry, stage), due, status, now):
                return 0
            if skip:
                return 0
            people = reviewers(config)
            if stage == "overdue":
                people += [
                    p for p in everyone(config, config.knowledge.escalate_to) if p not in people
                ]
            text = phrase(
                f"kb.review_{stage}",
                e=entry,
                people=people,
                waited=now - entry.submitted_at,
                left=max(
                    dt.timedelta(0),
                    entry.submitted_at + dt.timedelta(minutes=config.knowledge.review) - now,
                ),
            )
            message = Message.text(text)
            key = f"{entry.scope}:{_job(entry, stage)}"
            # the nudge reaches each reviewer privately; the escalation, the managers' channel
            posts = (
                [Post(Target("person", p.id), message, f"{key}:{p.id}") for p in people]
                if stage == "nudge"
                else [Post(Target("channel", "managers"), message, key)]
            )
            for post in posts:
                desk.post(session, entry.scope.partition(":")[0], entry.scope, post)
        return 1


def _job(entry: KnowledgeEntry, stage: str) -> str:
    return f"kb-review:{entry.id}:{stage}"


SURVEY_REMINDERS = SurveyReminders()
KNOWLEDGE_REVIEW = KnowledgeReview()
