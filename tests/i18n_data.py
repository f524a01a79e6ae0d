"""Representative data for every phrase and template: real tickets, KPIs, RACI tags of the
sample team, and a distinct marker in each free-text value, so a test can see that a
translation prints what the English prints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from handlers.config.team import TeamConfig
from handlers.kpis.figures import Breach, Kpis, Share, Window
from handlers.raci.tagging import tag
from handlers.tickets.clocks import ClockState
from storage.models import Ticket, TicketEvent

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


def kpis(config: TeamConfig, t: Ticket, kind: str = "week") -> Kpis:
    breach = Breach(t, "first_response", NOW - dt.timedelta(hours=4), NOW - dt.timedelta(hours=3))
    open_breach = Breach(t, "root_cause", NOW - dt.timedelta(hours=1), None)
    return Kpis(
        window=Window(kind, NOW - dt.timedelta(days=4), NOW, dt.date(2026, 11, 23), NOW.date()),
        opened=12,
        resolved=9,
        dispatched=3,
        avg_first_response=dt.timedelta(minutes=17),
        answered_in_time=Share(10, 12),
        first_contact_resolution=Share(7, 9),
        dispatched_share=Share(3, 12),
        root_cause_in_time=Share(0, 0),
        breaches=(breach, open_breach),
        satisfaction=Share(8, 9),
        on_target={"avg_first_response": False, "answered_in_time": True},
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
        "d": 3,
        "where": "#service-desk",
        "thread": True,
        "title": "TITLEX",
        "category": "network",
        "roles": ["l1", "l2"],
        "button": "Take",
        "value": "T-7",
        "zone": config.team.timezone,
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
    yield "dispatch_dm.md", base
    yield "dispatch_dm.md", {**base, "t": fresh, "category": None}
    tags = tag(config, activity, "network") if activity else []
    yield "dispatch_thread.md", {**base, "experts": people, "tags": tags, "activity": activity}
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
    for part in ("kpi_table.md", "kpi_window.md", "kpi_breaches.md"):  # also included above
        yield part, {"k": kpis(config, t), "config": config}
    yield (
        "l2_report.md",
        {"at": at, "experts": people, "leads": [config.person("mei")], "tickets": [t, fresh]},
    )
    yield "l2_report.md", {"at": at, "experts": people, "leads": [], "tickets": []}
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
            },
        )
    clock = ClockState(dt.timedelta(minutes=45), NOW, True)
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
    for shown in (t, fresh):
        yield (
            "ticket_show.md",
            {"t": shown, "config": config, "events": events, "now": NOW, "missing": ["FIELDX"]},
        )
