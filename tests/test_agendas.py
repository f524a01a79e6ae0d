"""Agendas, the digest and `/kpi` carry the live figures of a prepared week of tickets.

The week of Monday 23 November 2026 (Asia/Shanghai), every ticket P2 (clocks on wall time):

    T-1 Mon 09:00 logged, taken 09:10 (10 min), resolved 10:00
    T-2 Mon 10:00 logged, taken 10:20 (20 min), dispatched 10:30, root cause 12:30, resolved 15:00
    T-3 Tue 09:00 logged, taken 09:45 (45 min: first-response breach), resolved 11:00
    T-4 Wed 14:00 logged, noted 14:05 (5 min), dispatched 14:10, root cause 19:10 (late: breach)
    T-5 Thu 16:00 logged, never answered (first-response breach at 16:30)

By Friday 15:00: 5 logged, 3 resolved, 2 dispatched; average first response
(10+20+45+5+1380)/5 = 292 min (T-5 unanswered, past its deadline, at its age so far);
answered within 30 min 3 of 5; first-contact resolution 2 of 3; dispatched 2 of 5; root
cause in time 1 of 2; 3 breaches.
"""

from __future__ import annotations

import pytest

from handlers import router
from handlers.desk import Desk, ManualClock
from tests.conftest import PLACE, actor_of
from tests.support import posts
from tests.walk import ScriptWalk, lines, local

WEEK = [
    ("2026-11-23T09:00", "lee", "/ticket new VPN drops #network p2"),
    ("2026-11-23T09:10", "sam", "/ticket take T-1"),
    ("2026-11-23T10:00", "sam", "/ticket resolve T-1 reset the profile"),
    ("2026-11-23T10:00", "lee", "/ticket new Core switch #network p2"),
    ("2026-11-23T10:20", "sam", "/ticket take T-2"),
    ("2026-11-23T10:30", "sam", "/ticket dispatch T-2 @raj rebooted"),
    ("2026-11-23T12:30", "raj", "/ticket rca T-2 bad optic"),
    ("2026-11-23T15:00", "raj", "/ticket resolve T-2 optic replaced"),
    ("2026-11-24T09:00", "lee", "/ticket new Server slow #system p2"),
    ("2026-11-24T09:45", "sam", "/ticket take T-3"),
    ("2026-11-24T11:00", "sam", "/ticket resolve T-3 freed memory"),
    ("2026-11-25T14:00", "lee", "/ticket new ERP login fails #application p2"),
    ("2026-11-25T14:05", "sam", "/ticket note T-4 asked for a screenshot"),
    ("2026-11-25T14:10", "sam", "/ticket dispatch T-4 cleared the cache"),
    ("2026-11-25T19:10", "omar", "/ticket rca T-4 expired SSO certificate"),
    ("2026-11-26T16:00", "lee", "/ticket new Wi-Fi floor 3 #network p2"),
]

WEEK_TABLE = [
    "- Tickets: 5 logged, 3 resolved, 2 dispatched to L2",
    "- Average first response (clock time for P1/P2, working time for the others): 292.0 min"
    " (target ≤ 15 min) · off target",
    "- Answered within 30 min: 60.0 % (3/5) (target ≥ 100 %) · off target",
    "- First-contact resolution: 66.7 % (2/3) (target ≥ 80 %) · off target",
    "- Dispatched to L2: 40.0 % (2/5) (target ≤ 30 %) · off target",
    "- L2 root cause within 4 h: 50.0 % (1/2) (target ≥ 100 %) · off target",
    "- Breaches: 3 (target 0) · off target · ▲ 3 vs last week",
    "- User satisfaction: not recorded (target ≥ 90 %)",
]


class Week(ScriptWalk):
    def __init__(self, desk: Desk, clock: ManualClock) -> None:
        super().__init__(desk, clock, WEEK)


@pytest.fixture
def week(desk: Desk, clock: ManualClock) -> Week:
    clock.set(local(desk, "2026-11-23T08:00"))
    return Week(desk, clock)


