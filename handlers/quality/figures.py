"""The quality KPIs of seed 003, one small function each, against `kpi_targets`:

- satisfaction: of the scores given for resolutions in the window, the share at or above
  `quality.survey.satisfied_from` (4 of 5); target ≥ 90 %;
- knowledge reuse: of the tickets resolved in the window, the share whose resolution named a
  published entry (`/ticket resolve T-5 KB-12 ...`); target ≥ 60 %;
- knowledge entries: entries published in the window; target ≥ 20 a month;
- improvement suggestions: suggestions recorded in the window; target ≥ 5 a month;
- QA pass rate per check: of the checks recorded in the window, the share passed; target
  `qa_pass_rate` for each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from handlers.config.team import TeamConfig
from storage import knowledge as kb_store
from storage import quality as store
from storage.quality import QaResult, SatisfactionScore


@dataclass(frozen=True)
class Ratio:
    hits: int
    total: int

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None

    def at_least(self, target: float) -> bool | None:
        return None if self.value is None else self.value >= target


@dataclass(frozen=True)
class QualityFigures:
    satisfaction: Ratio
    knowledge_reuse: Ratio
    entries_published: int
    suggestions: int
    qa_pass: dict[str, Ratio]  # per check, in the configured order
    on_target: dict[str, bool | None]


def satisfaction(config: TeamConfig, scores: list[SatisfactionScore]) -> Ratio:
    good = config.quality.survey.satisfied_from
    return Ratio(sum(s.score >= good for s in scores), len(scores))


def knowledge_reuse(resolved: set[int], reused: dict[int, int]) -> Ratio:
    """`resolved`: the ids of the tickets resolved; `reused`: per ticket, the entry its
    latest resolution named."""
    return Ratio(sum(ticket in reused for ticket in resolved), len(resolved))


def reuse_of(session: Session, resolved: set[int]) -> Ratio:
    """The knowledge reuse of the tickets of these ids, read from their resolutions."""
    return knowledge_reuse(resolved, store.reused_entries(session, resolved))


def qa_pass(config: TeamConfig, results: list[QaResult]) -> dict[str, Ratio]:
    return {
        check: Ratio(
            sum(r.passed for r in results if r.check == check),
            sum(r.check == check for r in results),
        )
        for check in config.quality.sample.checks
    }


def figures(
    config: TeamConfig,
    session: Session,
    scope: str,
    start: dt.datetime,
    end: dt.datetime,
    reuse: Ratio,
) -> QualityFigures:
    """Every quality figure of a scope for [start, end); `reuse`: the knowledge reuse of
    the tickets resolved in it (`knowledge_reuse`, or summed over the stored facts)."""
    targets = config.kpi_targets
    sat = satisfaction(config, store.scores_between(session, scope, start, end))
    checks = qa_pass(config, store.checks_between(session, scope, start, end))
    return QualityFigures(
        satisfaction=sat,
        knowledge_reuse=reuse,
        entries_published=len(kb_store.published_between(session, scope, start, end)),
        suggestions=len(store.suggestions(session, scope, start, end)),
        qa_pass=checks,
        on_target={
            "satisfaction": sat.at_least(targets.satisfaction),
            "knowledge_reuse": reuse.at_least(targets.knowledge_reuse),
            **{f"qa_{c}": r.at_least(targets.qa_pass_rate) for c, r in checks.items()},
        },
    )
