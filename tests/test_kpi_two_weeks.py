"""Two prepared weeks give every KPI of docs/kpis.md exactly.

Sample team, Asia/Shanghai, working hours 09:00-18:00; P1/P2 clocks run around the clock,
P3 in working hours only. Reports are read at Friday 17:30.

Week 1, 16-20 Nov:
    T-1 Mon 09:00 P2, taken 09:10 (10 min), resolved 09:40 by Sam (L1)
    T-2 Mon 14:00 P2, taken 14:20 (20 min), dispatched 14:30, root cause 19:00 (due 18:30:
        root-cause breach), resolved Tue 10:00
    T-3 Tue 17:50 P3, taken Wed 09:19: 29 working minutes (15 h 29 min of clock time), in time;
        resolved Wed 10:00
    T-4 Wed 19:00 P1, after the 18:00 digest; first-response breach 19:30; taken Thu 18:30
        (1410 min, after Thursday's digest), resolved 19:00
  -> 4 logged, 4 resolved, 1 dispatched; average (10+20+29+1410)/4 = 367.25 min (shows
     367.3); answered in time 3/4; FCR 3/4 (T-2 dispatched); dispatched 1/4; root cause in
     time 0/1; 2 breaches.

Week 2, 23-27 Nov:
    T-5 Mon 09:00 P2, taken 09:05 (5 min), resolved 09:30; reopened Wed 10:00, resolved 11:00
    T-6 Mon 10:00 P2, taken 10:05 by Ana (5 min), resolved 10:30 by Ana (L1)
    T-7 Tue 09:00 P2, taken 09:08 (8 min), dispatched 09:20, root cause 12:00 (due 13:20),
        resolved 14:00
    T-8 Wed 17:55 P3, taken Thu 09:05: 10 working minutes; resolved 09:30
    T-9 Fri 16:41 P2, unanswered: past its 17:11 deadline, 49 min old at 17:30
    T-10 Fri 17:15 P2, unanswered, within its deadline: left out of the average, and said so
  -> 6 logged; 5 resolutions (T-5's first stays Monday's), 1 reopened, 1 dispatched;
     average (5+5+8+10+49)/5 = 15.4 min: off the <= 15 target; answered in time 4/5;
     FCR 2/4 (T-5 reopened within 7 days, T-7 dispatched); dispatched 1/6 = 16.7 %;
     root cause in time 1/1; 1 breach.
"""

from __future__ import annotations

import datetime as dt

import pytest

from handlers import router
from handlers.desk import Desk, ManualClock
from handlers.kpis import figures as kpis
from handlers.kpis.windows import Window
from tests.conftest import PLACE, actor_of
from tests.walk import ScriptWalk, lines, local

