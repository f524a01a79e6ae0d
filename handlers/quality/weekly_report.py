"""The L2 weekly complex-problem report (seed 003 §2.1.3: Fridays 17:00, L2 → team lead, with
root causes, the resolution process and improvement suggestions).

Each expert's report is pre-filled from the tickets: those dispatched to them this week (their
specialty, or assigned to them) with root cause and resolution, and those still overdue from
earlier weeks. `/report` shows it; a press on **File report** or `/report submit [IMPROVEMENT
SUGGESTIONS]` files it, once a week, to the team lead. The reminder before the deadline and
the list of missing reports after it are jobs (`schedules.l2_reports`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from handlers.chat.model import Actions, Actor, Button, Message, Place, Post, Reply, Target, Text
from handlers.chat.refusals import Refused
from handlers.chat.texts import phrase, render
from handlers.config.team import Person, TeamConfig
from handlers.config.workdays import local_day_bounds
from handlers.desk import Desk
from handlers.tickets import clocks
from storage import quality as store
from storage.models import Ticket
from storage.quality import WeeklyReport

SUBMIT_ACTION = "report.submit"


@dataclass(frozen=True)
class Draft:
    person: Person
    week: dt.date  # Monday
    this_week: list[Ticket]
    overdue: list[Ticket]  # dispatched in earlier weeks, still open past the root-cause clock


def week_of(config: TeamConfig, now: dt.datetime) -> tuple[dt.date, dt.datetime]:
    today = now.astimezone(config.team.zone).date()
    monday = today - dt.timedelta(days=today.weekday())
    return monday, local_day_bounds(config.team, monday)[0]


def experts(config: TeamConfig) -> list[Person]:
    role = config.schedules.l2_weekly_report.experts
    return [p for p in config.people if p.holds(role)]


def leads(config: TeamConfig) -> list[Person]:
    role = config.schedules.l2_weekly_report.report_to
    return [p for p in config.people if p.holds(role)]


def drafts(
    config: TeamConfig, session: Session, scope: str, people: list[Person], now: dt.datetime
) -> list[Draft]:
    """Each expert's report as the tickets write it (one read for all of them)."""
    monday, start = week_of(config, now)
    tickets = [t for t in store.dispatched_since(session, scope, start) if t.dispatched_at]
    out = []
    for person in people:
        mine = [
            t
            for t in tickets
            if t.assignee == person.id or (t.category and t.category in person.specialties)
        ]
        this_week = [t for t in mine if t.dispatched_at and start <= t.dispatched_at <= now]
        overdue = [
            t
            for t in mine
            if t.dispatched_at
            and t.dispatched_at < start
            and (state := clocks.root_cause(config, t, now)) is not None
            and state.breached
        ]
        out.append(Draft(person, monday, this_week, overdue))
    return out


def message(config: TeamConfig, draft: Draft, deadline: str, button: bool = True) -> Message:
    body = render("l2_report_draft.md", d=draft, deadline=deadline, leads=leads(config))
    blocks: list = [Text(body)]
    if button:
        blocks.append(
            Actions((Button(phrase("button.report_submit"), SUBMIT_ACTION, "", "primary"),))
        )
    return Message(tuple(blocks), phrase("l2_report.draft_fallback", d=draft))


def _expert(config: TeamConfig, actor: Actor) -> Person:
    if actor.person is None or not actor.person.holds(config.schedules.l2_weekly_report.experts):
        raise Refused(phrase("refused.report_who"))
    return actor.person


def show(desk: Desk, actor: Actor, place: Place) -> Reply:
    config, person = desk.config, _expert(desk.config, actor)
    with desk.reading() as session:
        [draft] = drafts(config, session, place.channel.scope, [person], desk.now())
        done = person.id in store.filed(session, place.channel.scope, draft.week)
    deadline = config.schedules.l2_weekly_report.when
    return Reply(message(config, draft, deadline, button=not done))


def submit(desk: Desk, actor: Actor, place: Place, suggestions: str) -> Reply:
    config, now, scope = desk.config, desk.now(), place.channel.scope
    person = _expert(config, actor)
    with desk.writing() as session:
        [draft] = drafts(config, session, scope, [person], now)
        row = WeeklyReport(
            scope=scope,
            person=person.id,
            week=draft.week,
            tickets=[t.number for t in (*draft.this_week, *draft.overdue)],
            suggestions=suggestions,
            filed_at=now,
        )
        if not store.file_report(session, row):
            raise Refused(phrase("refused.report_filed", week=draft.week))
        if suggestions:  # the report's suggestions count with the month's
            store.add_suggestion(session, scope, suggestions, person.id, now)
        body = render("l2_report_filed.md", d=draft, suggestions=suggestions)
        filed = Message((Text(body),), phrase("l2_report.filed_fallback", d=draft))
        for lead in leads(config):
            key = f"{scope}:l2-report:{draft.week}:{person.id}:{lead.id}"
            desk.post(
                session, actor.ref.platform, scope, Post(Target("person", lead.id), filed, key)
            )
    return Reply(
        Message(
            (Text(phrase("done.report", leads=leads(config))),),
            phrase("done.report", leads=leads(config)),
        )
    )
