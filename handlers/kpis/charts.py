"""The KPI chart of a week or month: per-day series computed by the same definitions as
the table, stored as a PNG and carried by the post as an `Image` block.

The series come from the table's own basis cut into days, so the chart's numbers are the
table's: the days' logged, resolved and breaches add up to the table's figures. The PNG
carries the series as JSON in its "Description" text chunk, so anyone (and the tests) can
read back what was drawn.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlmodel import Session

from handlers.chat.model import Image
from handlers.chat.texts import phrase
from handlers.config.team import TeamConfig
from handlers.config.workdays import local_day_bounds
from handlers.kpis import plot, stored
from handlers.kpis.basis import Basis
from handlers.kpis.definitions import avg_first_response, avg_first_response_stored, breaches
from handlers.kpis.figures import basis as read_basis
from handlers.kpis.figures import opened, resolved, summable
from handlers.kpis.windows import Window
from handlers.quality import figures as quality
from storage import charts
from storage import quality as quality_store
from storage.quality import SatisfactionScore

KEEP = dt.timedelta(days=30)  # how long a chart stays fetchable (Teams shows it by URL)


@dataclass(frozen=True)
class Series:
    """What the chart draws, one value per day."""

    title: str
    days: list[str]  # ISO dates, local
    logged: list[int]
    resolved: list[int]
    breaches: list[int]
    first_response: list[float | None]  # average, minutes (unrounded)
    first_response_target: float | None
    satisfaction: list[float | None]  # shares; all None until tickets carry a score

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


def _days(config: TeamConfig, window: Window) -> list[Window]:
    out = []
    day = window.first_day
    while day <= window.last_day:
        start, end = local_day_bounds(config.team, day)
        start, end = max(start, window.start), min(end, window.end)
        if start < end:
            out.append(Window("day", start, end, day, day))
        day += dt.timedelta(days=1)
    return out


def series(
    config: TeamConfig, basis: Basis, title: str, scores: Sequence[SatisfactionScore] = ()
) -> Series:
    """Per-day KPIs of the basis: the same tickets and definitions as its table; the
    satisfaction of `scores` (the window's) by the day of the resolution they rate."""
    # only what the chart draws, by the functions `compute` uses for the table's lines
    days = [basis.narrowed(w) for w in _days(config, basis.window)]
    return _series(
        config,
        title,
        scores,
        [d.window for d in days],
        logged=[opened(d) for d in days],
        resolved=[resolved(d) for d in days],
        breaches=[len(breaches(d)) for d in days],
        first_response=[avg_first_response(d).value for d in days],
    )


def stored_series(
    config: TeamConfig,
    session: Session,
    scope: str,
    window: Window,
    title: str,
    scores: Sequence[SatisfactionScore] = (),
) -> Series:
    """`series` summed over the stored facts (`compute_stored`'s forms), every day in one
    statement per sum."""
    days = _days(config, window)
    drawn = stored.day_sums(config, session, scope, days)
    return _series(
        config,
        title,
        scores,
        days,
        logged=[d.logged.logged for d in drawn],
        resolved=[d.events.resolved for d in drawn],
        breaches=[d.breaches for d in drawn],
        first_response=[avg_first_response_stored(d).value for d in drawn],
    )


def _series(
    config: TeamConfig,
    title: str,
    scores: Sequence[SatisfactionScore],
    days: list[Window],
    **drawn: list[int] | list[float | None],
) -> Series:
    """The series of `days`; the satisfaction of `scores` by the day of the resolution
    they rate."""
    return Series(
        title=title,
        days=[d.first_day.isoformat() for d in days],
        first_response_target=float(config.time_rules.average_response_target),
        satisfaction=[
            quality.satisfaction(
                config, [s for s in scores if d.start <= s.resolved_at < d.end]
            ).value
            for d in days
        ],
        **drawn,  # type: ignore[arg-type]
    )


def labels() -> dict[str, str]:
    """The chart's words, from the phrases (so a team's language translates them)."""
    keys = ("logged", "resolved", "breaches", "first_response", "target", "satisfaction", "day")
    return {key: phrase(f"chart.{key}") for key in keys}


def attach(
    config: TeamConfig,
    session: Session,
    scope: str,
    window: Window,
    title: str,
    now: dt.datetime,
) -> Image:
    """Render the window's chart, store it, and return the block that carries it."""
    scores = quality_store.scores_between(session, scope, window.start, window.end)
    if summable(config, session, scope, now):
        drawn = stored_series(config, session, scope, window, title, scores)
    else:
        drawn = series(config, read_basis(config, session, scope, window), title, scores)
    # drawn when first delivered (`draw`): the build stays a read of the figures
    drawing = {"series": asdict(drawn), "words": labels()}
    token = charts.save(session, scope, title, None, now, KEEP, drawing)
    return Image(token, phrase("chart.alt", title=title))


def draw(drawing: dict[str, Any]) -> bytes:
    """The PNG of a stored drawing (`attach`)."""
    return plot.render(Series(**drawing["series"]), drawing["words"])
