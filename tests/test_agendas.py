"""Agendas, the digest and `/kpi` carry the live figures of a prepared week of tickets.

The week of Monday 23 November 2026 (Asia/Shanghai), every ticket P2 (clocks on wall time):

    T-1 Mon 09:00 logged, taken 09:10 (10 min), resolved 10:00
    T-2 Mon 10:00 logged, taken 10:20 (20 min), dispatched 10:30, root cause 12:30, resolved 15:00
    T-3 Tue 09:00 logged, taken 09:45 (45 min: first-response breach), resolved 11:00
    T-4 Wed 14:00 logged, noted 14:05 (5 min), dispatched 14:10, root cause 19:10 (late: breach)
    T-5 Thu 16:00 logged, never answered (first-response breach at 16:30)

By Friday 15:00: 5 logged, 3 resolved, 2 dispatched; average first response (10+20+45+5)/4 =
20 min; answered within 30 min 3 of 5; first-contact resolution 2 of 3; dispatched 2 of 5;
root cause in time 1 of 2; 3 breaches.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.console.session import plain
from handlers import router
from handlers.chat.model import Message
from handlers.desk import Desk, ManualClock
from schedules.driver import Outlet, Scheduler
from tests.conftest import PLACE, actor_of
from tests.support import posts

CONSOLE = Outlet("console", "console:local")

WEEK = [
    ("2026-11-23T09:00", "lee", "/ticket new VPN drops #network p2"),
    ("2026-11-23T09:10", "sam", "/ticket take T-1"),
    ("2026-11-23T10:00", "sam", "/ticket resolve T-1 reset the profile"),
    ("2026-11-23T10:00", "lee", "/ticket new Core switch #network p2"),
    ("2026-11-23T10:20", "sam", "/ticket take T-2"),
    ("2026-11-23T10:30", "sam", "/ticket dispatch T-2 rebooted"),
    ("2026-11-23T12:30", "raj", "/ticket rca T-2 bad optic"),
    ("2026-11-23T15:00", "sam", "/ticket resolve T-2 optic replaced"),
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
    "- Average first response: 20 min (target ≤ 15 min) · off target",
    "- Answered within 30 min: 60 % (3/5) (target ≥ 100 %) · off target",
    "- First-contact resolution: 67 % (2/3) (target ≥ 80 %) · off target",
    "- Dispatched to L2: 40 % (2/5) (target ≤ 30 %) · off target",
    "- L2 root cause within 4 h: 50 % (1/2) (target ≥ 100 %) · off target",
    "- Breaches: 3 (target 0) · off target",
    "- User satisfaction: not recorded (target ≥ 90 %)",
]


def local(desk: Desk, text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=desk.config.team.zone).astimezone(dt.UTC)


def lines(desk: Desk, message: Message) -> list[str]:
    out: list[str] = []
    for block in message.blocks:
        if hasattr(block, "text"):
            out += plain(desk.config, block.text).splitlines()
    return out


class Week:
    """Walks the scheduler through time, doing the week's ticket work at its moments."""

    def __init__(self, desk: Desk, clock: ManualClock) -> None:
        self.desk, self.clock = desk, clock
        self.scheduler = Scheduler(desk, [CONSOLE])
        self.done = 0

    def until(self, when: str) -> None:
        end = local(self.desk, when)
        for moment, who, command in WEEK[self.done :]:
            if local(self.desk, moment) > end:
                break
            self.walk(local(self.desk, moment))
            reply = router.handle_text(self.desk, actor_of(self.desk.config, who), PLACE, command)
            assert reply.ok, (command, reply)
            self.done += 1
        self.walk(end)

    def walk(self, to: dt.datetime) -> None:
        list(self.scheduler.walk(self.clock.now(), to, self.clock.set))
        self.clock.set(to)

    def post(self, start: str) -> list[str]:
        """The lines of the one post whose text starts with `start`."""
        found = [lines(self.desk, m) for _, m in posts(self.desk.engine)]
        matching = [f for f in found if f and f[0].startswith(start)]
        assert len(matching) == 1, [f[0] for f in found if f]
        return matching[0]


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
    assert planning[start + 1 : start + 9] == WEEK_TABLE  # the week was November's only work


def test_manager_digest_lists_the_days_breaches(week: Week) -> None:
    week.until("2026-11-26T18:01")
    digest = week.post("Manager digest · today, Thu 26 Nov")
    assert digest[1:4] == [
        "- Tickets: 1 logged, 0 resolved, 0 dispatched to L2",
        "- Average first response: no data (target ≤ 15 min)",
        "- Answered within 30 min: 0 % (0/1) (target ≥ 100 %) · off target",
    ]
    assert digest[digest.index("Breaches") + 1] == (
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


def test_l2_weekly_report_reminder_lists_the_weeks_dispatches(week: Week) -> None:
    week.until("2026-11-27T17:01")
    reminder = week.post("Weekly complex-problem report")
    assert reminder[0].startswith(
        "Weekly complex-problem report @Raj Patel, @Kim Park, @Dana Li, @Omar Haddad, "
        "@Sofia Rossi: please file this week's report to Mei Chen by 17:00 today"
    )
    assert reminder[reminder.index("Dispatched to L2 this week (2)") + 1 :] == [
        "- T-2 P2 #network Core switch · resolved · root cause: bad optic",
        "- T-4 P2 #application ERP login fails · dispatched · root cause: expired SSO certificate",
    ]
