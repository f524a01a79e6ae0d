"""Representative data for every phrase and template: real tickets, KPIs, RACI tags of the
sample team, and a distinct marker in each free-text value, so a test can see that a
translation prints what the English prints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from handlers.chat import texts
from handlers.config.team import TeamConfig
from handlers.kpis.basis import Breach
from handlers.kpis.definitions import DEFINITIONS, Measure
from handlers.kpis.figures import Figure, Kpis, Window
from handlers.oncall.duty import Duty
from handlers.oncall.rotas import shift
from handlers.quality.figures import QualityFigures, Ratio
from handlers.quality.monthly import L1Line, L2Line, MonthlyQuality
from handlers.quality.weekly_report import Draft
from handlers.raci.tagging import tag
from handlers.tickets import history
from handlers.tickets.clocks import ClockState, Span
from storage.knowledge import KnowledgeEntry
from storage.models import OncallOverride, Ticket, TicketEvent
from storage.quality import Suggestion

NOW = dt.datetime(2026, 11, 27, 1, 0, tzinfo=dt.UTC)  # Fri 27 Nov, 09:00 in Shanghai
# Free text a user typed: each must come out of a translation as it comes out of the English.
MARKERS = {
    "summary": "SUMMARYX",
    "given": "GIVENX",
    "text": "TEXTX",
    "reason": "REASONX",
    "topic": "TOPICX",
    "outcome": "OUTCOMEX",
    "decision": "DECISIONX",
    "owner": "OWNERX",
    "next_step": "NEXTX",
    "actor": "ACTORX",
    "caller": "CALLERX",
    "lead": "LEADX",
    "query": "QUERYX",
}


def ticket(config: TeamConfig, number: int = 7, **fields: Any) -> Ticket:
    values: dict[str, Any] = {
        "id": number,
        "scope": "console:local",
        "number": number,
        "summary": MARKERS["summary"],
        "description": "DESCX",
        "environment": "ENVX",
        "tried": "TRIEDX",
        "reporter": "lee",
        "logged_by": "lee",
        "intake": "phone",
        "category": "network",
        "priority": "p2",
        "status": "dispatched",
        "assignee": "raj",
        "root_cause": "ROOTX",
        "resolution": "FIXX",
        "links": ["https://example.org/shot.png"],
        "created_at": NOW - dt.timedelta(hours=5),
        "first_response_at": NOW - dt.timedelta(hours=4, minutes=40),
        "updated_at": NOW,
        "dispatched_at": NOW - dt.timedelta(hours=4),
        "root_cause_at": None,
        "resolved_at": NOW - dt.timedelta(minutes=5),
    }
    values.update(fields)
    return Ticket(**values)


# A measure for each registered KPI (by key), and the same a period before.
MEASURES = {
    "avg_first_response": Measure(17.4, 0, 12),
    "answered_in_time": Measure(10 / 12, 10, 12),
    "first_contact_resolution": Measure(7 / 9, 7, 9, left_out=2),
    "dispatched_share": Measure(3 / 12, 3, 12),
    "root_cause_in_time": Measure(None, 0, 0),
    "breaches": Measure(2.0),
}
BEFORE = {
    "avg_first_response": Measure(15.0, 0, 10),
    "answered_in_time": Measure(0.5, 5, 10),
    "first_contact_resolution": Measure(7 / 9, 7, 9),
    "dispatched_share": Measure(None),
    "breaches": Measure(3.0),
}


def quality(config: TeamConfig) -> QualityFigures:
    checks = list(config.quality.sample.checks)
    qa = {c: Ratio(3, 4) if i % 2 == 0 else Ratio(0, 0) for i, c in enumerate(checks)}
    on_target = {"satisfaction": True, "knowledge_reuse": False}
    on_target.update({f"qa_{c}": False for c in checks[:1]})
    return QualityFigures(Ratio(8, 9), Ratio(2, 9), 4, 5, qa, on_target)


def kpis(config: TeamConfig, t: Ticket, kind: str = "week", compare: bool = True) -> Kpis:
    breach = Breach(
        t,
        "first_response",
        NOW - dt.timedelta(hours=4),
        NOW - dt.timedelta(hours=3),
        dt.timedelta(hours=1),
        True,
    )
    open_breach = Breach(t, "root_cause", NOW - dt.timedelta(hours=1), None)
    figures = []
    for d in DEFINITIONS:
        measure = MEASURES.get(d.key, Measure(0.5, 1, 2))
        target = d.target(config)
        on = None
        if measure.value is not None and target is not None:
            on = measure.value >= target if d.better == "higher" else measure.value <= target
        label = texts.phrase(f"kpi.label.{d.key}", config=config)
        figures.append(Figure(d, measure, target, on, label, BEFORE.get(d.key)))
    window = Window(kind, NOW - dt.timedelta(days=4), NOW, dt.date(2026, 11, 23), NOW.date())
    compared = None
    if compare:
        kind_before = "previous_week" if kind == "week" else "previous_month"
        compared = Window(
            kind_before,
            NOW - dt.timedelta(days=11),
            NOW - dt.timedelta(days=7),
            dt.date(2026, 10, 1),
            dt.date(2026, 10, 31),
        )
    return Kpis(
        window=window,
        opened=12,
        resolved=9,
        reopened=1,
        dispatched=3,
        breaches=(breach, open_breach),
        figures=tuple(figures),
        compared=compared,
        quality=quality(config),
    )


class _Category(str):
    """A category id (`#{{ category }}`) that also names itself (`category.name`): phrases
    read it both ways."""

    def __new__(cls, category: Any) -> _Category:
        self = super().__new__(cls, category.id)
        self.name, self.name_zh = category.name, category.name_zh
        return self


@dataclass(frozen=True)
class _Draft(Draft):
    """A weekly-report draft that also prints as the number of days `duration.days_hours`
    reads (both phrases call it `d`)."""

    def __str__(self) -> str:
        return "3"


def entry(number: int = 3, **fields: Any) -> KnowledgeEntry:
    values: dict[str, Any] = {
        "id": number,
        "scope": "console:local",
        "number": number,
        "title": "TITLEX",
        "problem": "PROBLEMX",
        "steps": "STEPSX",
        "solution": "SOLUTIONX",
        "prevention": "PREVENTIONX",
        "related": "RELATEDX",
        "system": "oa",
        "problem_type": "login",
        "ticket_number": 7,
        "author": "lee",
        "status": "submitted",
        "review_comment": "COMMENTX",
        "submitted_at": NOW - dt.timedelta(hours=3),
    }
    values.update(fields)
    return KnowledgeEntry(**values)


def suggestion(number: int = 2, **fields: Any) -> Suggestion:
    values: dict[str, Any] = {
        "id": number,
        "scope": "console:local",
        "number": number,
        "text": "TEXTX",
        "author": "lee",
        "status": "new",
        "created_at": NOW - dt.timedelta(days=2),
        "updated_at": NOW,
    }
    values.update(fields)
    return Suggestion(**values)


def monthly(config: TeamConfig, t: Ticket) -> MonthlyQuality:
    return MonthlyQuality(
        dt.date(2026, 10, 1),
        dt.date(2026, 10, 31),
        [L1Line(config.person("lee"), Ratio(7, 9)), L1Line(config.person("sam"), Ratio(0, 0))],
        [
            L2Line(config.person("raj"), 3, dt.timedelta(hours=5)),
            L2Line(config.person("kim"), 0, None),
        ],
        quality(config),
    )


def universe(config: TeamConfig) -> dict[str, Any]:
    """One value for every name a phrase reads."""
    t = ticket(config)
    people = [config.person("raj"), config.person("kim")]
    activity = config.activity(config.purposes.dispatch)
    return {
        **MARKERS,
        "t": t,
        "key": t.key,
        "known": ["network", "system"],
        "usage": "USAGEX",
        "length": 412,
        "limit": 300,
        "status": "resolved",
        "allowed": ["new", "in_progress"],
        "verb": "resolve",
        "who": ["WHOX"],
        "person": config.person("raj"),
        "people": people,
        "fields": ["FIELDX"],
        "channel": "service-desk",
        "experts": people,
        "count": 3,
        "more": True,
        "activity": activity,
        "ends": "09:05",
        "url": "https://meet.example.org/room",
        "platform": "Slack",
        "minutes": 2,
        "team": config.team,
        "k": kpis(config, t),
        "due": NOW.astimezone(config.team.zone),  # callers pass local times
        "at": NOW.astimezone(config.team.zone),
        "meeting": config.meetings[0],
        "waited": dt.timedelta(minutes=25),
        "left": dt.timedelta(minutes=5),
        "rules": config.time_rules,
        "since": "SINCEX",
        "assignee": "ASSIGNEEX",
        "m": 25,
        "h": 2,
        "where": "#service-desk",
        "thread": True,
        "title": "TITLEX",
        "category": _Category(config.category("network")),
        "roles": ["l1", "l2"],
        "button": "Take",
        "value": "T-7",
        "zone": config.team.timezone,
        "config": config,
        "field": "FIELDX",
        "code": "U+0007",
        "n": 2,
        "line": 4,
        "got": 3,
        "want": 5,
        "number": 7,
        "other": "T-3",
        "a": "AX",
        "b": "BX",
        "head": ["AX", "BX"],
        "last": "LASTX",
        "what": "WHATX",
        "old": "OLDX",
        "new": "NEWX",
        "previous": "PREVIOUSX",
        "to": "TOX",
        "tiers": "TIERSX",
        "role": "ROLEX",
        "rota": "ROTAX",
        "off": "OFFX",
        "until": NOW.astimezone(config.team.zone) + dt.timedelta(hours=8),
        "holiday": "HOLIDAYX",
        "day": NOW.astimezone(config.team.zone).date(),
        "week": dt.date(2026, 11, 23),
        "w": kpis(config, t).window,
        "target": 30,
        "working_time": True,
        "stops": "STOPSX",
        "element": "ELEMENTX",
        "comment": "COMMENTX",
        "score": 2,
        "changed": False,
        "relay": False,
        "reminder": True,
        "reporter": "REPORTERX",
        "reviewer": "REVIEWERX",
        "reviewers": people,
        "leads": [config.person("mei")],
        "missing": people[:1],
        "filed": people[1:],
        "named": None,
        "hours": 24,
        "window": dt.timedelta(hours=72),
        "total": 14,
        "why": ["WHYX"],
        "check": "CHECKX",
        "checks": list(config.quality.sample.checks),
        "e": entry(),
        "entries": [entry(), entry(4, title="OTHERX")],
        "s": suggestion(),
        "r": monthly(config, t),
        "d": _Draft(config.person("raj"), dt.date(2026, 11, 23), [t], []),
    }


def template_contexts(config: TeamConfig) -> Iterator[tuple[str, dict[str, Any]]]:
    """(template, context) pairs covering each template's branches."""
    t = ticket(config)
    fresh = ticket(
        config,
        8,
        status="new",
        assignee=None,
        first_response_at=None,
        description="",
        environment="",
        tried="",
        links=[],
        root_cause="",
        resolution="",
        dispatched_at=None,
        resolved_at=None,
    )
    category = config.category("network")
    activity = config.activity(config.purposes.dispatch)
    people = [config.person("raj"), config.person("kim")]
    zone = config.team.zone
    at = NOW.astimezone(zone)
    base = {"t": t, "category": category, "actor": MARKERS["actor"], "config": config}
    tags = tag(config, activity, "network") if activity else []
    pool = {**base, "experts": people, "tags": tags, "activity": activity, "named": None}
    yield "dispatch_dm.md", {**pool, "named": None}
    yield "dispatch_dm.md", {**pool, "named": people[0]}
    yield "dispatch_dm.md", {**pool, "t": fresh, "category": None, "named": None}
    yield "dispatch_thread.md", pool
    yield "dispatch_thread.md", {**pool, "named": people[0], "category": None}
    for topic in ("", "ticket"):
        yield "help.md", {"topic": topic}
    card = {
        **base,
        "caller": MARKERS["caller"],
        "people": "PEOPLEX",
        "minutes": 5,
        "ends": "09:05",
        "zone": config.team.timezone,
    }
    yield "huddle_card.md", {**card, "url": "https://meet.example.org/r"}
    yield "huddle_card.md", {**card, "url": None, "category": None}
    yield (
        "huddle_ended.md",
        {
            "outcome": MARKERS["outcome"],
            "actor": MARKERS["actor"],
            "at": "09:06",
            "zone": config.team.timezone,
        },
    )
    yield (
        "huddle_reminder.md",
        {"key": t.key, "topic": MARKERS["topic"], "ago": dt.timedelta(minutes=30)},
    )
    yield "huddle_times_up.md", {"key": t.key, "topic": MARKERS["topic"], "people": people}
    for kind in ("day", "week", "month", "last_month", "yesterday"):
        yield "kpi.md", {"k": kpis(config, t, kind), "config": config, "title": ""}
    yield "kpi.md", {"k": kpis(config, t), "config": config, "title": "TITLEX"}
    for part in ("kpi_table.md", "kpi_window.md", "kpi_breaches.md", "kpi_quality.md"):
        yield part, {"k": kpis(config, t), "config": config}  # also included above
    yield "kpi_table.md", {"k": kpis(config, t, "month"), "config": config}
    yield "kpi_window.md", {"k": kpis(config, t, "since", compare=False), "config": config}
    k = kpis(config, t)
    yield "digest.md", {"k": k, "config": config, "title": "TITLEX", "overdue": k.breaches}
    yield "digest.md", {"k": k, "config": config, "title": "TITLEX", "overdue": ()}
    draft = Draft(people[0], dt.date(2026, 11, 23), [t, fresh], [t])
    empty = Draft(people[0], dt.date(2026, 11, 23), [], [])
    leads = [config.person("mei")]
    for d in (draft, empty):
        yield "l2_report_draft.md", {"d": d, "deadline": "DEADLINEX", "leads": leads}
        yield "l2_report_filed.md", {"d": d, "suggestions": "SUGGESTIONSX"}
    yield "l2_report_filed.md", {"d": draft, "suggestions": ""}
    classes = {"system": "SYSTEMX", "problem_type": "TYPEX"}
    yield "kb_entry.md", {"e": entry(), "classes": classes, "config": config}
    yield (
        "kb_entry.md",
        {
            "e": entry(status="published", steps="", prevention="", related="", ticket_number=None),
            "classes": {"system": "", "problem_type": ""},
            "config": config,
        },
    )
    found = [entry(), entry(4, title="OTHERX")]
    yield (
        "kb_results.md",
        {"query": MARKERS["query"], "entries": found, "classes": {e.key: classes for e in found}},
    )
    yield "kb_results.md", {"query": MARKERS["query"], "entries": [], "classes": {}}
    rows = [suggestion(), suggestion(3, status="accepted")]
    yield "suggestions.md", {"suggestions": rows, "config": config}
    yield "suggestions.md", {"suggestions": [], "config": config}
    yield "quality_report.md", {"r": monthly(config, t), "config": config}
    for s in (
        Span(dt.timedelta(hours=3), dt.timedelta(hours=1), True),
        Span(dt.timedelta(minutes=20), dt.timedelta(minutes=20), False),
    ):
        yield "span.md", {"s": s}
    yield from oncall_contexts(config)
    for meeting in config.meetings:
        yield (
            "meeting.md",
            {
                "at": at,
                "config": config,
                "meeting": meeting,
                "people": people,
                "figures": meeting.figures,
                "k": kpis(config, t, "yesterday"),
                "now": NOW,
                "escalations": [(t, ClockState(dt.timedelta(hours=4), NOW, True))],
                "coordinate": [(fresh, "first_response"), (t, "root_cause")],
                **({"suggestions": [suggestion()]} if meeting.figures == "month" else {}),
            },
        )
    working = Span(dt.timedelta(minutes=45), dt.timedelta(minutes=30), True)
    clock = ClockState(dt.timedelta(minutes=45), NOW, True, working)
    for view in ("unassigned", "mine", "all"):
        yield (
            "queue.md",
            {
                "view": view,
                "rows": [(fresh, clock), (t, clock)],
                "more": True,
                "config": config,
                "category": "network",
            },
        )
    yield (
        "queue.md",
        {"view": "unassigned", "rows": [], "more": False, "config": config, "category": None},
    )
    yield "queue_reminder.md", {"at": at, "people": people}
    incident = config.activity("incident_response")
    yield (
        "raci_answer.md",
        {"activity": incident, "config": config, "tags": tag(config, incident) if incident else []},
    )
    yield "raci_choices.md", {"query": MARKERS["query"], "matches": config.activities()[:3]}
    yield "raci_list.md", {"matrices": config.raci}
    rows = [(r, [p for p in config.people if p.holds(r.id)]) for r in config.roles]
    yield "roster.md", {"rows": rows}
    events = [
        TicketEvent(
            ticket_id=7, at=NOW - dt.timedelta(hours=5), actor="lee", kind="created", detail={}
        ),
        TicketEvent(ticket_id=7, at=NOW, actor="raj", kind="note", detail={"text": "TEXTX"}),
        TicketEvent(ticket_id=7, at=NOW, actor="ghost", kind="odd", detail={"reason": "R"}),
    ]
    spans = {
        "first_response": Span(dt.timedelta(minutes=20), dt.timedelta(minutes=20), False),
        "dispatched": Span(dt.timedelta(hours=1), dt.timedelta(hours=1), False),
        "resolved": Span(dt.timedelta(hours=20), dt.timedelta(hours=4), True),
    }
    for shown in (t, fresh):
        yield (
            "ticket_show.md",
            {
                "t": shown,
                "config": config,
                "history": history.lines(config, events),
                "now": NOW,
                "spans": spans,
                "missing": ["FIELDX"],
            },
        )


def oncall_contexts(config: TeamConfig) -> Iterator[tuple[str, dict[str, Any]]]:
    from handlers.oncall.command import rota_name

    rotas = list(config.oncall.rotas)
    override = OncallOverride(
        rota=rotas[0].id,
        person="kim",
        replaces="raj",
        starts_at=NOW - dt.timedelta(hours=1),
        ends_at=NOW + dt.timedelta(hours=8),
        kind="take",
        created_by="kim",
        created_at=NOW,
    )
    duties = []
    for i, r in enumerate(rotas[:2]):
        now = shift(r, config.team, NOW)
        duties.append(
            Duty(
                r,
                now.members if i == 0 else (),
                now,
                shift(r, config.team, NOW, ahead=1),
                (override,) if i == 0 else (),
            )
        )
    static = [("L1 agent", [config.person("lee"), config.person("sam")])]
    context = {"duties": duties, "static": static, "config": config, "name": rota_name}
    yield "oncall.md", context
