"""The L2 weekly report's two jobs: before the deadline (default Friday 15:00) each expert who
has not filed gets their pre-filled report with a **File report** button; at the deadline
(17:00) the team lead gets the list of missing reports."""

from __future__ import annotations

from sqlmodel import Session

from handlers.chat.model import Post, Target
from handlers.chat.texts import phrase
from handlers.desk import Desk
from handlers.quality import weekly_report as report
from schedules.common import message
from schedules.fire import Fire
from storage import quality as store


def reminder(desk: Desk, session: Session, scope: str, fire: Fire) -> list[Post]:
    config = desk.config
    week, _ = report.week_of(config, fire.at)
    done = store.filed(session, scope, week)
    waiting = [p for p in report.experts(config) if p.id not in done]
    deadline = config.schedules.l2_weekly_report.when
    return [
        Post(Target("person", d.person.id), report.message(config, d, deadline))
        for d in report.drafts(config, session, scope, waiting, fire.at)
    ]


def missing(desk: Desk, session: Session, scope: str, fire: Fire) -> list[Post]:
    config = desk.config
    week, _ = report.week_of(config, fire.at)
    done = store.filed(session, scope, week)
    people = report.experts(config)
    text = phrase(
        "l2_report.missing",
        week=week,
        missing=[p for p in people if p.id not in done],
        filed=[p for p in people if p.id in done],
    )
    return [
        Post(Target("person", lead.id), message(config, text, text, fire.at, fire.late))
        for lead in report.leads(config)
    ]
