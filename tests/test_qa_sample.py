"""The daily QA sample: reproducible per date across processes, always with the low-score and
overdue tickets, and the checks recorded per ticket and check."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

from sqlmodel import Session, select

from handlers import router
from handlers.config.team import TeamConfig
from handlers.desk import Desk, ManualClock
from handlers.quality import sample
from schedules.driver import Outlet, Scheduler
from storage.db import make_engine
from storage.models import Ticket
from storage.quality import QaResult
from tests.conftest import PLACE, START, actor_of
from tests.support import events, posts, snapshot, text_of

CONSOLE = Outlet("console", "console:local")
TUESDAY_0930 = START + dt.timedelta(days=1, minutes=30)  # 09:30 local, the next working day


def say(desk: Desk, who: str, text: str):
    return router.handle_text(desk, actor_of(desk.config, who), PLACE, text)


def a_day_of_tickets(desk: Desk, clock: ManualClock, count: int = 12) -> None:
    """Monday: `count` tickets resolved; T-1 answered late (overdue), T-2 scored 2."""
    for n in range(1, count + 1):
        say(desk, "lee", f"/ticket new Problem {n} p2")
    for n in range(2, count + 1):
        assert say(desk, "sam", f"/ticket take T-{n}").ok
    clock.advance(dt.timedelta(minutes=45))  # T-1 waits past its 30-min clock
    assert say(desk, "sam", "/ticket take T-1").ok
    for n in range(1, count + 1):
        assert say(desk, "sam", f"/ticket resolve T-{n} done").ok
    router.handle_action(desk, actor_of(desk.config, "lee"), PLACE, "csat.score", "T-2:2")


def sampled(message_text: str) -> list[str]:
    return [line.split(" · ")[0] for line in message_text.splitlines() if line.startswith("T-")]


def test_the_sample_is_the_same_on_two_processes_and_goes_out_once(
    desk: Desk, clock: ManualClock
) -> None:
    a_day_of_tickets(desk, clock)
    url = desk.engine.url.render_as_string(hide_password=False)
    replicas = [Desk(desk.config, make_engine(url), ManualClock(TUESDAY_0930)) for _ in range(2)]
    for replica in replicas:
        scheduler = Scheduler(replica, [CONSOLE], timers=[])
        scheduler.fire(scheduler.job("qa_sample"), TUESDAY_0930, "posted")
        replica.engine.dispose()
    [(target, message)] = [(t, m) for t, m in posts(desk.engine) if "QA sample" in text_of(m)]
    assert (target["kind"], target["name"]) == ("person", "tom")
    keys = [b.text.split(" · ")[0] for b in message.blocks if b.type == "header"]
    # 10 % of 12 is 2 drawn, plus the overdue T-1 and the low-scored T-2 whatever the draw
    assert {"T-1", "T-2"} <= set(keys) and 3 <= len(keys) <= 4
    assert len(message.buttons) == 2 * 4 * len(keys)
    assert {b.value for b in message.buttons} >= {"T-2:timely", "T-2:satisfaction"}
    body = text_of(message)
    assert "overdue" in body and "low satisfaction" in body


def _draw_elsewhere(config: TeamConfig, tickets: list[Ticket]) -> list[int]:
    """The same draw in a fresh interpreter with its own hash seed: another replica."""
    code = (
        "import json, sys, datetime as dt\n"
        "from bot.config import load_team\n"
        "from handlers.quality import sample\n"
        "from storage.models import Ticket\n"
        "rows = json.load(sys.stdin)\n"
        "ts = [Ticket.model_validate(r) for r in rows]\n"
        "picked = sample.draw(load_team(None), 'console:local', dt.date(2026, 11, 23), ts, set())\n"
        "print(json.dumps([t.number for t, _ in picked]))\n"
    )
    rows = json.dumps([t.model_dump(mode="json") for t in tickets])
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    env.pop("DESKBOT_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-c", code], input=rows, capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_draw_depends_only_on_the_date(
    desk: Desk, clock: ManualClock, sample_team=None
) -> None:
    a_day_of_tickets(desk, clock, count=30)
    with Session(desk.engine) as session:
        tickets = list(session.exec(select(Ticket)))
    monday = dt.date(2026, 11, 23)
    here = [t.number for t, _ in sample.draw(desk.config, "console:local", monday, tickets, set())]
    assert here == _draw_elsewhere(desk.config, tickets)
    # 10 % of 30 is three drawn, plus the overdue T-1
    drawn = [t for t, why in sample.draw(desk.config, "console:local", monday, tickets, set())]
    assert len(drawn) in (3, 4) and 1 in [t.number for t in drawn]
    other = sample.draw(desk.config, "console:local", monday + dt.timedelta(days=7), tickets, set())
    assert [t.number for t, _ in other] != here  # another day, another draw


def test_checks_are_stored_per_ticket_and_check(desk: Desk, clock: ManualClock) -> None:
    a_day_of_tickets(desk, clock, count=1)
    press = router.handle_action(desk, actor_of(desk.config, "tom"), PLACE, "qa.fail", "T-1:timely")
    assert press.ok and "timely response failed" in press.message.fallback
    assert say(
        desk, "tom", "/ticket qa T-1 timely pass rechecked the clock"
    ).ok  # the last word wins
    assert say(desk, "tom", "/ticket qa T-1 solution pass").ok
    before = snapshot(desk.engine)
    for who, text, reason in (
        ("lee", "/ticket qa T-1 solution pass", "Only the QA specialist"),
        ("tom", "/ticket qa T-1 speed pass", "Unknown QA check"),
        ("tom", "/ticket qa T-1 solution maybe", "Say pass or fail"),
    ):
        reply = say(desk, who, text)
        assert not reply.ok and reason in reply.message.fallback
    assert snapshot(desk.engine) == before
    with Session(desk.engine) as session:
        rows = sorted((r.check, r.passed, r.note) for r in session.exec(select(QaResult)))
    assert rows == [("solution", True, ""), ("timely", True, "rechecked the clock")]
    assert [e.kind for e in events(desk.engine, 1)][-3:] == ["qa_check"] * 3


def test_nothing_finished_yesterday_posts_nothing(desk: Desk) -> None:
    scheduler = Scheduler(desk, [CONSOLE], timers=[])
    [outcome] = scheduler.fire(scheduler.job("qa_sample"), TUESDAY_0930, "posted")
    assert outcome.posts == 0 and posts(desk.engine) == []
