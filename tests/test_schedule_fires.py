"""Exactly once: restarts, the grace window, two schedulers on one database, `:time` walks."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.console.printing import plain
from handlers import router
from handlers.chat.model import Message, Place, Ref
from handlers.config.team import TeamConfig
from handlers.desk import Desk, ManualClock
from schedules.driver import Outlet, Scheduler
from schedules.timers import TIMERS
from storage import fires, reports
from storage import tickets as repo
from storage.db import make_engine
from storage.models import OutboxMessage
from tests.conftest import PLACE, actor_of
from tests.support import in_lockstep, posts, text_of

CONSOLE = Outlet("console", "console:local")


def at(config: TeamConfig, local: str) -> dt.datetime:
    """A local time of the team (Asia/Shanghai) as aware UTC."""
    return dt.datetime.fromisoformat(local).replace(tzinfo=config.team.zone).astimezone(dt.UTC)


def fire_rows(engine: Engine, job: str | None = None) -> list[tuple[str, str, str]]:
    with Session(engine) as s:
        rows = fires.fires(s, job=job)
    return [(r.job, f"{r.fire_at.astimezone(dt.UTC):%Y-%m-%d %H:%M}", r.status) for r in rows]


def body(config: TeamConfig, message: Message) -> str:
    """What the message shows, as the console prints it (without the fallback)."""
    return "\n".join(plain(config, b.text) for b in message.blocks if hasattr(b, "text"))


def reminders(engine: Engine) -> list[str]:
    return [text for _, m in posts(engine) if "Queue check" in (text := text_of(m))]


def new_ticket(desk: Desk, text: str, who: str = "lee") -> None:
    reply = router.handle_text(desk, actor_of(desk.config, who), PLACE, text)
    assert reply.ok, reply


def test_restart_at_09_00_30_posts_the_09_00_reminder_once(desk: Desk, clock: ManualClock) -> None:
    clock.set(at(desk.config, "2026-11-23T08:59"))
    new_ticket(desk, "/ticket new Stale VPN #network p2")
    Scheduler(desk, [CONSOLE], timers=[]).tick()  # up before 09:00: nothing due
    assert reminders(desk.engine) == []

    # the process dies before 09:00 and is back at 09:00:30
    clock.set(at(desk.config, "2026-11-23T09:00:30"))
    restarted = Scheduler(desk, [CONSOLE], timers=[])
    restarted.tick()
    restarted.tick()
    clock.set(at(desk.config, "2026-11-23T09:05"))
    Scheduler(desk, [CONSOLE], timers=[]).tick()  # and once more after another restart

    sent = reminders(desk.engine)
    assert len(sent) == 1
    assert "Queue check 09:00" in sent[0] and "T-1" in sent[0]
    assert "Posted late" not in sent[0]  # 30 s is not late
    assert fire_rows(desk.engine, "queue_reminder") == [
        ("queue_reminder", "2026-11-23 01:00", "posted")
    ]


def test_a_restart_within_the_grace_window_runs_missed_fires_late_and_says_so(
    desk: Desk, clock: ManualClock
) -> None:
    clock.set(at(desk.config, "2026-11-23T17:00"))
    Scheduler(desk, [CONSOLE], timers=[]).tick()  # Monday 17:00 reminder, then down
    clock.set(at(desk.config, "2026-11-24T09:45"))  # back on Tuesday at 09:45
    outcomes = Scheduler(desk, [CONSOLE], timers=[]).tick()
    assert [(o.job, o.status) for o in outcomes] == [
        ("manager_digest", "skipped"),  # Monday 18:00: more than an hour ago
        ("queue_reminder", "late"),  # 09:00
        ("standup", "late"),  # 09:30
        ("qa_sample", "late"),  # 09:30 (nothing finished on Monday: it posts nothing)
    ]
    messages = [m for _, m in posts(desk.engine)]
    late = [text_of(m) for m in messages if "Posted late" in text_of(m)]
    assert len(late) == 2
    assert any("due at 09:00 on Tue 24 Nov" in t for t in late)
    assert any("due at 09:30 on Tue 24 Nov" in t for t in late)
    assert not any("Manager digest" in text_of(m) for m in messages)


def test_fires_missed_beyond_the_grace_window_are_recorded_as_skipped(
    desk: Desk, clock: ManualClock
) -> None:
    clock.set(at(desk.config, "2026-11-23T17:00"))
    Scheduler(desk, [CONSOLE], timers=[]).tick()
    before = len(posts(desk.engine))
    clock.set(at(desk.config, "2026-11-24T10:31"))
    Scheduler(desk, [CONSOLE], timers=[]).tick()
    assert len(posts(desk.engine)) == before  # nothing posted
    assert fire_rows(desk.engine) == [
        ("queue_reminder", "2026-11-23 09:00", "posted"),
        ("manager_digest", "2026-11-23 10:00", "skipped"),
        ("queue_reminder", "2026-11-24 01:00", "skipped"),
        ("standup", "2026-11-24 01:30", "skipped"),
        ("qa_sample", "2026-11-24 01:30", "skipped"),
    ]


def test_zero_grace_posts_on_time_fires_and_skips_missed_ones(
    sample: TeamConfig, engine: Engine
) -> None:
    schedules = sample.schedules.model_copy(update={"grace_minutes": 0})
    clock = ManualClock(at(sample, "2026-11-23T08:59:50"))
    desk = Desk(sample.model_copy(update={"schedules": schedules}), engine, clock)
    scheduler = Scheduler(desk, [CONSOLE], timers=[])
    scheduler.tick()  # a first start just before 09:00
    clock.set(at(desk.config, "2026-11-23T09:00:00.004"))  # the tick that wakes for 09:00
    scheduler.tick()
    assert fire_rows(engine, "queue_reminder") == [("queue_reminder", "2026-11-23 01:00", "posted")]
    clock.set(at(desk.config, "2026-11-23T09:35"))  # down over the 09:30 standup
    Scheduler(desk, [CONSOLE], timers=[]).tick()
    assert fire_rows(engine, "standup") == [("standup", "2026-11-23 01:30", "skipped")]


def test_two_schedulers_on_one_database_post_each_fire_once(
    sample: TeamConfig, engine: Engine
) -> None:
    """Two processes (each its own engine, so its own connections) tick through a working
    day at the same moments; every fire is posted exactly once."""
    url = engine.url.render_as_string(hide_password=False)
    moments = [at(sample, "2026-11-27T08:55") + dt.timedelta(minutes=5 * n) for n in range(120)]

    def setup(own: Engine) -> Callable[[dt.datetime], None]:
        clock = ManualClock(moments[0])
        scheduler = Scheduler(Desk(sample, own, clock), [CONSOLE])

        def step(moment: dt.datetime) -> None:
            clock.set(moment)
            scheduler.tick()

        return step

    in_lockstep(url, setup, moments)
    # Friday: 09:00, 14:00, 17:00 reminders, standup, weekly review, L2 report, digest
    posted = [row for row in fire_rows(engine) if row[2] == "posted"]
    assert sorted((job, when) for job, when, _ in posted) == sorted(
        [
            ("queue_reminder", "2026-11-27 01:00"),
            ("standup", "2026-11-27 01:30"),
            ("qa_sample", "2026-11-27 01:30"),
            ("l2_report_reminder", "2026-11-27 07:00"),
            ("queue_reminder", "2026-11-27 06:00"),
            ("weekly_review", "2026-11-27 07:00"),
            ("queue_reminder", "2026-11-27 09:00"),
            ("l2_weekly_report", "2026-11-27 09:00"),
            ("manager_digest", "2026-11-27 10:00"),
        ]
    )
    assert len(posts(engine)) == 8 + 5  # the review's chart; each of five L2 experts' reports


def test_a_claim_rolled_back_by_a_crash_is_taken_over(desk: Desk, clock: ManualClock) -> None:
    """Process A claims 09:00 and dies before committing; B, waiting on the claim, posts it."""
    nine = at(desk.config, "2026-11-23T09:00")
    clock.set(nine + dt.timedelta(seconds=10))
    url = desk.engine.url.render_as_string(hide_password=False)
    other = make_engine(url)
    b = Scheduler(Desk(desk.config, other, clock), [CONSOLE], timers=[])
    result: list = []
    with Session(desk.engine) as a:
        assert fires.claim_fire(a, CONSOLE.scope, "queue_reminder", nine, "posted", nine)
        a.flush()
        thread = threading.Thread(target=lambda: result.append(b.tick()))
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive()  # B waits on A's uncommitted claim
        a.rollback()  # A crashes
    thread.join(timeout=30)
    other.dispose()
    assert [(o.job, o.status) for o in result[0]] == [("queue_reminder", "posted")]
    assert len(reminders(desk.engine)) == 1


def test_console_walk_fires_everything_on_the_way_in_order(desk: Desk, clock: ManualClock) -> None:
    clock.set(at(desk.config, "2026-11-23T08:00"))
    new_ticket(desk, "/ticket new Stale VPN #network p2")
    logged = len(posts(desk.engine))
    scheduler = Scheduler(desk, [CONSOLE])
    seen: list[str] = []
    for step in scheduler.walk(clock.now(), at(desk.config, "2026-11-23T09:31"), clock.set):
        seen.append(f"{step.astimezone(desk.config.team.zone):%H:%M}")
    # a P2 repeats its breach every 15 min (issue 12), so 08:45 and 09:15 are steps too
    assert seen == ["08:20", "08:30", "08:45", "09:00", "09:15", "09:30", "09:31"]
    assert clock.now() == at(desk.config, "2026-11-23T09:31")
    texts = [body(desk.config, m) for _, m in posts(desk.engine)[logged:]]
    starts = [
        "@Lee Wang, @Sam Okafor T-1 (P2) has waited 20 min",  # 08:20 nudge
        "Breach: T-1 (P2) Stale VPN",  # 08:30 breach, in the channel
        "Breach: T-1 (P2) Stale VPN",  # and paged to the on-call network experts by DM
        "Breach: T-1 (P2) Stale VPN",  # (before working hours: raj and kim)
        "Breach: T-1 (P2) Stale VPN",  # 08:45 repeat
        "Breach: T-1 (P2) Stale VPN",
        "Breach: T-1 (P2) Stale VPN",
        "Breach: T-1 (P2) Stale VPN",  # 09:00 repeat: working hours, no page
        "Queue check 09:00",  # 09:00 reminder
        "Breach: T-1 (P2) Stale VPN",  # 09:15 repeat
        "Breach: T-1 (P2) Stale VPN",  # 09:30 repeat
        "Daily standup (每日站会) · Mon 23 Nov, 09:30",  # 09:30 standup
    ]
    assert len(texts) == len(starts), texts
    assert all(t.startswith(start) for t, start in zip(texts, starts, strict=True)), texts
    assert "past the 30-min first response" in texts[8]

    # moving back fires nothing; moving forward again does not repeat anything
    count = len(posts(desk.engine))
    assert list(scheduler.walk(clock.now(), at(desk.config, "2026-11-23T07:00"), clock.set)) == []
    list(scheduler.walk(at(desk.config, "2026-11-23T07:00"), clock.now(), clock.set))
    assert len(posts(desk.engine)) == count


def test_schedule_run_posts_now_and_a_turned_off_job_does_not_fire(
    sample: TeamConfig, engine: Engine, clock: ManualClock
) -> None:
    off = sample.model_copy(
        update={
            "meetings": tuple(m.model_copy(update={"enabled": False}) for m in sample.meetings),
        }
    )
    desk = Desk(off, engine, clock)
    scheduler = Scheduler(desk, [CONSOLE], timers=[])
    list(scheduler.walk(clock.now(), at(off, "2026-11-23T10:00"), clock.set))
    # 09:00 was START itself; the 09:30 standup is off (the QA sample is not a meeting)
    assert [job for job, _, _ in fire_rows(engine)] == ["qa_sample"]
    outcomes = scheduler.run_now("standup")
    assert [(o.job, o.status, o.posts) for o in outcomes] == [("standup", "manual", 1)]
    assert "Daily standup" in text_of(posts(engine)[-1][1])


def test_an_empty_queue_gets_a_short_line_or_nothing(
    sample: TeamConfig, engine: Engine, clock: ManualClock
) -> None:
    scheduler = Scheduler(Desk(sample, engine, clock), [CONSOLE], timers=[])
    scheduler.fire(scheduler.job("queue_reminder"), clock.now(), "posted")
    [(target, message)] = posts(engine)
    assert target["name"] == "queue"
    assert body(sample, message) == "Queue check 09:00: the queue is empty."
    assert message.mentions == []  # nobody is pinged for an empty queue

    quiet = sample.model_copy(
        update={
            "schedules": sample.schedules.model_copy(
                update={
                    "queue_reminders": sample.schedules.queue_reminders.model_copy(
                        update={"post_when_empty": False}
                    )
                }
            )
        }
    )
    scheduler = Scheduler(Desk(quiet, engine, clock), [CONSOLE], timers=[])
    later = clock.now() + dt.timedelta(hours=5)
    outcomes = scheduler.fire(scheduler.job("queue_reminder"), later, "posted")
    assert [(o.status, o.posts) for o in outcomes] == [("posted", 0)]  # claimed, silent
    assert len(posts(engine)) == 1


class Alarm:
    """A timer another part of the bot might register: one deadline, noted when fired."""

    name = "alarm"

    def __init__(self, due: dt.datetime) -> None:
        self.due, self.fired_at = due, None

    def next_due(self, desk: Desk, after: dt.datetime) -> dt.datetime | None:
        return self.due if self.fired_at is None and self.due > after else None

    def fire_due(self, desk: Desk, now: dt.datetime) -> int:
        if self.fired_at is None and self.due <= now:
            self.fired_at = now
            return 1
        return 0


def test_every_registered_timer_is_driven_in_time_order(desk: Desk, clock: ManualClock) -> None:
    alarm = Alarm(at(desk.config, "2026-11-23T09:15"))
    TIMERS.append(alarm)
    try:
        scheduler = Scheduler(desk, [CONSOLE])
        assert {t.name for t in scheduler.timers} >= {"huddles", "response_clocks", "alarm"}
        order: list[str] = []
        for step in scheduler.walk(clock.now(), at(desk.config, "2026-11-23T09:40"), clock.set):
            local = f"{step.astimezone(desk.config.team.zone):%H:%M}"
            order.append(local + (" alarm" if alarm.fired_at == step else ""))
        assert order == ["09:15 alarm", "09:30", "09:40"]  # between 09:00 (start) and standup

        late = Alarm(at(desk.config, "2026-11-23T09:41"))
        TIMERS.append(late)
        clock.set(at(desk.config, "2026-11-23T09:45"))
        scheduler.tick()  # real time: whatever is due fires
        assert late.fired_at == clock.now()
    finally:
        TIMERS[:] = [t for t in TIMERS if t.name != "alarm"]


def test_berlin_09_00_reminder_is_posted_once_on_each_dst_change_day(
    sample: TeamConfig, engine: Engine
) -> None:
    team = sample.team.model_copy(
        update={
            "timezone": "Europe/Berlin",
            "holidays_country": "DE",
            "working_days": ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
        }
    )
    only_0900 = sample.schedules.queue_reminders.model_copy(update={"when": ("09:00",)})
    berlin = sample.model_copy(
        update={
            "team": team,
            "schedules": sample.schedules.model_copy(update={"queue_reminders": only_0900}),
        }
    )
    zone = team.zone
    for day in ("2026-03-29", "2026-10-25"):  # spring forward, fall back (both Sundays)
        midnight = dt.datetime.fromisoformat(f"{day}T00:00").replace(tzinfo=zone)
        clock = ManualClock(midnight.astimezone(dt.UTC))
        scheduler = Scheduler(Desk(berlin, engine, clock), [CONSOLE], timers=[])
        now = clock.now()
        while now.astimezone(zone).date().isoformat() == day:  # real time: a tick every 10 min
            clock.set(now)
            scheduler.tick()
            now += dt.timedelta(minutes=10)
        # and the console walking across the same day again adds nothing
        list(scheduler.walk(midnight, midnight + dt.timedelta(hours=24), clock.set))
    rows = fire_rows(engine, "queue_reminder")
    posted = [when for _, when, status in rows if status == "posted"]
    assert posted == ["2026-03-29 07:00", "2026-10-25 08:00"]  # 09:00 CEST, then 09:00 CET
    # (between the two days the scheduler was "down": those fires were recorded as skipped)
    assert all(status == "skipped" for _, when, status in rows if when not in posted)
    assert len(reminders(engine)) == 2


def test_each_workspace_gets_its_own_queue_read_in_one_go(
    engine: Engine, desk: Desk, clock: ManualClock
) -> None:
    slack = Outlet("slack", "slack:T0SAMPLE")
    other = Place(Ref("slack", "T0SAMPLE", "C0QUEUE"))
    for n in range(3):
        new_ticket(desk, f"/ticket new Console {n} #network")
    router.handle_text(desk, actor_of(desk.config, "lee", "slack"), other, "/ticket new Slack one")
    router.handle_text(desk, actor_of(desk.config, "sam"), PLACE, "/ticket take T-2")
    with Session(engine) as s:
        pools = reports.unassigned_pools(s, ["console:local", "slack:T0SAMPLE", "teams:x"], 2)
        one_by_one = {
            scope: repo.queue(s, scope, limit=2)
            for scope in ("console:local", "slack:T0SAMPLE", "teams:x")
        }
    assert {k: [t.id for t in v] for k, v in pools.items()} == {
        k: [t.id for t in v] for k, v in one_by_one.items()
    }
    assert [t.summary for t in pools["console:local"]] == ["Console 0", "Console 2"]

    scheduler = Scheduler(desk, [CONSOLE, slack], timers=[])
    outcomes = scheduler.fire(scheduler.job("queue_reminder"), clock.now(), "posted")
    assert [(o.scope, o.posts) for o in outcomes] == [("console:local", 1), ("slack:T0SAMPLE", 1)]
    with Session(engine) as s:
        rows = s.exec(select(OutboxMessage).where(col(OutboxMessage.dedupe_key).like("fire:%")))
        by_scope = {r.scope: (r.platform, Message.from_dict(r.message)) for r in rows}
    assert by_scope["slack:T0SAMPLE"][0] == "slack"
    assert "Slack one" in text_of(by_scope["slack:T0SAMPLE"][1])
    assert "Console" not in text_of(by_scope["slack:T0SAMPLE"][1])
    console_text = text_of(by_scope["console:local"][1])
    assert "Console 0" in console_text and "Console 2" in console_text
    assert "Console 1" not in console_text  # taken
