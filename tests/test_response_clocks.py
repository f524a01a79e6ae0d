"""Response clocks: each stage nudges once, never twice, and not at all when it is met."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from handlers import router
from handlers.chat.model import Message
from handlers.config.team import TeamConfig
from handlers.desk import Desk, ManualClock
from schedules.response_clocks import RESPONSE_CLOCKS
from schedules.timers import TIMERS
from storage.models import ClockStage
from tests.conftest import PLACE, actor_of
from tests.support import in_lockstep, posts, ticket

MINUTE = dt.timedelta(minutes=1)


def at(config: TeamConfig, local: str) -> dt.datetime:
    return dt.datetime.fromisoformat(local).replace(tzinfo=config.team.zone).astimezone(dt.UTC)


def say(desk: Desk, who: str, text: str) -> None:
    reply = router.handle_text(desk, actor_of(desk.config, who), PLACE, text)
    assert reply.ok, reply


def clock_posts(engine: Engine) -> list[tuple[dict, Message]]:
    """Posts of the response clocks, in order (their texts all name a ticket)."""
    stages = ("has waited", "Breach:", "no progress note", "Escalation:")
    return [(t, m) for t, m in posts(engine) if any(s in m.fallback for s in stages)]


def run_until(desk: Desk, clock: ManualClock, until: dt.datetime, step=MINUTE) -> None:
    """Tick the clocks every minute up to `until`, as the real-time scheduler would."""
    now = clock.now()
    while now <= until:
        clock.set(now)
        RESPONSE_CLOCKS.fire_due(desk, now)
        now += step


def test_the_clocks_are_a_registered_timer() -> None:
    assert RESPONSE_CLOCKS in TIMERS


def test_first_response_nudge_then_breach_each_once(desk: Desk, clock: ManualClock) -> None:
    start = clock.now()  # Monday 09:00
    say(desk, "lee", "/ticket new Stale VPN #network p3")  # p3: no repeats by default
    assert RESPONSE_CLOCKS.next_due(desk, start) == start + 20 * MINUTE
    run_until(desk, clock, start + 19 * MINUTE)
    assert clock_posts(desk.engine) == []
    run_until(desk, clock, start + 29 * MINUTE)
    [(target, nudge)] = clock_posts(desk.engine)
    assert target["thread"] == "console:local:T-1:card"  # in the ticket's thread
    assert nudge.mentions == ["lee", "sam"]  # the L1 on duty
    assert "has waited 20 min of working time without a first response; 10 min left" in (
        nudge.fallback
    )
    run_until(desk, clock, start + 3 * 60 * MINUTE)
    [_, (target, breach)] = clock_posts(desk.engine)
    assert target["thread"] is None  # a breach is posted to the channel
    assert breach.mentions == ["lee", "sam", "grace"]  # L1 on duty + service desk manager
    assert "**Breach: T-1**" in breach.fallback
    with Session(desk.engine) as s:
        stages = [(c.stage, c.status) for c in s.exec(select(ClockStage))]
    # and at 2 h, still with L1: the common-problem clock (seed 003: solved within 2 h)
    assert stages == [("nudge", "posted"), ("breach", "posted"), ("common_problem", "posted")]
    assert RESPONSE_CLOCKS.next_due(desk, clock.now()) is None


@pytest.mark.parametrize(
    ("answer_after", "expected"),
    [
        (dt.timedelta(minutes=20) - dt.timedelta(seconds=1), []),
        (dt.timedelta(minutes=30) - dt.timedelta(seconds=1), ["nudge"]),
    ],
)
def test_answered_a_second_before_a_deadline_gets_nothing_for_it(
    desk: Desk, clock: ManualClock, answer_after: dt.timedelta, expected: list[str]
) -> None:
    start = clock.now()
    say(desk, "lee", "/ticket new Printer jam #system p2")
    run_until(desk, clock, start + answer_after - dt.timedelta(seconds=59))
    clock.set(start + answer_after)
    say(desk, "sam", "/ticket take T-1")
    run_until(desk, clock, start + 2 * 60 * MINUTE)
    with Session(desk.engine) as s:
        assert [c.stage for c in s.exec(select(ClockStage))] == expected
    assert len(clock_posts(desk.engine)) == len(expected)


def test_dispatched_ticket_progress_ping_and_root_cause_escalation(
    desk: Desk, clock: ManualClock
) -> None:
    start = clock.now()
    say(desk, "lee", "/ticket new Core switch flapping #network p3")
    say(desk, "lee", "/ticket dispatch T-1 @raj rebooted the access switch")  # owner: raj
    clock.set(start + 60 * MINUTE)
    say(desk, "lee", "/ticket note T-1 vendor called")  # restarts the 2-h progress clock
    run_until(desk, clock, start + 179 * MINUTE)
    assert clock_posts(desk.engine) == []  # 2 h after the dispatch is not 2 h after the note
    run_until(desk, clock, start + 239 * MINUTE)
    [(target, ping)] = clock_posts(desk.engine)
    assert ping.mentions == ["raj"] and target["thread"] == "console:local:T-1:card"
    assert "no progress note for 2 h since 10:00" in ping.fallback
    run_until(desk, clock, start + 6 * 60 * MINUTE, step=5 * MINUTE)
    [_, (target, escalation), _] = clock_posts(desk.engine)
    # the L2 owner, the A of incident response (tech support lead) and the team lead
    assert escalation.mentions == ["raj", "hana", "mei"]
    assert "no L2 root cause 4 h after the dispatch (assignee: Raj Patel)" in escalation.fallback
    # the progress clock repeats its level every 2 h until a note; nothing else comes
    [_, _, (target, again)] = clock_posts(desk.engine)
    assert again.mentions == ["raj"] and "no progress note for 4 h since 10:00" in again.fallback
    assert "P3, no progress note for 4 h, 2nd notice" in again.blocks[1].text  # type: ignore[attr-defined]


def test_an_unclaimed_pool_ticket_pings_the_category_experts(
    desk: Desk, clock: ManualClock
) -> None:
    start = clock.now()
    say(desk, "lee", "/ticket new Core switch flapping #network p3")  # a 2-h progress clock
    say(desk, "lee", "/ticket take T-1")
    say(desk, "lee", "/ticket dispatch T-1 rebooted the access switch")  # to the pool
    assert ticket(desk.engine, 1).assignee is None
    run_until(desk, clock, start + 121 * MINUTE)
    [(_, ping)] = clock_posts(desk.engine)
    assert ping.mentions == ["raj", "kim"]  # the network experts, not the L1 who dispatched


def test_root_cause_recorded_in_time_stops_its_clock(desk: Desk, clock: ManualClock) -> None:
    start = clock.now()
    say(desk, "lee", "/ticket new Mail bounces #application p3")
    say(desk, "lee", "/ticket dispatch T-1 checked the queue")
    run_until(desk, clock, start + 239 * MINUTE, step=10 * MINUTE)
    clock.set(start + 4 * 60 * MINUTE - dt.timedelta(seconds=1))
    say(desk, "omar", "/ticket rca T-1 expired relay certificate; renew and monitor")
    t = ticket(desk.engine, 1)
    assert t.root_cause == "expired relay certificate; renew and monitor"
    assert t.root_cause_at == clock.now()
    run_until(desk, clock, start + 8 * 60 * MINUTE, step=10 * MINUTE)
    kinds = [m.fallback for _, m in clock_posts(desk.engine)]
    assert not any("Escalation" in k for k in kinds)
    # the progress ping came at 2 h, before the root cause; the root cause restarted that
    # clock (its 13:00 repeat never came), which then pinged at 15:00 and again at 17:00
    assert sum("no progress note" in k for k in kinds) == 3


def test_resolved_a_second_before_the_root_cause_deadline_is_no_breach(
    desk: Desk, clock: ManualClock
) -> None:
    start = clock.now()
    say(desk, "lee", "/ticket new Disk full #system p1")
    say(desk, "lee", "/ticket dispatch T-1 @dana cleared temp")
    clock.set(start + 4 * 60 * MINUTE - dt.timedelta(seconds=1))
    reply = router.handle_text(desk, actor_of(desk.config, "dana"), PLACE, "/ticket resolve T-1 x")
    assert reply.ok, reply
    run_until(desk, clock, start + 6 * 60 * MINUTE, step=10 * MINUTE)
    assert not any("Escalation" in m.fallback for _, m in clock_posts(desk.engine))


def test_rca_needs_text_permission_and_a_dispatched_ticket(desk: Desk) -> None:
    say(desk, "lee", "/ticket new Disk full #system p1")
    refused = router.handle_text(desk, actor_of(desk.config, "omar"), PLACE, "/ticket rca T-1 x")
    assert not refused.ok and "works only on a ticket that is dispatched or resolved" in (
        refused.message.fallback
    )
    say(desk, "lee", "/ticket dispatch T-1 cleared temp")
    bad = router.handle_text(desk, actor_of(desk.config, "omar"), PLACE, "/ticket rca T-1")
    assert not bad.ok and "A root cause needs text" in bad.message.fallback
    who = router.handle_text(desk, actor_of(desk.config, "tom"), PLACE, "/ticket rca T-1 disk")
    assert not who.ok and "Only" in who.message.fallback
    assert ticket(desk.engine, 1).root_cause == ""


def test_working_hours_clock_waits_for_monday(desk: Desk, clock: ManualClock) -> None:
    friday = at(desk.config, "2026-11-27T17:50")
    clock.set(friday)
    say(desk, "lee", "/ticket new Laptop slow #system p3")
    run_until(desk, clock, at(desk.config, "2026-11-30T09:09"), step=10 * MINUTE)
    assert clock_posts(desk.engine) == []  # nothing over the weekend
    assert RESPONSE_CLOCKS.next_due(desk, clock.now()) == at(desk.config, "2026-11-30T09:10")
    run_until(desk, clock, at(desk.config, "2026-11-30T09:30"))
    [(_, nudge), (_, breach)] = clock_posts(desk.engine)
    assert "has waited 20 min" in nudge.fallback  # working minutes, not 63 hours
    assert "Breach: T-1" in breach.fallback


def test_after_downtime_only_the_breach_is_posted(desk: Desk, clock: ManualClock) -> None:
    start = clock.now()
    say(desk, "lee", "/ticket new Stale VPN #network p3")
    clock.set(start + 45 * MINUTE)  # the bot was down from 09:00 to 09:45
    assert RESPONSE_CLOCKS.fire_due(desk, clock.now()) == 1
    [(_, only)] = clock_posts(desk.engine)
    assert "Breach: T-1" in only.fallback
    with Session(desk.engine) as s:
        stages = sorted((c.stage, c.status) for c in s.exec(select(ClockStage)))
    assert stages == [("breach", "posted"), ("nudge", "skipped")]


def test_a_catch_up_posts_only_the_stages_it_claims(desk: Desk, clock: ManualClock) -> None:
    start = clock.now()
    say(desk, "lee", "/ticket new Stale VPN #network p3")
    say(desk, "lee", "/ticket new Stale DNS #network p3")
    clock.set(start + 45 * MINUTE)  # both tickets missed nudge and breach while we were down
    with Session(desk.engine) as s:  # another replica already posted T-1's breach
        s.add(
            ClockStage(ticket_id=1, stage="breach", due_at=start, status="posted", fired_at=start)
        )
        s.commit()
    assert RESPONSE_CLOCKS.fire_due(desk, clock.now()) == 1
    [(_, only)] = clock_posts(desk.engine)
    assert "Breach: T-2" in only.fallback
    with Session(desk.engine) as s:
        stages = sorted((c.ticket_id, c.stage, c.status) for c in s.exec(select(ClockStage)))
    assert stages == [
        (1, "breach", "posted"),
        (1, "nudge", "skipped"),
        (2, "breach", "posted"),
        (2, "nudge", "skipped"),
    ]
    assert RESPONSE_CLOCKS.fire_due(desk, clock.now() + MINUTE) == 0  # nothing left, ever


def test_two_processes_post_each_stage_once(desk: Desk, clock: ManualClock) -> None:
    start = clock.now()
    for n in range(5):
        say(desk, "lee", f"/ticket new Outage {n} #network p2")
    url = desk.engine.url.render_as_string(hide_password=False)

    def setup(engine: Engine) -> Callable[[dt.datetime], None]:
        own = Desk(desk.config, engine, ManualClock(start))
        return lambda moment: RESPONSE_CLOCKS.fire_due(own, moment)

    in_lockstep(url, setup, [start + minute * MINUTE for minute in range(40)])
    assert len(clock_posts(desk.engine)) == 10  # a nudge and a breach for each of five
