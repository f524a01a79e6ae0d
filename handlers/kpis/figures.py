"""KPIs against the team's targets for a stretch of time, from the tickets themselves.

Every figure reads ticket fields (not what the bot happened to post), with the clock rules of
`handlers.tickets.clocks`, so `/kpi`, the digest and the agendas agree with the queue:

- opened / resolved / dispatched: tickets logged / resolved / dispatched in the window;
- average first response: clock time from logging to the first response, over the tickets
  logged in the window that have one (working time for working-hours priorities);
- answered within the first-response time: of the tickets logged in the window whose
  first-response clock has stopped or run out, the share answered in time;
- first-contact resolution: of the tickets resolved in the window, the share never dispatched;
- dispatched to L2: of the tickets logged in the window, the share dispatched (a maximum);
- L2 root cause in time: of the tickets dispatched in the window whose root-cause clock has
  stopped (root cause recorded, or resolved) or run out, the share stopped in time;
- breaches: first-response and root-cause deadlines that fell in the window and were missed;
- satisfaction: shown when tickets carry a score; none do yet, so it reads "not recorded".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Literal

from sqlmodel import Session

from handlers.chat.model import Message, Place, Reply, Text
from handlers.chat.texts import phrase, render
from handlers.config.team import TeamConfig
from handlers.config.workdays import calendar, local_day_bounds
from handlers.desk import Desk
from handlers.quality import figures as quality
from handlers.quality.figures import QualityFigures
from handlers.quality.figures import Ratio as Share
from handlers.tickets import clocks
from handlers.tickets.lifecycle import NOT_COUNTED
from storage import reports
from storage.models import Ticket

Period = Literal["day", "week", "month"]


@dataclass(frozen=True)
class Window:
    """[start, end) in UTC; `kind` names it in messages (day, week, month, yesterday, ...)."""

    kind: str
    start: dt.datetime
    end: dt.datetime
    first_day: dt.date  # local dates, for headings
    last_day: dt.date


@dataclass(frozen=True)
class Breach:
    ticket: Ticket
    kind: Literal["first_response", "root_cause"]
    due: dt.datetime
    stopped: dt.datetime | None  # when the clock stopped (late), None: still running


@dataclass(frozen=True)
class Kpis:
    window: Window
    opened: int
    resolved: int
    dispatched: int
    avg_first_response: dt.timedelta | None
    answered_in_time: Share
    first_contact_resolution: Share
    dispatched_share: Share
    root_cause_in_time: Share
    breaches: tuple[Breach, ...]
    satisfaction: Share | None = None
    on_target: dict[str, bool | None] = field(default_factory=dict)
    quality: QualityFigures | None = None  # satisfaction, knowledge, suggestions, QA


# -- windows -------------------------------------------------------------------------------


def period_window(config: TeamConfig, period: Period, now: dt.datetime) -> Window:
    """Today, this week (from Monday) or this month, from local midnight to now."""
    today = now.astimezone(config.team.zone).date()
    first = {
        "day": today,
        "week": today - dt.timedelta(days=today.weekday()),
        "month": today.replace(day=1),
    }[period]
    start, _ = local_day_bounds(config.team, first)
    return Window(period, start, now, first, today)


def previous_working_day(config: TeamConfig, now: dt.datetime) -> Window:
    """From the start of the previous working day to the start of today: on a Monday that
    is Friday and the weekend, so nothing logged in between is left out."""
    today = now.astimezone(config.team.zone).date()
    first = calendar(config.team).previous_working_day(today) or today - dt.timedelta(days=1)
    start, _ = local_day_bounds(config.team, first)
    end, _ = local_day_bounds(config.team, today)
    return Window("yesterday", start, end, first, today - dt.timedelta(days=1))


def previous_month(config: TeamConfig, now: dt.datetime) -> Window:
    """The calendar month before the one `now` is in (what monthly planning looks back on)."""
    this_month = now.astimezone(config.team.zone).date().replace(day=1)
    last_day = this_month - dt.timedelta(days=1)
    first = last_day.replace(day=1)
    start, _ = local_day_bounds(config.team, first)
    end, _ = local_day_bounds(config.team, this_month)
    return Window("last_month", start, end, first, last_day)


# -- figures -------------------------------------------------------------------------------


def report(desk: Desk, scope: str, window: Window, session: Session | None = None) -> Kpis:
    """The KPIs of a scope's tickets in the window (read in `session` when given)."""
    if session is None:
        with desk.reading() as own:
            return report(desk, scope, window, own)
    tickets = reports.window_tickets(session, scope, window.start, window.end)
    k = compute(desk.config, tickets, window)
    resolved = [t for t in tickets if t.resolved_at and window.start <= t.resolved_at < window.end]
    q = quality.figures(desk.config, session, scope, window.start, window.end, resolved)
    return replace(k, quality=q, on_target={**k.on_target, **q.on_target})


