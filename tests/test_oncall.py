"""On-call rotas: `/oncall`, overrides that expire, hand-offs the reminders follow."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from handlers import router
from handlers.chat.model import Reply
from handlers.config.team import TeamConfig
from handlers.desk import Desk, ManualClock
from schedules.driver import Outlet, Scheduler
from schedules.response_clocks import RESPONSE_CLOCKS
from storage.models import OncallOverride
from tests.conftest import PLACE, actor_of
from tests.support import posts, text_of
from tests.test_response_clocks import at
from tests.test_schedule_console import deskbot

MINUTE = dt.timedelta(minutes=1)
CONSOLE = Outlet("console", "console:local")


def say(desk: Desk, who: str, text: str) -> Reply:
    return router.handle_text(desk, actor_of(desk.config, who), PLACE, text)


def reconfigured(sample: TeamConfig, **changes: Any) -> TeamConfig:
    data = sample.model_dump()
    for key, value in changes.items():
        data[key] = value
    return TeamConfig.model_validate(data)


def overrides(desk: Desk) -> list[OncallOverride]:
    with Session(desk.engine) as s:
        return list(s.exec(select(OncallOverride)))


def test_oncall_lists_who_is_on_now_and_next(desk: Desk, clock: ManualClock) -> None:
    clock.set(at(desk.config, "2026-11-27T17:50"))
    reply = say(desk, "lee", "/oncall")
    text = text_of(reply.message)
    assert "L1 support engineer**: Lee Wang, Sam Okafor" in text  # static flags: a rota of one
    assert "#network** (`l2-network`): Kim Park, Raj Patel" in text
    assert "#system** (`l2-system`): Sofia Rossi · next: Dana Li from Mon 30 Nov 09:00" in text
    assert "#application** (`l2-application`): Sofia Rossi · next: Omar Haddad" in text
    one = text_of(say(desk, "lee", "/oncall #system").message)
    assert "Sofia Rossi" in one and "network" not in one


def test_take_until_a_time_pages_the_taker_then_expires(desk: Desk, clock: ManualClock) -> None:
    config = desk.config
    clock.set(at(config, "2026-11-27T17:50"))
    reply = say(desk, "dana", "/oncall take l2-system until 18:30")
    assert reply.ok and not reply.ephemeral
    assert "Dana Li is on call for L2 technical expert #system until Fri 18:30 instead of " in (
        reply.message.fallback
    )
    [row] = overrides(desk)  # the audit: who, instead of whom, until when, set by whom
    assert (row.person, row.replaces, row.kind, row.created_by) == ("dana", "sofia", "take", "dana")
    assert "Dana Li · take until Fri 18:30" in text_of(say(desk, "lee", "/oncall system").message)
    assert say(desk, "lee", "/ticket new Payroll DB down #system p1").ok
    now = clock.now()
    while now <= at(config, "2026-11-27T18:50"):
        clock.set(now)
        RESPONSE_CLOCKS.fire_due(desk, now)
        now += 5 * MINUTE
    pages = [t["name"] for t, _ in posts(desk.engine) if t["kind"] == "person"]
    # 18:05 and 18:20 to Dana; from 18:30 the override is over: 18:35 and 18:50 to Sofia
    assert pages == ["dana", "dana", "sofia", "sofia"]
    assert "Sofia Rossi · next" in text_of(say(desk, "lee", "/oncall system").message)


def test_give_hands_my_shift_and_bad_requests_change_nothing(
    desk: Desk, clock: ManualClock
) -> None:
    clock.set(at(desk.config, "2026-11-27T17:50"))
    for who, text, reason in [
        ("dana", "/oncall give @sofia", "You are not on call now"),
        ("tom", "/oncall take l2-system", "Tom Berg does not hold the role"),
        ("sofia", "/oncall give @tom system", "tom does not hold the role"),
        ("sofia", "/oncall take l2-system", "You are already on call"),
        ("dana", "/oncall take nothing", "No on-call rota matches `nothing`"),
        ("dana", "/oncall take l2-system until 25:00", "`25:00` is not a time"),
        ("sofia", "/oncall give", "Give your shift to whom?"),
    ]:
        reply = say(desk, who, text)
        assert not reply.ok and reason in reply.message.fallback, (text, reply.message.fallback)
    assert overrides(desk) == []
    reply = say(desk, "sofia", "/oncall give @dana system")
    assert reply.ok, reply.message.fallback
    assert "Dana Li is on call for L2 technical expert #system until Mon 09:00 instead of " in (
        reply.message.fallback
    )
    assert "`l2-system`): Dana Li" in text_of(say(desk, "lee", "/oncall").message)


def test_a_handoff_at_0900_changes_who_the_0900_reminder_mentions(
    sample: TeamConfig, engine: Any
) -> None:
    oncall = {
        "handoff_note": True,
        "rotas": [
            {
                "id": "l1",
                "role": "l1",
                "members": ["lee", "sam", "ana"],
                "every": "daily",
                "handoff": "09:00",
                "hours": "working",
                "since": "2026-11-02",
            }
        ],
    }
    config = reconfigured(sample, oncall=oncall)
    clock = ManualClock(at(config, "2026-11-23T16:00"))  # Monday: rota day 21, Lee's
    desk = Desk(config, engine, clock)
    assert say(desk, "grace", "/ticket new Printer offline #system p3 via:phone").ok
    scheduler = Scheduler(desk, [CONSOLE])
    list(scheduler.walk(clock.now(), at(config, "2026-11-24T09:01"), clock.set))
    reminders = [m for t, m in posts(engine) if "Queue check" in m.fallback]
    assert [m.mentions for m in reminders] == [["lee"], ["sam"]]  # Mon 17:00, Tue 09:00
    [(target, note)] = [(t, m) for t, m in posts(engine) if t["kind"] == "person"]
    assert target["name"] == "sam"
    assert "Your on-call shift for **L1 support engineer** starts now and runs until " in (
        note.blocks[0].text  # type: ignore[attr-defined]
    )
    assert "Lee Wang handed over" in note.fallback or "Lee Wang handed over" in text_of(note)


def test_done_when_console_session(tmp_path: Path) -> None:
    done = deskbot(
        tmp_path,
        "console",
        stdin=":time 2026-11-27T17:50\n/ticket new Payroll DB down #system p1\n"
        ":time 2026-11-27T19:00\n/oncall\n",
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout.split("> :time 2026-11-27T19:00", 1)[1]
    whys = [line.strip() for line in out.splitlines() if "notice. Stops when" in line]
    # nudge 17:55, breach 18:05, then every 15 min: 18:20, 18:35, 18:50 (channel and DM)
    assert [w.split(",")[1].strip() for w in whys] == [
        "no first response for 5 min",
        "no first response for 15 min",
        "no first response for 15 min",
        "no first response for 30 min",
        "no first response for 30 min",
        "no first response for 45 min",
        "no first response for 45 min",
        "no first response for 1 h",
        "no first response for 1 h",
    ]
    assert out.count("[post → DM @Sofia Rossi · mentions: @Sofia Rossi]") == 4
    assert "Breach: T-1 (P1) Payroll DB down" in out
    listing = out.split("> /oncall", 1)[1]
    assert "L1 support engineer: Lee Wang, Sam Okafor" in listing
    for specialty in ("#network", "#system", "#application"):
        assert f"L2 technical expert {specialty}" in listing


def test_roster_and_dispatch_tags_follow_the_rota(desk: Desk, clock: ManualClock) -> None:
    clock.set(at(desk.config, "2026-11-27T10:00"))  # Sofia's week on #system
    roster = text_of(say(desk, "lee", "/roster l2").message)
    assert "Sofia Rossi (application, system) · on duty" in roster
    assert "Dana Li (system);" in roster or "Dana Li (system)\n" in roster + "\n"
    assert say(desk, "lee", "/ticket new Payroll DB down #system p2").ok
    assert say(desk, "lee", "/ticket dispatch T-1 restarted the service").ok
    [thread] = [m for _, m in posts(desk.engine) if "dispatched to L2" in m.fallback]
    r_line = next(line for line in text_of(thread).splitlines() if line.startswith("- **R**"))
    # the R of the dispatch activity: the L2 on call for #system now, not every expert
    # (who the ticket goes to, "L2 experts:", is the workflow's dispatch rule)
    assert "\ue000sofia\ue001" in r_line and "dana" not in r_line
