"""The quality KPIs of a prepared week, number by number, in `/kpi week`."""

from __future__ import annotations

import datetime as dt

from handlers import router
from handlers.desk import Desk, ManualClock
from handlers.kpis import figures as kpis
from schedules.driver import Outlet, Scheduler
from tests.conftest import PLACE, actor_of
from tests.support import posts, text_of


def say(desk: Desk, who: str, text: str) -> None:
    reply = router.handle_text(desk, actor_of(desk.config, who), PLACE, text)
    assert reply.ok, reply.message


def score(desk: Desk, who: str, key: str, n: int) -> None:
    reply = router.handle_action(
        desk, actor_of(desk.config, who), PLACE, "csat.score", f"{key}:{n}"
    )
    assert reply.ok, reply.message


def prepared_week(desk: Desk, clock: ManualClock) -> None:
    """Monday: two entries published (one returned), five tickets resolved, two of them with
    an entry; scores 5, 4, 4, 2 (one unanswered); three suggestions; six QA checks."""
    say(desk, "raj", "/kb new VPN reset | problem: VPN drops | solution: reset the client")
    say(desk, "raj", "/kb new Mail full | problem: bounces | solution: archive")
    say(desk, "raj", "/kb new Printer | problem: jam | solution: open tray")
    say(desk, "yuki", "/kb approve KB-1")
    say(desk, "yuki", "/kb approve KB-2")
    say(desk, "yuki", "/kb return KB-3 add photos")
    for n in range(1, 6):
        say(desk, "lee", f"/ticket new Problem {n} | reporter: @omar")
        say(desk, "lee", f"/ticket take T-{n}")
    clock.advance(dt.timedelta(minutes=10))
    say(desk, "lee", "/ticket resolve T-1 KB-1 reset the client")
    say(desk, "lee", "/ticket resolve T-2 kb-2 archived")
    for n in (3, 4, 5):
        say(desk, "lee", f"/ticket resolve T-{n} fixed")
    for key, n in (("T-1", 5), ("T-2", 4), ("T-3", 4), ("T-4", 2)):
        score(desk, "omar", key, n)
    for text in ("docs in the portal", "a VPN FAQ", "weekly office hours"):
        say(desk, "sam", f"/suggest {text}")
    for check in ("timely pass", "description pass", "solution pass", "solution fail"):
        say(desk, "tom", f"/ticket qa T-{1 if 'fail' not in check else 4} {check}")
    say(desk, "tom", "/ticket qa T-2 timely fail")
    say(desk, "tom", "/ticket qa T-3 timely pass")
    clock.advance(dt.timedelta(hours=1))


def test_the_quality_figures_of_a_prepared_week(desk: Desk, clock: ManualClock) -> None:
    prepared_week(desk, clock)
    window = kpis.period_window(desk.config, "week", desk.now())
    q = kpis.report(desk, "console:local", window).quality
    assert q is not None
    assert (q.satisfaction.hits, q.satisfaction.total) == (3, 4)  # 5, 4, 4 of 5, 4, 4, 2
    assert (q.knowledge_reuse.hits, q.knowledge_reuse.total) == (2, 5)
    assert q.entries_published == 2
    assert q.suggestions == 3
    assert {c: (r.hits, r.total) for c, r in q.qa_pass.items()} == {
        "timely": (2, 3),
        "description": (1, 1),
        "solution": (1, 2),
        "satisfaction": (0, 0),
    }
    assert q.on_target["satisfaction"] is False  # 75 % < 90 %
    assert q.on_target["knowledge_reuse"] is False  # 40 % < 60 %
    assert q.on_target["qa_description"] is True and q.on_target["qa_satisfaction"] is None


def test_kpi_week_shows_them_against_target(desk: Desk, clock: ManualClock) -> None:
    prepared_week(desk, clock)
    reply = router.handle_text(desk, actor_of(desk.config, "mei"), PLACE, "/kpi week")
    body = text_of(reply.message)
    assert "User satisfaction: 75 % (3/4) (target ≥ 90 %) · **off target**" in body
    assert "Knowledge reuse: 40 % (2/5) of resolved tickets (target ≥ 60 %)" in body
    assert "Knowledge entries published: 2 (target ≥ 20 a month)" in body
    assert "Improvement suggestions: 3 (target ≥ 5 a month)" in body
    assert "timely 67 % (2/3)" in body and "description 100 % (1/1) · on target" in body


def test_the_monthly_quality_report_per_role(desk: Desk, clock: ManualClock) -> None:
    prepared_week(desk, clock)
    say(desk, "lee", "/ticket new Core switch #network p2")
    say(desk, "sam", "/ticket take T-6")
    say(desk, "sam", "/ticket dispatch T-6 @raj rebooted")
    clock.advance(dt.timedelta(hours=2, minutes=30))
    say(desk, "raj", "/ticket resolve T-6 optic replaced")
    first_working_day = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)  # Tue 1 Dec 09:00 local
    clock.set(first_working_day)
    scheduler = Scheduler(desk, [Outlet("console", "console:local")], timers=[])
    [outcome] = scheduler.fire(scheduler.job("quality_report"), first_working_day, "posted")
    assert outcome.posts == 1
    target, message = posts(desk.engine)[-1]
    assert target["name"] == "managers"
    body = text_of(message)
    assert "Monthly quality report 协作质量白皮书** · 01 Nov to 30 Nov 2026" in body
    assert "- Lee Wang: 100 % (5/5)" in body and "- Sam Okafor: 0 % (0/1)" in body
    assert "- Ana Costa: no data" in body
    assert "- Raj Patel: 2 h 30 min on average over 1 ticket" in body
    assert "- Dana Li: nothing resolved" in body
    assert "- User satisfaction: 75 % (3/4)" in body
    assert "- Knowledge reuse: 33 % (2/6)" in body
    assert "- QA timely: 67 % (2/3) passed" in body
