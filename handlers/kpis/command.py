"""`/kpi [day|week|month] [chart]`: the KPI table to whoever asks, and the chart on request."""

from __future__ import annotations

from handlers.chat.model import Message, Place, Post, Reply, Target
from handlers.chat.texts import phrase
from handlers.desk import Desk
from handlers.kpis import charts, figures
from handlers.kpis.windows import Period, period_window
from storage.db import session_scope


def show(desk: Desk, place: Place, period: Period, chart: bool = False) -> Reply:
    """The period so far against target (a week or month compared with the one before);
    with `chart`, the period's chart is posted into the conversation as a picture."""
    window = period_window(desk.config, period, desk.now())
    scope = place.channel.scope
    with session_scope(desk.engine) as session:
        kpis = figures.report(desk, scope, window, session, compare=period != "day")
        if chart:
            title = phrase("chart.title", name=phrase("chart.kpi_name"), w=window)
            image = charts.attach(desk.config, session, scope, window, title, desk.now())
            picture = Message((image,), phrase("chart.fallback", title=title))
            target = Target("conversation", place.channel.key, reply_to=place.thread)
            desk.post(session, place.channel.platform, scope, Post(target, picture))
    return Reply(figures.message(desk.config, kpis), ephemeral=not chart)