def test_weekly_review_carries_the_weeks_kpis_against_target(week: Week) -> None:
    week.until("2026-11-27T15:01")
    review = week.post("Weekly review (每周回顾) · Fri 27 Nov, 15:00 · 1 h")
    assert review[1] == "@Grace Liu, @Paul Schmidt, @Hana Zhou, @Nina Sun"
    assert review[review.index("Agenda") + 1 : review.index("Agenda") + 5] == [
        "- 运营指标回顾 operating metrics",
        "- 流程执行情况 process execution",
        "- 技术支持需求 support needs",
        "- 改进计划讨论 improvement plan",
    ]
    start = review.index("Operating metrics (this week, Mon 23 Nov to Fri 27 Nov)")
    assert review[start + 1 : start + 9] == WEEK_TABLE


def test_standup_lists_yesterdays_work_escalations_and_what_to_coordinate(week: Week) -> None:
    week.until("2026-11-26T09:31")
    standup = week.post("Daily standup (每日站会) · Thu 26 Nov, 09:30")
    assert standup[1] == "@Grace Liu, @Hana Zhou"
    figures = standup[standup.index("Yesterday's work (Wed 25 Nov)") :]
    assert figures[1:3] == [
        "- Logged: 1 · resolved: 0 · dispatched to L2: 1",
        "- Clocks breached: 1: T-4 (root cause)",
    ]
    assert "Open escalations (1)" in figures
    assert any(line.startswith("- T-4 P2 ERP login fails") for line in figures)
    assert "root cause recorded" in next(
        line for line in figures if "T-4" in line and "ago" in line
    )
    assert figures[figures.index("To coordinate (0)") + 1] == "- nothing waiting"

    week.until("2026-11-27T09:31")  # Friday: T-5 has waited since Thursday 16:00
    friday = week.post("Daily standup (每日站会) · Fri 27 Nov, 09:30")
    assert "- Logged: 1 · resolved: 0 · dispatched to L2: 0" in friday
    assert "- Clocks breached: 1: T-5 (first response)" in friday
    coordinate = friday[friday.index("To coordinate (1)") + 1]
    assert coordinate == "- T-5 P2 Wi-Fi floor 3 · no first response yet, past the 30 min clock"


def test_monthly_planning_carries_the_month_just_ended(week: Week) -> None:
    week.until("2026-12-01T10:01")
    planning = week.post("Monthly planning (月度规划) · Tue 01 Dec, 10:00 · 2 h")
    assert planning[1] == "@Grace Liu, @Paul Schmidt, @Hana Zhou, @Carlos Ruiz"
    start = planning.index("Month summary (November 2026)")
    # the week was November's only work; T-5 still unanswered counts at its age on 1 Dec
    month = [
        line.replace("292.0 min", "1264.0 min").replace("vs last week", "vs October")
        for line in WEEK_TABLE
    ]
    assert planning[start + 1 : start + 9] == month
    charts = [m for _, m in posts(week.desk.engine) if m.images]
    assert [m.fallback for m in charts] == [
        "Chart: Weekly review (每周回顾) · 23 Nov – 27 Nov 2026",
        "Chart: Monthly planning (月度规划) · 01 Nov – 30 Nov 2026",
    ]


def test_manager_digest_lists_the_days_breaches(week: Week) -> None:
    week.until("2026-11-26T18:01")
    digest = week.post("Manager digest · since Wed 25 Nov 18:00")
    assert digest[1:4] == [
        "- Tickets: 1 logged, 0 resolved, 0 dispatched to L2",
        "- Average first response (clock time for P1/P2, working time for the others): 120.0 min"
        " (target ≤ 15 min) · off target",
        "- Answered within 30 min: 0.0 % (0/1) (target ≥ 100 %) · off target",
    ]
    # T-4's root cause came at 19:10 on Wednesday, after that day's digest: this one has it
    assert digest[digest.index("Breaches") + 1 : digest.index("Breaches") + 3] == [
        "- T-4 P2 ERP login fails: no L2 root cause within 4 h, due Wed 25 Nov 18:10 (late by 1 h)",
        "- T-5 P2 Wi-Fi floor 3: no first response within 30 min, due Thu 26 Nov 16:30"
        " (still open)",
    ]
    assert digest[digest.index("Open past a deadline (1)") + 1] == (
        "- T-5 P2 Wi-Fi floor 3: no first response within 30 min, due Thu 26 Nov 16:30 (still open)"
    )


