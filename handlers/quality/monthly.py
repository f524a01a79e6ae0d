"""The monthly quality report (seed 003 §2.1.5, 协作质量白皮书): per role, each L1 engineer's
first-contact resolution and each L2 expert's resolution time, with the month's satisfaction,
knowledge and QA figures.

- L1 first-contact resolution: of the tickets an L1 engineer resolved in the month (the
  assignee at resolution), the share never dispatched;
- L2 resolution time: over the tickets dispatched to an expert (their specialty, or assigned
  to them) and resolved in the month, the average from dispatch to resolution (clock time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from handlers.config.team import Person, TeamConfig
from handlers.quality.figures import QualityFigures, Ratio
from storage.models import Ticket


@dataclass(frozen=True)
class L1Line:
    person: Person
    fcr: Ratio


@dataclass(frozen=True)
class L2Line:
    person: Person
    resolved: int
    average: dt.timedelta | None


@dataclass(frozen=True)
class MonthlyQuality:
    first_day: dt.date
    last_day: dt.date
    l1: list[L1Line]
    l2: list[L2Line]
    figures: QualityFigures


def l1_lines(config: TeamConfig, resolved: list[Ticket]) -> list[L1Line]:
    """An L1's tickets: the ones they resolved, and the ones they dispatched (a dispatch
    hands the ticket over and leaves its L1 watching it)."""
    role = config.quality.monthly_report.l1
    return [
        L1Line(p, Ratio(sum(t.dispatched_at is None for t in mine), len(mine)))
        for p in config.people
        if p.holds(role)
        for mine in [[t for t in resolved if _l1_of(t, p.id)]]
    ]


def _l1_of(t: Ticket, person_id: str) -> bool:
    if t.dispatched_at is None:
        return t.assignee == person_id
    return person_id in (t.watchers or [])


def l2_lines(config: TeamConfig, resolved: list[Ticket]) -> list[L2Line]:
    role = config.quality.monthly_report.l2
    out = []
    for p in (p for p in config.people if p.holds(role)):
        times = [
            t.resolved_at - t.dispatched_at
            for t in resolved
            if t.dispatched_at is not None
            and t.resolved_at is not None
            and t.assignee == p.id  # the L2 owner the dispatch handed it to
        ]
        average = sum(times, dt.timedelta(0)) / len(times) if times else None
        out.append(L2Line(p, len(times), average))
    return out
