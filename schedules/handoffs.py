"""On-call hand-offs: a short DM to each person whose shift starts (`oncall.handoff_note`).

One job per rota (`handoff_<rota id>`), fired at the rota's hand-off time like any scheduled
job, so each note goes out once across restarts and replicas (the job's claimed fire row).
"""

from __future__ import annotations

import datetime as dt

from apscheduler.triggers.cron import CronTrigger
from sqlmodel import Session

from handlers.chat.model import Message, Post, Target, Text
from handlers.chat.texts import phrase
from handlers.config.oncall import Rota
from handlers.config.team import TeamConfig
from handlers.desk import Desk
from handlers.oncall.command import rota_name
from handlers.oncall.rotas import shift
from schedules.common import local
from schedules.fire import Fire

_BEFORE = dt.timedelta(seconds=1)


def trigger(config: TeamConfig, rota: Rota) -> CronTrigger:
    """Every hand-off moment: daily, or weekly on the rota's weekday (holidays included:
    an on-call rota does not stop for them)."""
    return CronTrigger(
        day_of_week=rota.cron_day,
        hour=rota.time.hour,
        minute=rota.time.minute,
        second=0,
        timezone=config.team.zone,
    )


def builder(rota: Rota):  # type: ignore[no-untyped-def]
    def build(desk: Desk, session: Session, scope: str, fire: Fire) -> list[Post]:
        config = desk.config
        starting = shift(rota, config.team, fire.at)
        before = shift(rota, config.team, fire.at - _BEFORE)
        new = [p for p in starting.members if p not in before.members]
        handed = [config.person(p) for p in before.members if p not in starting.members]
        previous = ", ".join(p.name for p in handed if p is not None)
        posts = []
        for person_id in new:
            text = phrase(
                "oncall.handoff",
                rota=rota_name(config, rota),
                until=local(config, starting.ends),
                previous=previous,
            )
            fallback = phrase("oncall.handoff_fallback", rota=rota_name(config, rota))
            message = Message((Text(text),), fallback)
            posts.append(Post(Target("person", person_id), message))
        return posts

    return build
