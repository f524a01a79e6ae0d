"""Escalation policies: P1s are re-notified until someone acts, paged after hours; P4s wait
for working hours; each level once, on two schedulers too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine, event
from sqlmodel import Session, select

from handlers.desk import Desk, ManualClock
from schedules.response_clocks import RESPONSE_CLOCKS
from storage.models import ClockStage
from tests.support import in_lockstep, posts
from tests.test_response_clocks import at, say

MINUTE = dt.timedelta(minutes=1)


def run_until(desk: Desk, clock: ManualClock, until: dt.datetime, step: dt.timedelta) -> None:
    now = clock.now()
    while now <= until:
        clock.set(now)
        RESPONSE_CLOCKS.fire_due(desk, now)
        now += step


def clock_posts(engine: Engine) -> list[tuple[dict, str, list[str]]]:
    """(target, text with its why-line, mentions) of every escalation post, in order."""
    out = []
    for target, message in posts(engine):
        texts = [getattr(b, "text", "") for b in message.blocks]
        if any("notice. Stops when" in t for t in texts):
            out.append((target, "\n".join(texts), message.mentions))
    return out


def test_friday_p1_is_renotified_every_15_min_paged_by_dm_until_taken(
    desk: Desk, clock: ManualClock
) -> None:
    config = desk.config
    clock.set(at(config, "2026-11-27T17:50"))  # Friday, ten minutes before closing
    say(desk, "lee", "/ticket new Payroll DB down #system p1")
    run_until(desk, clock, at(config, "2026-11-27T18:39"), step=MINUTE)
    channel = [(t, text, m) for t, text, m in clock_posts(desk.engine) if t["kind"] == "channel"]
    dms = [(t, text) for t, text, _ in clock_posts(desk.engine) if t["kind"] == "person"]
    # the sample's P1 targets a 15-min first response: nudge at 17:55 in the thread, breach
    # at 18:05 in the channel, then every 15 min: 18:20, 18:35
    assert [text.split("\n")[1] for _, text, _ in channel] == [
        "_P1, no first response for 5 min, 1st notice. Stops when someone takes, notes or "
        "resolves it (`/ticket take T-1`)._",
        "_P1, no first response for 15 min, 2nd notice. Stops when someone takes, notes or "
        "resolves it (`/ticket take T-1`)._",
        "_P1, no first response for 30 min, 3rd notice. Stops when someone takes, notes or "
        "resolves it (`/ticket take T-1`)._",
        "_P1, no first response for 45 min, 4th notice. Stops when someone takes, notes or "
        "resolves it (`/ticket take T-1`)._",
    ]
    assert channel[0][0]["thread"] == "console:local:T-1:card"
    assert channel[1][0]["thread"] is None
    # the team lead from the breach on (with the L1 and the service desk manager)
    assert channel[1][2] == ["lee", "sam", "grace", "mei"]
    # after working hours the on-call system expert of the week (Sofia) is paged by DM,
    # with every repeat; Dana, off call, is not
    assert [t["name"] for t, _ in dms] == ["sofia", "sofia", "sofia"]
    assert "Breach: T-1" in dms[0][1]
    # the take at 18:40 stops it: no more first-response notices all night
    clock.set(at(config, "2026-11-27T18:40"))
    say(desk, "sam", "/ticket take T-1")
    count = len(clock_posts(desk.engine))
    run_until(desk, clock, at(config, "2026-11-28T09:00"), step=5 * MINUTE)
    [(_, later, whom)] = clock_posts(desk.engine)[count:]
    # only the 2-h common-problem clock, to Sam who holds it now: solve it or dispatch it
    assert whom == ["sam"] and "still with L1 after 2 h" in later
    assert RESPONSE_CLOCKS.next_due(desk, clock.now()) is None


def test_untaken_p1_keeps_going_through_the_night(desk: Desk, clock: ManualClock) -> None:
    config = desk.config
    clock.set(at(config, "2026-11-27T17:50"))
    say(desk, "lee", "/ticket new Payroll DB down #system p1")
    run_until(desk, clock, at(config, "2026-11-28T03:00"), step=5 * MINUTE)
    dms = [text for t, text, _ in clock_posts(desk.engine) if t["kind"] == "person"]
    # 18:05 and every 15 min to 03:00: 36 pages
    assert len(dms) == 36
    assert "P1, no first response for 9 h, 37th notice" in dms[-1]


def test_p4_in_the_same_situation_waits_for_working_hours(desk: Desk, clock: ManualClock) -> None:
    config = desk.config
    clock.set(at(config, "2026-11-27T17:50"))
    say(desk, "lee", "/ticket new Payroll report slow #system p4")
    run_until(desk, clock, at(config, "2026-11-30T09:09"), step=10 * MINUTE)
    assert clock_posts(desk.engine) == []  # nothing over the weekend, no page
    run_until(desk, clock, at(config, "2026-11-30T10:00"), step=MINUTE)
    found = clock_posts(desk.engine)
    assert [t["kind"] for t, _, _ in found] == ["channel", "channel"]  # nudge, breach; no DM
    assert "P4, no first response for 20 min, 1st notice" in found[0][1]
    assert "P4, no first response for 30 min, 2nd notice" in found[1][1]


def test_common_problem_still_with_l1_after_two_hours_nudges_its_owner(
    desk: Desk, clock: ManualClock
) -> None:
    start = clock.now()  # Monday 09:00
    say(desk, "lee", "/ticket new Outlook keeps asking for a password #application p3")
    say(desk, "sam", "/ticket take T-1")
    run_until(desk, clock, start + 2 * 60 * MINUTE, step=5 * MINUTE)
    [(target, text, mentions)] = clock_posts(desk.engine)
    assert mentions == ["sam"] and target["thread"] == "console:local:T-1:card"
    assert "is still with L1 after 2 h (common problems are solved within 2 h)" in text
    assert "Stops when it is resolved or dispatched to L2" in text


def test_dispatch_stops_the_common_problem_clock(desk: Desk, clock: ManualClock) -> None:
    start = clock.now()
    say(desk, "lee", "/ticket new Outlook keeps asking #application p3")
    clock.set(start + 100 * MINUTE)
    say(desk, "lee", "/ticket dispatch T-1 reset the profile")
    run_until(desk, clock, start + 3 * 60 * MINUTE, step=5 * MINUTE)
    assert not any("still with L1" in text for _, text, _ in clock_posts(desk.engine))


def test_a_huddle_outcome_counts_as_progress(desk: Desk, clock: ManualClock) -> None:
    start = clock.now()
    say(desk, "lee", "/ticket new Core switch flapping #network p3")
    say(desk, "lee", "/ticket dispatch T-1 rebooted the access switch")
    say(desk, "raj", "/huddle T-1 split the work")
    clock.set(start + 90 * MINUTE)
    say(desk, "raj", "/huddle end T-1 Raj owns the switch, Kim checks the uplinks")
    run_until(desk, clock, start + 209 * MINUTE, step=5 * MINUTE)
    assert not any("no progress note" in t for _, t, _ in clock_posts(desk.engine))
    run_until(desk, clock, start + 215 * MINUTE, step=5 * MINUTE)
    [(_, text, _)] = [p for p in clock_posts(desk.engine) if "no progress note" in p[1]]
    assert "since 10:30" in text  # two hours after the outcome, not after the dispatch


def test_two_schedulers_send_each_escalation_level_once(desk: Desk, clock: ManualClock) -> None:
    config = desk.config
    start = at(config, "2026-11-27T17:50")
    clock.set(start)
    for n in range(3):
        say(desk, "lee", f"/ticket new Outage {n} #system p1")
    url = desk.engine.url.render_as_string(hide_password=False)

    def setup(engine: Engine) -> Callable[[dt.datetime], None]:
        own = Desk(config, engine, ManualClock(start))
        return lambda moment: RESPONSE_CLOCKS.fire_due(own, moment)

    in_lockstep(url, setup, [start + n * 5 * MINUTE for n in range(13)])  # to 18:50
    # per ticket: nudge 17:55, breach 18:05 (channel + page), 18:20, 18:35, 18:50
    found = clock_posts(desk.engine)
    assert len([p for p in found if p[0]["kind"] == "channel"]) == 3 * 5
    assert len([p for p in found if p[0]["kind"] == "person"]) == 3 * 4
    with Session(desk.engine) as s:
        stages = sorted(c.stage for c in s.exec(select(ClockStage)) if c.ticket_id == 1)
    assert stages == ["breach", "breach#2", "breach#3", "breach#4", "nudge"]


def test_reading_the_clocks_binds_no_parameter_per_open_ticket(
    desk: Desk, clock: ManualClock
) -> None:
    for n in range(40):
        say(desk, "lee", f"/ticket new Outage {n} #system p1")
    say(desk, "lee", "/ticket dispatch T-1 restarted it")
    widest: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            widest.append(len(parameters or ()))

    event.listen(desk.engine, "before_cursor_execute", count)
    try:
        RESPONSE_CLOCKS.next_due(desk, clock.now())
        RESPONSE_CLOCKS.fire_due(desk, clock.now() + 20 * MINUTE)
    finally:
        event.remove(desk.engine, "before_cursor_execute", count)
    assert widest and max(widest) < 10, max(widest)


def test_a_p1_progress_clock_repeats_at_its_own_interval(desk: Desk, clock: ManualClock) -> None:
    start = clock.now()  # Monday 09:00
    say(desk, "lee", "/ticket new Core switch down #network p1")
    say(desk, "lee", "/ticket dispatch T-1 rebooted the access switch")
    say(desk, "raj", "/ticket rca T-1 failed supervisor card; swap it tonight")
    run_until(desk, clock, start + 3 * 60 * MINUTE, step=5 * MINUTE)
    progress = [text for _, text, _ in clock_posts(desk.engine) if "no progress note" in text]
    # the sample's P1 updates every hour: at 10:00, 11:00 and 12:00 after the 09:00 root cause
    assert [line.split(",")[1].strip() for t in progress for line in t.splitlines()[1:]] == [
        "no progress note for 1 h",
        "no progress note for 2 h",
        "no progress note for 3 h",
    ]
