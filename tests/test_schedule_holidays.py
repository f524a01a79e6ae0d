"""A weekly ritual whose day is a public holiday moves to a working day and says so."""

from __future__ import annotations

from typing import Any

from handlers.config.team import TeamConfig
from handlers.desk import Desk, ManualClock
from schedules.driver import Outlet, Scheduler
from tests.support import posts, text_of
from tests.test_response_clocks import at

CONSOLE = Outlet("console", "console:local")


def walk(config: TeamConfig, engine: Any, start: str, end: str) -> list[str]:
    clock = ManualClock(at(config, start))
    desk = Desk(config, engine, clock)
    scheduler = Scheduler(desk, [CONSOLE])
    seen = []
    for step in scheduler.walk(clock.now(), at(config, end), clock.set):
        seen.append(step)
    return [text_of(m) for _, m in posts(engine)]


def with_review(sample: TeamConfig, on_holiday: str) -> TeamConfig:
    data = sample.model_dump()
    for meeting in data["meetings"]:
        if meeting["id"] == "weekly_review":
            meeting["on_holiday"] = on_holiday
    return TeamConfig.model_validate(data)


def test_holiday_friday_review_is_posted_on_thursday_and_says_so(
    sample: TeamConfig, engine: Any
) -> None:
    # Friday 25 September 2026 is the Mid-Autumn Festival in China
    texts = walk(sample, engine, "2026-09-24T08:00", "2026-09-25T23:00")
    reviews = [t for t in texts if "Weekly review (每周回顾)" in t and not t.startswith("Chart")]
    assert len(reviews) == 1
    assert "Thu 24 Sep, 15:00" in reviews[0]
    assert "Moved from Fri 25 Sep, a public holiday (Mid-Autumn Festival)." in reviews[0]
    # the L2 weekly report reminder moves the same way
    drafts = [t for t in texts if "Your weekly complex-problem report" in t]
    missing = [t for t in texts if "Weekly complex-problem reports" in t]
    assert len(drafts) == 5 and all("Moved from Fri 25 Sep" in t for t in drafts)
    assert len(missing) == 1 and "Moved from Fri 25 Sep" in missing[0]


def test_next_working_day_and_skip(sample: TeamConfig, engine: Any) -> None:
    later = with_review(sample, "next_working_day")
    texts = walk(later, engine, "2026-09-24T08:00", "2026-09-28T23:00")
    [review] = [t for t in texts if "Weekly review (每周回顾)" in t and not t.startswith("Chart")]
    # Sat 26 Sep is not a working day and no make-up day: Monday 28th
    assert "Mon 28 Sep, 15:00" in review and "Moved from Fri 25 Sep" in review


def test_skip_keeps_the_old_behaviour(sample: TeamConfig, engine: Any) -> None:
    skipped = with_review(sample, "skip")
    texts = walk(skipped, engine, "2026-09-24T08:00", "2026-09-25T23:00")
    assert not [t for t in texts if "Weekly review 每周回顾" in t]
