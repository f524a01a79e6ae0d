"""Improvement suggestions: recorded, listed, moved on, and on the monthly planning agenda."""

from __future__ import annotations

import datetime as dt

from handlers import router
from handlers.desk import Desk, ManualClock
from schedules.driver import Outlet, Scheduler
from tests.conftest import PLACE, actor_of
from tests.support import posts, snapshot, text_of


def say(desk: Desk, who: str, text: str):
    return router.handle_text(desk, actor_of(desk.config, who), PLACE, text)


def test_suggestions_are_recorded_listed_and_moved_on(desk: Desk) -> None:
    assert "No open improvement suggestions" in text_of(say(desk, "sam", "/suggest").message)
    first = say(desk, "sam", "/suggest Put the VPN guide in the portal")
    assert first.ok and "S-1" in first.message.fallback
    say(desk, "raj", "/suggest Keep spare optics on site")
    listing = text_of(say(desk, "lee", "/suggest list").message)
    assert "**S-1** Put the VPN guide in the portal · new · Sam Okafor" in listing
    assert "**S-2** Keep spare optics on site" in listing
    before = snapshot(desk.engine)
    refused = say(desk, "sam", "/suggest accept S-1")
    assert not refused.ok and "Only Team lead or" in refused.message.fallback
    assert snapshot(desk.engine) == before
    assert not say(desk, "mei", "/suggest done S-9").ok
    assert "accepted" in say(desk, "mei", "/suggest accept S-1").message.fallback
    assert say(desk, "paul", "/suggest done S-2").ok
    listing = text_of(say(desk, "lee", "/suggest").message)
    assert "**S-1** Put the VPN guide in the portal · accepted" in listing and "S-2" not in listing


def test_monthly_planning_lists_the_open_suggestions(desk: Desk, clock: ManualClock) -> None:
    say(desk, "sam", "/suggest Put the VPN guide in the portal")
    planning = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)  # Tue 1 Dec 10:00 local
    clock.set(planning)
    scheduler = Scheduler(desk, [Outlet("console", "console:local")], timers=[])
    scheduler.fire(scheduler.job("monthly_planning"), planning, "posted")
    [agenda] = [m for _, m in posts(desk.engine) if text_of(m).startswith("Monthly planning")]
    body = text_of(agenda)
    assert "**Open improvement suggestions** (1)" in body
    assert "**S-1** Put the VPN guide in the portal" in body
    assert "Improvement suggestions: 1 (target ≥ 5 a month)" in body