def test_kpi_command_shows_the_same_table_to_anyone(week: Week) -> None:
    week.until("2026-11-27T15:00")
    reply = router.handle_text(week.desk, actor_of(week.desk.config, "tom"), PLACE, "/kpi week")
    assert reply.ok
    shown = lines(week.desk, reply.message)
    assert shown[0] == "KPIs · this week, Mon 23 Nov to Fri 27 Nov"
    assert shown[1:9] == WEEK_TABLE
    assert shown[shown.index("Breaches") + 1 :] == [
        "- T-3 P2 Server slow: no first response within 30 min, due Tue 24 Nov 09:30"
        " (late by 15 min)",
        "- T-4 P2 ERP login fails: no L2 root cause within 4 h, due Wed 25 Nov 18:10 (late by 1 h)",
        "- T-5 P2 Wi-Fi floor 3: no first response within 30 min, due Thu 26 Nov 16:30"
        " (still open)",
    ]
    today = router.handle_text(week.desk, actor_of(week.desk.config, "tom"), PLACE, "/kpi")
    assert lines(week.desk, today.message)[0] == "KPIs · today, Fri 27 Nov"
    bad = router.handle_text(week.desk, actor_of(week.desk.config, "tom"), PLACE, "/kpi year")
    assert not bad.ok and "`year` is not a period" in bad.message.fallback


def _dm(week: Week, person: str, start: str) -> list[list[str]]:
    return [
        lines(week.desk, m)
        for t, m in posts(week.desk.engine)
        if t["kind"] == "person"
        and t["name"] == person
        and lines(week.desk, m)[0].startswith(start)
    ]


def test_l2_weekly_report_is_pre_filled_filed_and_missing_ones_listed(week: Week) -> None:
    week.until("2026-11-27T15:01")
    [raj] = _dm(week, "raj", "Your weekly complex-problem report")
    assert "Dispatched to you this week (1)" in raj
    assert (
        "- T-2 P2 #network Core switch · resolved · root cause: bad optic"
        " · resolution: optic replaced" in raj
    )
    [omar] = _dm(week, "omar", "Your weekly complex-problem report")
    assert any(line.startswith("- T-4 P2 #application ERP login fails") for line in omar)
    assert _dm(week, "mei", "Your weekly") == []  # the team lead files none

    filed = router.handle_text(
        week.desk, actor_of(week.desk.config, "raj"), PLACE, "/report submit spare optics on site"
    )
    assert filed.ok and "Mei Chen" in filed.message.fallback
    [report] = _dm(week, "mei", "Weekly complex-problem report from Raj Patel")
    assert "Improvement suggestions: spare optics on site" in report
    again = router.handle_action(
        week.desk, actor_of(week.desk.config, "raj"), PLACE, "report.submit", ""
    )
    assert not again.ok and "already" in again.message.fallback
    l1 = router.handle_text(week.desk, actor_of(week.desk.config, "sam"), PLACE, "/report")
    assert not l1.ok

    week.until("2026-11-27T17:01")
    [missing] = _dm(week, "mei", "Weekly complex-problem reports")
    assert missing[0] == (
        "Weekly complex-problem reports for the week of 23 Nov: missing from @Kim Park,"
        " @Dana Li, @Omar Haddad, @Sofia Rossi (filed: Raj Patel)."
    )