SCRIPT = [
    ("2026-11-16T09:00", "lee", "/ticket new VPN drops #network p2"),
    ("2026-11-16T09:10", "sam", "/ticket take T-1"),
    ("2026-11-16T09:40", "sam", "/ticket resolve T-1 reset the profile"),
    ("2026-11-16T14:00", "lee", "/ticket new Disk full on file server #system p2"),
    ("2026-11-16T14:20", "sam", "/ticket take T-2"),
    ("2026-11-16T14:30", "sam", "/ticket dispatch T-2 @dana cleared temp files"),
    ("2026-11-16T19:00", "dana", "/ticket rca T-2 runaway log rotation"),
    ("2026-11-17T10:00", "dana", "/ticket resolve T-2 rotation fixed"),
    ("2026-11-17T17:50", "lee", "/ticket new ERP report slow #application p3"),
    ("2026-11-18T09:19", "sam", "/ticket take T-3"),
    ("2026-11-18T10:00", "sam", "/ticket resolve T-3 index rebuilt"),
    ("2026-11-18T19:00", "lee", "/ticket new Core router down #network p1"),
    ("2026-11-19T18:30", "sam", "/ticket take T-4"),
    ("2026-11-19T19:00", "sam", "/ticket resolve T-4 power cycled"),
    # week 2
    ("2026-11-23T09:00", "lee", "/ticket new Printer offline #network p2"),
    ("2026-11-23T09:05", "sam", "/ticket take T-5"),
    ("2026-11-23T09:30", "sam", "/ticket resolve T-5 re-added the queue"),
    ("2026-11-23T10:00", "lee", "/ticket new Password reset #system p2"),
    ("2026-11-23T10:05", "ana", "/ticket take T-6"),
    ("2026-11-23T10:30", "ana", "/ticket resolve T-6 reset done"),
    ("2026-11-24T09:00", "lee", "/ticket new Switch port flapping #network p2"),
    ("2026-11-24T09:08", "sam", "/ticket take T-7"),
    ("2026-11-24T09:20", "sam", "/ticket dispatch T-7 @raj swapped the cable"),
    ("2026-11-24T12:00", "raj", "/ticket rca T-7 faulty line card"),
    ("2026-11-24T14:00", "raj", "/ticket resolve T-7 line card replaced"),
    ("2026-11-25T10:00", "sam", "/ticket reopen T-5 printing stopped again"),
    ("2026-11-25T11:00", "sam", "/ticket resolve T-5 driver updated"),
    ("2026-11-25T17:55", "lee", "/ticket new Shared drive missing #system p3"),
    ("2026-11-26T09:05", "sam", "/ticket take T-8"),
    ("2026-11-26T09:30", "sam", "/ticket resolve T-8 remapped"),
    ("2026-11-27T16:41", "lee", "/ticket new Wi-Fi floor 3 #network p2"),
    ("2026-11-27T17:15", "lee", "/ticket new Teams calls drop #application p2"),
]

AVG = "- Average first response (clock time for P1/P2, working time for the others): "

WEEK_1 = [
    "- Tickets: 4 logged, 4 resolved, 1 dispatched to L2",
    AVG + "367.3 min (target ≤ 15 min) · off target",
    "- Answered within 30 min: 75.0 % (3/4) (target ≥ 100 %) · off target",
    "- First-contact resolution: 75.0 % (3/4) (target ≥ 80 %) · off target",
    "- Dispatched to L2: 25.0 % (1/4) (target ≤ 30 %) · on target",
    "- L2 root cause within 4 h: 0.0 % (0/1) (target ≥ 100 %) · off target",
    "- Breaches: 2 (target 0) · off target · ▲ 2 vs last week",
    "- User satisfaction: not recorded (target ≥ 90 %)",
]

WEEK_2 = [
    "- Tickets: 6 logged, 5 resolved, 1 reopened, 1 dispatched to L2",
    AVG + "15.4 min (target ≤ 15 min) · off target · ▼ 351.9 min vs last week"
    " · 1 still within the deadline, not counted",
    "- Answered within 30 min: 80.0 % (4/5) (target ≥ 100 %) · off target · ▲ 5.0 pts vs last week",
    "- First-contact resolution: 50.0 % (2/4) (target ≥ 80 %) · off target"
    " · ▼ 25.0 pts vs last week",
    "- Dispatched to L2: 16.7 % (1/6) (target ≤ 30 %) · on target · ▼ 8.3 pts vs last week",
    "- L2 root cause within 4 h: 100.0 % (1/1) (target ≥ 100 %) · on target"
    " · ▲ 100.0 pts vs last week",
    "- Breaches: 1 (target 0) · off target · ▼ 1 vs last week",
    "- User satisfaction: not recorded (target ≥ 90 %)",
]


@pytest.fixture
def weeks(desk: Desk, clock: ManualClock) -> ScriptWalk:
    clock.set(local(desk, "2026-11-16T08:00"))
    return ScriptWalk(desk, clock, SCRIPT)


def kpi(walk: ScriptWalk, text: str) -> list[str]:
    reply = router.handle_text(walk.desk, actor_of(walk.desk.config, "tom"), PLACE, text)
    assert reply.ok, reply
    return lines(walk.desk, reply.message)


