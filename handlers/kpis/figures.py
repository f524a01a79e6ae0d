"""KPIs against the team's targets for a window of time, from the tickets and their events.

The definitions are `handlers.kpis.definitions` (one function each; `docs/kpis.md` in
prose). This module reads what they need, applies them, decides "on target" on the
unrounded values, rounds half-up for display, and compares with the period before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlmodel import Session

from handlers.chat.model import Message, Text
from handlers.chat.texts import phrase, render
from handlers.config.team import TeamConfig
from handlers.desk import Desk
from handlers.kpis import facts, stored
from handlers.kpis.backlog import LISTED
from handlers.kpis.basis import EVENT_KINDS, Basis, Breach, half_up, reach
from handlers.kpis.definitions import DEFINITIONS, Definition, Measure, breaches
from handlers.kpis.overdue import overdue
from handlers.kpis.windows import (
    Period,
    Window,
    period_window,
    previous,
    previous_month,
    previous_working_day,
)
from handlers.quality import figures as quality
from handlers.quality.figures import QualityFigures, Ratio
from storage import kpis

__all__ = [
    "Breach",
    "Figure",
    "Kpis",
    "Period",
    "Window",
    "compute",
    "message",
    "overdue",
    "period_window",
    "previous_month",
    "previous_working_day",
    "report",
    "table",
]


@dataclass(frozen=True)
class Figure:
    """One KPI of a window: its unrounded measure, target and verdict, and how it reads."""

    definition: Definition
    measure: Measure
    target: float | None
    on_target: bool | None  # decided on the unrounded value
    label: str
    before: Measure | None = None  # the same figure in the period compared with

    @property
    def key(self) -> str:
        return self.definition.key

    @property
    def unit(self) -> str:
        return self.definition.unit

    @property
    def better(self) -> str:
        return self.definition.better

    @property
    def value(self) -> float | None:
        return self.measure.value

    @property
    def shown(self) -> Decimal | None:
        return None if self.value is None else _scaled(self.unit, self.value)

    @property
    def target_shown(self) -> str:
        return "" if self.target is None else _plain(_scaled(self.unit, self.target))

    @property
    def change(self) -> Decimal | None:
        """Now minus before, rounded half-up like the values (percentage points for shares)."""
        if self.value is None or self.before is None or self.before.value is None:
            return None
        return _scaled(self.unit, self.value - self.before.value)


def _scaled(unit: str, value: float) -> Decimal:
    if unit == "count":
        return half_up(value, 0)
    return half_up(100 * value if unit == "share" else value, 1)


def _plain(value: Decimal) -> str:
    """80.0 -> "80", 15.5 -> "15.5": how a target reads."""
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class Kpis:
    window: Window
    opened: int
    resolved: int  # resolutions in the window (a reopened ticket's stays counted)
    reopened: int
    dispatched: int
    breaches: Sequence[Breach]  # every one, or the count and the first `LISTED`
    figures: tuple[Figure, ...]
    compared: Window | None = None
    quality: QualityFigures | None = None  # satisfaction, knowledge, suggestions, QA

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)

    @property
    def on_target(self) -> dict[str, bool | None]:
        quality = self.quality.on_target if self.quality is not None else {}
        return {**{f.key: f.on_target for f in self.figures}, **quality}


def _verdict(d: Definition, value: float | None, target: float | None) -> bool | None:
    if value is None or target is None:
        return None
    return value >= target if d.better == "higher" else value <= target


def _figures(
    config: TeamConfig,
    now: Callable[[Definition], Measure],
    before: Callable[[Definition], Measure] | None,
) -> tuple[Figure, ...]:
    figures = []
    for d in DEFINITIONS:
        measure, target = now(d), d.target(config)
        figures.append(
            Figure(
                d,
                measure,
                target,
                _verdict(d, measure.value, target),
                phrase(f"kpi.label.{d.key}", config=config),
                before(d) if before is not None else None,
            )
        )
    return tuple(figures)


def compute(config: TeamConfig, basis: Basis, before: Basis | None = None) -> Kpis:
    """Every registered KPI of the basis, compared with `before` when given."""
    figures = _figures(
        config,
        lambda d: d.measure(basis),
        (lambda d: d.measure(before)) if before is not None else None,
    )
    return Kpis(
        window=basis.window,
        opened=opened(basis),
        resolved=resolved(basis),
        reopened=len(basis.in_window("reopen")),
        dispatched=len({t.id for t, _ in basis.in_window("dispatch")}),
        breaches=tuple(breaches(basis)),
        figures=figures,
        compared=before.window if before is not None else None,
    )


def _stored(d: Definition) -> Callable[[stored.Sums], Measure]:
    assert d.stored is not None  # `summable` said so
    return d.stored


def compute_stored(
    config: TeamConfig,
    session: Session,
    scope: str,
    now: stored.Sums,
    before: stored.Sums | None = None,
    listed: int = LISTED,
) -> Kpis:
    """`compute`'s figures from the stored facts' sums; the breaches counted, the first
    `listed` of them read."""
    figures = _figures(
        config,
        lambda d: _stored(d)(now),
        (lambda d: _stored(d)(before)) if before is not None else None,
    )
    return Kpis(
        window=now.window,
        opened=now.logged.logged,
        resolved=now.events.resolved,
        reopened=now.events.reopened,
        dispatched=now.events.dispatched_tickets,
        breaches=stored.breaches(config, session, scope, now.window, now.breaches, listed),
        figures=figures,
        compared=before.window if before is not None else None,
    )


def summable(config: TeamConfig, session: Session, scope: str, at: dt.datetime) -> bool:
    """Whether the scope's figures can be summed over the stored facts: every figure has a
    stored form, and the facts are up to date (`facts.ready`)."""
    if not all(d.stored is not None for d in DEFINITIONS):
        return False
    return facts.ready(config, session, scope, at)


def opened(basis: Basis) -> int:
    """Tickets logged in the window."""
    return len(basis.logged)


def resolved(basis: Basis) -> int:
    """Resolutions in the window (a ticket resolved twice counts twice), the tickets closed
    as `kpi_rules.excluded_close_reasons` left out."""
    return sum(basis.counted(t) for t, _ in basis.in_window("resolve"))


def basis(config: TeamConfig, session: Session, scope: str, window: Window) -> Basis:
    """What the definitions read for a window: its tickets and their counted events."""
    # read once per transaction: an agenda's table and its chart look at the same window
    session.connection()  # begins the transaction the cache belongs to
    transaction = session.get_transaction()
    cache = session.info.get("kpi_basis")
    if cache is None or cache[0] is not transaction:
        cache = session.info["kpi_basis"] = (transaction, {})
    key = (scope, window.start, window.end)
    if key not in cache[1]:
        # a logging matters from its first-response reach, a dispatch from its root-cause one
        lo = reach(config, window.start, ("first_response",)), reach(config, window.start)
        cache[1][key] = kpis.window_basis(session, scope, window.start, window.end, lo, EVENT_KINDS)
    tickets, events = cache[1][key]
    return Basis(config, window, tickets, events)


def report(
    desk: Desk,
    scope: str,
    window: Window,
    session: Session | None = None,
    compare: bool = False,
) -> Kpis:
    """The KPIs of a scope's tickets in the window (read in `session` when given), with the
    period before when `compare` (weeks and months)."""
    if session is None:
        with desk.reading() as own:
            return report(desk, scope, window, own, compare)
    config = desk.config
    earlier = previous(config, window) if compare else None
    if summable(config, session, scope, desk.now()):
        sums = stored.sums(config, session, scope, window)
        sums_before = stored.sums(config, session, scope, earlier) if earlier else None
        k = compute_stored(config, session, scope, sums, sums_before)
        reuse = Ratio(sums.events.with_knowledge, sums.events.resolved_tickets)
    else:
        before = basis(config, session, scope, earlier) if earlier else None
        now = basis(config, session, scope, window)
        k = compute(config, now, before)
        resolved = {t.id or 0 for t, _ in now.in_window("resolve") if now.counted(t)}
        reuse = quality.reuse_of(session, resolved)
    q = quality.figures(config, session, scope, window.start, window.end, reuse)
    return replace(k, quality=q)


# -- messages ------------------------------------------------------------------------------


def table(config: TeamConfig, kpis: Kpis) -> str:
    """The KPI lines against target (Markdown), for /kpi, the digest and the agendas."""
    return render("kpi_table.md", k=kpis, config=config)


def message(config: TeamConfig, kpis: Kpis) -> Message:
    body = render("kpi.md", k=kpis, config=config, title=None)
    return Message((Text(body),), phrase("kpi.fallback", k=kpis))
