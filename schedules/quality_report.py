"""The monthly quality report, posted on the first working day to the managers' channel."""

from __future__ import annotations

from sqlmodel import Session

from handlers.chat.model import Post, Target
from handlers.chat.texts import phrase, render
from handlers.desk import Desk
from handlers.kpis.figures import previous_month
from handlers.quality import figures, monthly
from schedules.common import message
from schedules.fire import Fire
from storage import reports


def quality_report(desk: Desk, session: Session, scope: str, fire: Fire) -> list[Post]:
    config = desk.config
    window = previous_month(config, fire.at)
    resolved = reports.resolved_between(session, scope, window.start, window.end)
    report = monthly.MonthlyQuality(
        window.first_day,
        window.last_day,
        monthly.l1_lines(config, resolved),
        monthly.l2_lines(config, resolved),
        figures.figures(
            config,
            session,
            scope,
            window.start,
            window.end,
            figures.reuse_of(session, {t.id or 0 for t in resolved}),
        ),
    )
    body = render("quality_report.md", r=report, config=config)
    fallback = phrase("quality_report.fallback", r=report)
    return [
        Post(Target("channel", "managers"), message(config, body, fallback, fire.at, fire.late))
    ]
