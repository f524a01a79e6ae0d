"""Meeting agendas with live figures, and the managers' daily digest."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from handlers.chat.model import Post, Target
from handlers.chat.texts import phrase, render
from handlers.config.team import Meeting
from handlers.desk import Desk
from handlers.kpis import figures as kpis
from handlers.tickets import clocks
from schedules.common import holders, local, message
from schedules.fire import Fire
from storage import quality as quality_store
from storage import reports


def meeting(
    desk: Desk, session: Session, scope: str, m: Meeting, at: dt.datetime, late: bool
) -> list[Post]:
    """The agenda, mentioning the participants, with the figures the meeting looks at."""
    config = desk.config
    context: dict[str, object] = {}
    if m.figures == "yesterday":
        context = _standup_figures(desk, session, scope, at)
    elif m.figures == "week":
        window = kpis.period_window(config, "week", at)
        context = {"k": kpis.report(desk, scope, window, session)}
    elif m.figures == "month":
        context = {
            "k": kpis.report(desk, scope, kpis.previous_month(config, at), session),
            # the open improvement suggestions are an item of the month's planning
            "suggestions": quality_store.suggestions(session, scope, end=at, open_only=True),
        }
    body = render(
        "meeting.md",
        meeting=m,
        at=local(config, at),
        now=at,
        people=holders(config, m.participants),
        figures=m.figures,
        config=config,
        **context,
    )
    fallback = phrase("meeting.fallback", meeting=m, at=local(config, at))
    return [Post(Target("channel", m.channel), message(config, body, fallback, at, late))]


def _standup_figures(
    desk: Desk, session: Session, scope: str, at: dt.datetime
) -> dict[str, object]:
    """The previous working day's work, open escalations and what needs coordinating now."""
    config = desk.config
    k = kpis.report(desk, scope, kpis.previous_working_day(config, at), session)
    open_now = [t for t in reports.open_tickets(session, scope) if t.created_at <= at]
    escalations = []
    coordinate = []
    for t in open_now:
        if t.status == "dispatched":
            rca = clocks.root_cause(config, t, at)
            escalations.append((t, rca))
            if rca is not None and rca.breached and t.root_cause_at is None:
                coordinate.append((t, "root_cause"))
        elif t.first_response_at is None and clocks.first_response(config, t, at).breached:
            coordinate.append((t, "first_response"))
    return {"k": k, "escalations": escalations, "coordinate": coordinate}


def digest(desk: Desk, session: Session, scope: str, fire: Fire) -> list[Post]:
    """KPIs of the day so far against target, with the day's breaches listed."""
    at, late = fire.at, fire.late
    config = desk.config
    k = kpis.report(desk, scope, kpis.period_window(config, "day", at), session)
    body = render("kpi.md", k=k, config=config, title=phrase("digest.title"))
    fallback = phrase("digest.fallback", k=k)
    return [Post(Target("channel", "managers"), message(config, body, fallback, at, late))]
