"""Meeting agendas with live figures, and the managers' daily digest."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from handlers.chat.model import Message, Post, Target
from handlers.chat.texts import label, phrase, render
from handlers.config.jobs import Meeting
from handlers.desk import Desk
from handlers.kpis import backlog, charts
from handlers.kpis import figures as kpis
from handlers.kpis.windows import since
from schedules.common import holders, local, message
from schedules.fire import FIRST_POST, Fire
from storage import fires
from storage import quality as quality_store


def meeting(
    desk: Desk, session: Session, scope: str, m: Meeting, at: dt.datetime, late: bool
) -> list[Post]:
    """The agenda, mentioning the participants, with the figures the meeting looks at."""
    config = desk.config
    context: dict[str, object] = {}
    window = None
    if m.figures == "yesterday":
        context = _standup_figures(desk, session, scope, at)
    elif m.figures == "week":
        window = kpis.period_window(config, "week", at)
    elif m.figures == "month":
        window = kpis.previous_month(config, at)
    if window is not None:
        context = {"k": kpis.report(desk, scope, window, session, compare=True)}
        if m.figures == "month":
            # the open improvement suggestions are an item of the month's planning
            context["suggestions"] = quality_store.suggestions(
                session, scope, end=at, open_only=True
            )
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
    posts = [Post(Target("channel", m.channel), message(config, body, fallback, at, late))]
    if window is not None:
        name = label(m)  # the meeting as its agenda names it
        posts.append(chart_post(desk, session, scope, m.channel, window, name, at))
    return posts


def chart_post(
    desk: Desk,
    session: Session,
    scope: str,
    channel: str,
    window: kpis.Window,
    name: str,
    at: dt.datetime,
) -> Post:
    """The window's chart, in the thread of the fire's first post."""
    title = phrase("chart.title", name=name, w=window)
    image = charts.attach(desk.config, session, scope, window, title, at)
    chart = Message((image,), phrase("chart.fallback", title=title))
    return Post(Target("channel", channel, thread=FIRST_POST), chart)


def _standup_figures(
    desk: Desk, session: Session, scope: str, at: dt.datetime
) -> dict[str, object]:
    """The previous working day's work, open escalations and what needs coordinating now."""
    config = desk.config
    k = kpis.report(desk, scope, kpis.previous_working_day(config, at), session)
    # the open escalations and the tickets past a deadline: counted, the first ones listed
    escalations = backlog.escalations_now(config, session, scope, at)
    coordinate = backlog.as_reasons(backlog.overdue_now(config, session, scope, at))
    return {"k": k, "escalations": escalations, "coordinate": coordinate}


def digest(desk: Desk, session: Session, scope: str, fire: Fire) -> list[Post]:
    """KPIs against target since the previous digest (from midnight for the first), with the
    breaches in that time and every open ticket past a deadline, whatever its age."""
    at, late = fire.at, fire.late
    config = desk.config
    start = fires.previous_posted(session, scope, "manager_digest", at)
    window = kpis.period_window(config, "day", at) if start is None else since(config, start, at)
    k = kpis.report(desk, scope, window, session)
    overdue = backlog.overdue_now(config, session, scope, at)
    body = render("digest.md", k=k, config=config, title=phrase("digest.title"), overdue=overdue)
    fallback = phrase("digest.fallback", k=k)
    return [Post(Target("channel", "managers"), message(config, body, fallback, at, late))]
