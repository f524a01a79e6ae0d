"""Huddle timers with the injected clock: each fires once, on time, also across a restart."""

from __future__ import annotations

import datetime as dt
import threading

from handlers import router
from handlers.desk import Desk, ManualClock
from schedules.huddle_timer import HUDDLES, HuddleTimers
from schedules.timers import TIMERS
from storage import huddles as store
from storage.db import session_scope
from tests.conftest import PLACE, START, actor_of
from tests.support import posts, text_of

MIN = dt.timedelta(minutes=1)


def start_huddle(desk: Desk) -> None:
    lee = actor_of(desk.config, "lee")
    assert router.handle_text(desk, lee, PLACE, "/ticket new DB failover #system").ok
    assert router.handle_text(desk, lee, PLACE, "/huddle T-1 split the work").ok


def said(desk: Desk, words: str) -> list[tuple[dict, str]]:
    return [(t, text_of(m)) for t, m in posts(desk.engine) if words in text_of(m)]


def test_the_huddle_timer_is_registered_for_the_scheduler() -> None:
    assert HUDDLES in TIMERS and HUDDLES.name == "huddles"


def test_warning_and_end_fire_once_each_also_across_a_restart(
    desk: Desk, clock: ManualClock
) -> None:
    start_huddle(desk)
    timer = HuddleTimers()
    assert timer.next_due(desk, START) == START + 4 * MIN
    assert timer.fire_due(desk, START + 3 * MIN) == 0

    clock.set(START + 4 * MIN)
    assert timer.fire_due(desk, clock.now()) == 1
    assert timer.fire_due(desk, clock.now()) == 0
    [(target, text)] = said(desk, "1 minute left")
    assert target["thread"] == "console:local:T-1:card"
    assert "in the T-1 huddle (split the work)" in text

    # a restart: a new process, a new Desk and timer on the same database
    restarted = Desk(desk.config, desk.engine, ManualClock(clock.now()))
    assert HuddleTimers().fire_due(restarted, clock.now()) == 0
    assert HuddleTimers().next_due(restarted, clock.now()) == START + 5 * MIN

    assert HuddleTimers().fire_due(restarted, START + 5 * MIN) == 1
    assert timer.fire_due(desk, START + 5 * MIN) == 0
    [(target, text)] = said(desk, "Time's up")
    assert target["thread"] == "console:local:T-1:card"
    assert "/huddle end T-1 OUTCOME" in text
    times_up = posts(desk.engine)[-1][1]
    assert [(b.action_id, b.value) for b in times_up.buttons] == [("huddle.outcome", "T-1")]
    assert times_up.mentions == ["dana", "sofia", "mei", "lee"]
    assert len(said(desk, "1 minute left")) == 1


def test_no_outcome_half_an_hour_after_the_end_reminds_the_caller_once(desk: Desk) -> None:
    start_huddle(desk)
    for minute in (4, 5):
        HUDDLES.fire_due(desk, START + minute * MIN)
    assert HUDDLES.next_due(desk, START + 5 * MIN) == START + 35 * MIN
    assert HUDDLES.fire_due(desk, START + 34 * MIN) == 0
    assert HUDDLES.fire_due(desk, START + 35 * MIN) == 1
    assert HUDDLES.fire_due(desk, START + 90 * MIN) == 0
    [(target, text)] = said(desk, "has no outcome yet")
    assert (target["kind"], target["name"], target["thread"]) == ("person", "lee", None)
    assert "ended 30 min ago" in text
    assert HUDDLES.next_due(desk, START + 35 * MIN) is None


def test_an_outcome_cancels_what_is_still_to_come(desk: Desk, clock: ManualClock) -> None:
    start_huddle(desk)
    clock.set(START + 3 * MIN)
    dana = actor_of(desk.config, "dana")
    assert router.handle_text(desk, dana, PLACE, "/huddle end T-1 Dana owns failover").ok
    assert HUDDLES.next_due(desk, clock.now()) is None
    assert HUDDLES.fire_due(desk, START + 60 * MIN) == 0
    assert not said(desk, "minute left") and not said(desk, "Time's up")
    assert not said(desk, "has no outcome yet")


def test_a_warning_whose_moment_passed_is_skipped_not_posted_late(desk: Desk) -> None:
    start_huddle(desk)
    # the process was down from 09:03 to 09:06: the end still prompts, the warning is moot
    assert HUDDLES.fire_due(desk, START + 6 * MIN) == 1
    assert not said(desk, "minute left") and len(said(desk, "Time's up")) == 1
    with session_scope(desk.engine) as session:
        results = {t.stage: t.result for t in store.timers(session, 1)}
    assert results == {"warning": "late", "end": "posted", "reminder": ""}


def test_replicas_firing_together_post_once(desk: Desk) -> None:
    start_huddle(desk)
    fired: list[int] = []
    barrier = threading.Barrier(4)

    def replica() -> None:
        other = Desk(desk.config, desk.engine, ManualClock(START + 5 * MIN))
        barrier.wait()
        fired.append(HuddleTimers().fire_due(other, START + 4 * MIN + 30 * dt.timedelta(seconds=1)))

    threads = [threading.Thread(target=replica) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(fired) == 1 and len(said(desk, "1 minute left")) == 1


def test_length_and_warning_come_from_the_time_rules(desk: Desk) -> None:
    rules = desk.config.time_rules.model_copy(
        update={"huddle_length": 10, "huddle_warning_before": 2, "huddle_outcome_reminder": 15}
    )
    custom = Desk(desk.config.model_copy(update={"time_rules": rules}), desk.engine, desk.clock)
    start_huddle(custom)
    assert "**Ends:** 09:10" in text_of(posts(desk.engine)[-1][1])
    due = []
    after = START
    while (when := HUDDLES.next_due(custom, after)) is not None:
        HUDDLES.fire_due(custom, when)
        due.append(when)
        after = when
    assert due == [START + 8 * MIN, START + 10 * MIN, START + 25 * MIN]
    assert "2 minutes left" in said(custom, "minutes left")[0][1]