def test_two_weeks_give_every_kpi_exactly(weeks: ScriptWalk) -> None:
    weeks.until("2026-11-20T17:30")
    first = kpi(weeks, "/kpi week")
    assert first[0] == "KPIs · this week, Mon 16 Nov to Fri 20 Nov"
    assert first[1:9] == WEEK_1
    weeks.until("2026-11-27T17:30")
    second = kpi(weeks, "/kpi week")
    assert second[1:9] == WEEK_2
    assert second[second.index("Breaches") + 1 :] == [
        "- T-9 P2 Wi-Fi floor 3: no first response within 30 min, due Fri 27 Nov 17:11 (still open)"
    ]


def test_a_resolution_stays_on_its_day_when_the_ticket_is_reopened(weeks: ScriptWalk) -> None:
    desk = weeks.desk
    monday = Window(
        "day",
        local(desk, "2026-11-23T00:00"),
        local(desk, "2026-11-24T00:00"),
        dt.date(2026, 11, 23),
        dt.date(2026, 11, 23),
    )
    weeks.until("2026-11-23T23:00")
    before = kpis.report(desk, "console:local", monday)
    weeks.until("2026-11-25T12:00")  # T-5 reopened and resolved again on Wednesday
    after = kpis.report(desk, "console:local", monday)
    assert (before.opened, before.resolved, before.reopened) == (2, 2, 0)
    assert (after.opened, after.resolved, after.reopened) == (2, 2, 0)
    # the reopen within 7 days takes T-5 out of Monday's first-contact resolutions
    assert before.figure("first_contact_resolution").measure.hits == 2
    assert after.figure("first_contact_resolution").measure.hits == 1
    wednesday = kpi(weeks, "/kpi")
    assert wednesday[1] == "- Tickets: 0 logged, 1 resolved, 1 reopened, 0 dispatched to L2"


def test_the_19h_p1_is_in_the_next_digest_with_the_open_past_deadline(weeks: ScriptWalk) -> None:
    weeks.until("2026-11-19T18:01")
    wednesday = weeks.post("Manager digest · since Tue 17 Nov 18:00")
    assert not any("T-4" in line for line in wednesday)
    thursday = weeks.post("Manager digest · since Wed 18 Nov 18:00")
    assert thursday[1] == "- Tickets: 1 logged, 0 resolved, 0 dispatched to L2"
    assert "- Breaches: 1 (target 0) · off target" in thursday
    overdue = thursday.index("Open past a deadline (1)")
    assert thursday[overdue + 1] == (
        "- T-4 P1 Core router down: no first response within 15 min, due Wed 18 Nov 19:15"
        " (still open)"
    )


def test_on_target_is_decided_on_the_unrounded_value(weeks: ScriptWalk) -> None:
    weeks.until("2026-11-27T17:30")
    k = kpis.report(
        weeks.desk,
        "console:local",
        kpis.period_window(weeks.desk.config, "week", weeks.clock.now()),
    )
    avg = k.figure("avg_first_response")
    assert avg.value == pytest.approx(15.4)
    assert str(avg.shown) == "15.4" and avg.on_target is False


def test_durations_say_which_time_they_are(weeks: ScriptWalk) -> None:
    """T-3 (P3, working-hours clocks) logged Tue 17:50: the queue, the ticket and the nudge
    give its wall-clock wait and the working time its clocks and the KPIs count."""
    weeks.until("2026-11-18T09:10")
    queue = kpi(weeks, "/queue")
    assert queue[1] == (
        "- T-3 P3 #application ERP report slow · waiting 15 h 20 min (20 min of working time)"
    )
    nudge = weeks.post("@Lee Wang, @Sam Okafor T-3 (P3) has waited")
    assert "has waited 20 min of working time without a first response" in nudge[0]
    weeks.until("2026-11-18T10:30")
    shown = kpi(weeks, "/ticket show T-3")
    assert any(
        "first response after 15 h 29 min (29 min of working time)" in line for line in shown
    )
    assert any("resolved after 16 h 10 min (1 h 10 min of working time)" in line for line in shown)
    week = kpi(weeks, "/kpi week")
    assert week[2].startswith(
        "- Average first response (clock time for P1/P2, working time for the others)"
    )