def compute(config: TeamConfig, tickets: list[Ticket], window: Window) -> Kpis:
    start, cut = window.start, window.end
    rules, targets = config.time_rules, config.kpi_targets

    def within(when: dt.datetime | None) -> bool:
        return when is not None and start <= when < cut

    def known(when: dt.datetime | None) -> dt.datetime | None:
        """A time as the window's end saw it: later events had not happened yet."""
        return when if when is not None and when < cut else None

    logged = [t for t in tickets if within(t.created_at)]
    # a duplicate or a cancelled ticket resolved nothing of its own
    resolved = [t for t in tickets if within(t.resolved_at) and t.close_reason not in NOT_COUNTED]
    dispatched = [t for t in tickets if within(t.dispatched_at)]

    waits = [
        clocks.elapsed(config, t.priority, t.created_at, answered)
        for t in logged
        if (answered := known(t.first_response_at)) is not None
    ]
    avg = sum(waits, dt.timedelta(0)) / len(waits) if waits else None

    answered_hits = answered_total = 0
    breaches: list[Breach] = []
    for t in tickets:
        answered = known(t.first_response_at)
        due = clocks.deadline(config, t.priority, t.created_at, rules.first_response)
        if within(t.created_at) and (answered is not None or due < cut):
            answered_total += 1
            answered_hits += answered is not None and answered <= due
        if within(due) and (answered is None or answered > due):
            breaches.append(Breach(t, "first_response", due, answered))

    rca_hits = rca_total = 0
    for t in tickets:
        if known(t.dispatched_at) is None:
            continue
        assert t.dispatched_at is not None
        due = clocks.deadline(config, t.priority, t.dispatched_at, rules.root_cause)
        stops = [s for s in (known(t.root_cause_at), known(t.resolved_at)) if s is not None]
        stopped = min((s for s in stops if s >= t.dispatched_at), default=None)
        if within(t.dispatched_at) and (stopped is not None or due < cut):
            rca_total += 1
            rca_hits += stopped is not None and stopped <= due
        if within(due) and (stopped is None or stopped > due):
            breaches.append(Breach(t, "root_cause", due, stopped))

    answered_share = Share(answered_hits, answered_total)
    fcr = Share(sum(known(t.dispatched_at) is None for t in resolved), len(resolved))
    share_dispatched = Share(sum(known(t.dispatched_at) is not None for t in logged), len(logged))
    rca = Share(rca_hits, rca_total)

    def at_least(share: Share, target: float) -> bool | None:
        return None if share.value is None else share.value >= target

    on_target: dict[str, bool | None] = {
        "avg_first_response": None
        if avg is None
        else avg <= dt.timedelta(minutes=rules.average_response_target),
        "answered_in_time": at_least(answered_share, targets.answered_within_first_response),
        "first_contact_resolution": at_least(fcr, targets.first_contact_resolution),
        "dispatched_share": None
        if share_dispatched.value is None
        else share_dispatched.value <= targets.dispatched_share_max,
        "root_cause_in_time": at_least(rca, targets.l2_root_cause_in_time),
        "breaches": not breaches,
        "satisfaction": None,
    }
    return Kpis(
        window=window,
        opened=len(logged),
        resolved=len(resolved),
        dispatched=len(dispatched),
        avg_first_response=avg,
        answered_in_time=answered_share,
        first_contact_resolution=fcr,
        dispatched_share=share_dispatched,
        root_cause_in_time=rca,
        breaches=tuple(sorted(breaches, key=lambda b: (b.due, b.ticket.number))),
        on_target=on_target,
    )


# -- messages ------------------------------------------------------------------------------


def table(config: TeamConfig, kpis: Kpis) -> str:
    """The KPI lines against target (Markdown), for /kpi, the digest and the agendas."""
    return render("kpi_table.md", k=kpis, config=config)


def message(config: TeamConfig, kpis: Kpis) -> Message:
    body = render("kpi.md", k=kpis, config=config, title=None)
    return Message((Text(body),), phrase("kpi.fallback", k=kpis))


def show(desk: Desk, place: Place, period: Period) -> Reply:
    """`/kpi [day|week|month]`: the KPI table for that period so far, to whoever asks."""
    window = period_window(desk.config, period, desk.now())
    return Reply(message(desk.config, report(desk, place.channel.scope, window)))
