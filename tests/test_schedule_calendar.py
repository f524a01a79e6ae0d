"""When jobs fire: `when` strings, the team's zone across DST, holidays and make-up days."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bot.config import SAMPLE_CONFIG, read
from handlers.config.jobs import QueueReminders
from handlers.config.team import TeamConfig
from handlers.config.when import parse_when
from handlers.config.workdays import calendar
from handlers.tickets import clocks
from schedules.jobs import jobs_for
from schedules.triggers import fire_times, next_times, trigger_for

UTC = dt.UTC


def local_times(config: TeamConfig, whens: tuple[str, ...], start: str, end: str) -> list[str]:
    zone = config.team.zone
    a = dt.datetime.fromisoformat(start).replace(tzinfo=zone)
    b = dt.datetime.fromisoformat(end).replace(tzinfo=zone)
    trigger = trigger_for(config.team, whens)
    return [f"{t.astimezone(zone):%a %Y-%m-%d %H:%M}" for t in fire_times(trigger, a, b)]


def berlin(sample: TeamConfig) -> TeamConfig:
    """A Berlin team working every day, so its 09:00 job also runs on the DST Sundays."""
    team = sample.team.model_copy(
        update={
            "timezone": "Europe/Berlin",
            "holidays_country": "DE",
            "working_days": ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
        }
    )
    return sample.model_copy(update={"team": team})


@pytest.mark.parametrize(
    ("text", "days", "time", "weekdays"),
    [
        ("09:30", "working", dt.time(9, 30), ()),
        ("daily 18:00", "daily", dt.time(18, 0), ()),
        ("Fri 15:00", "weekdays", dt.time(15, 0), (4,)),
        ("mon,thu 9", "weekdays", dt.time(9, 0), (0, 3)),
        ("first-working-day 10:00", "first-working-day", dt.time(10, 0), ()),
    ],
)
def test_when_strings_parse(text: str, days: str, time: dt.time, weekdays: tuple) -> None:
    when = parse_when(text)
    assert (when.days, when.time, when.weekdays) == (days, time, weekdays)


@pytest.mark.parametrize("text", ["", "25:00", "fri", "someday 09:00", "fri 9:60", "a b c"])
def test_bad_when_strings_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_when(text)


def test_check_config_names_the_bad_time_and_unknown_roles(tmp_path: Path) -> None:
    raw = yaml.safe_load(SAMPLE_CONFIG.read_text("utf-8"))
    raw["meetings"][0]["when"] = "someday 09:30"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    _, config, problems = read(str(bad))
    assert config is None
    assert any(p.place == "meetings > standup > when" and "someday" in p.message for p in problems)

    raw["meetings"][0]["when"] = "09:30"
    raw["schedules"]["clocks"]["breach"] = ["desk_boss"]
    raw["team"]["holidays_country"] = "XX"
    raw["meetings"][1]["id"] = "queue_reminder"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    _, config, problems = read(str(bad))
    text = "\n".join(f"{p.severity}: {p.place}: {p.message}" for p in problems)
    assert "error: schedules > clocks > breach: unknown role 'desk_boss'" in text
    assert "error: team > holidays_country: 'XX' is not a country" in text
    assert "error: meetings > queue_reminder: this id names a scheduled job" in text


def test_sample_defaults_are_the_seeds(sample: TeamConfig) -> None:
    jobs = {job.id: job for job in jobs_for(sample)}
    assert {j.kind for j in jobs.values()} == {
        "standup",
        "weekly_review",
        "monthly_planning",
        "queue_reminder",
        "l2_weekly_report",
        "l2_report_reminder",
        "manager_digest",
        "qa_sample",
        "quality_report",
    }
    assert jobs["queue_reminder"].whens == ("09:00", "14:00", "17:00")
    assert jobs["standup"].whens == ("09:30",)
    assert jobs["weekly_review"].whens == ("fri 15:00",)
    assert jobs["monthly_planning"].whens == ("first-working-day 10:00",)
    assert jobs["l2_weekly_report"].whens == ("fri 17:00",)
    assert jobs["l2_report_reminder"].whens == ("fri 15:00",)
    assert jobs["qa_sample"].whens == ("09:30",)
    assert jobs["quality_report"].whens == ("first-working-day 09:00",)
    assert jobs["manager_digest"].whens == ("18:00",)
    assert sample.schedules.grace_minutes == 60
    # and with no `schedules:` section at all, the same defaults
    assert (
        TeamConfig.model_validate({**sample.model_dump(exclude={"schedules"})}).schedules
        == sample.schedules
    )


@pytest.mark.parametrize(
    ("day", "utc"),
    [("2026-03-29", "2026-03-29T07:00:00+00:00"), ("2026-10-25", "2026-10-25T08:00:00+00:00")],
)
def test_berlin_09_00_fires_once_on_each_dst_change_day(
    sample: TeamConfig, day: str, utc: str
) -> None:
    team = berlin(sample)
    zone = team.team.zone
    trigger = trigger_for(team.team, ("09:00",))
    start = dt.datetime.fromisoformat(f"{day}T00:00").replace(tzinfo=zone)
    fires = list(fire_times(trigger, start, start + dt.timedelta(hours=24)))
    assert [f.isoformat() for f in fires] == [utc]
    assert fires[0].astimezone(zone).strftime("%H:%M") == "09:00"


def test_a_time_the_dst_change_repeats_fires_once(sample: TeamConfig) -> None:
    team = berlin(sample)
    assert local_times(team, ("02:30",), "2026-10-24T12:00", "2026-10-26T12:00") == [
        "Sun 2026-10-25 02:30",
        "Mon 2026-10-26 02:30",
    ]


def test_china_skips_national_day_and_works_its_make_up_days(sample: TeamConfig) -> None:
    days = local_times(sample, ("09:00",), "2026-09-18T12:00", "2026-10-12T12:00")
    assert days == [
        "Sun 2026-09-20 09:00",  # make-up working day
        "Mon 2026-09-21 09:00",
        "Tue 2026-09-22 09:00",
        "Wed 2026-09-23 09:00",
        "Thu 2026-09-24 09:00",  # Fri 25th: Mid-Autumn Festival
        "Mon 2026-09-28 09:00",
        "Tue 2026-09-29 09:00",
        "Wed 2026-09-30 09:00",  # 1 to 7 October: National Day holidays
        "Thu 2026-10-08 09:00",
        "Fri 2026-10-09 09:00",
        "Sat 2026-10-10 09:00",  # make-up working day
        "Mon 2026-10-12 09:00",
    ]
    assert calendar(sample.team).holiday(dt.date(2026, 10, 1)) == "National Day"


def test_weekly_and_monthly_times_follow_the_calendar(sample: TeamConfig) -> None:
    # the Friday of National Day week is a holiday: no review that week
    assert local_times(sample, ("fri 15:00",), "2026-09-26T00:00", "2026-10-17T00:00") == [
        "Fri 2026-10-09 15:00",
        "Fri 2026-10-16 15:00",
    ]
    trigger = trigger_for(sample.team, ("first-working-day 10:00",))
    firsts = next_times(trigger, dt.datetime(2025, 12, 31, tzinfo=UTC), 3)
    zone = sample.team.zone
    # 1 Jan holiday, 2 Jan day off, 4 Jan a make-up Sunday; February starts on a Sunday
    assert [f"{t.astimezone(zone):%a %Y-%m-%d %H:%M}" for t in firsts] == [
        "Sun 2026-01-04 10:00",
        "Mon 2026-02-02 10:00",
        "Mon 2026-03-02 10:00",
    ]
    assert local_times(
        sample, ("last-working-day 16:00",), "2026-09-01T00:00", "2026-10-31T23:00"
    ) == [
        "Wed 2026-09-30 16:00",
        "Fri 2026-10-30 16:00",
    ]


def test_daily_fires_on_weekends_and_holidays_too(sample: TeamConfig) -> None:
    assert local_times(sample, ("daily 18:00",), "2026-10-01T00:00", "2026-10-03T23:00") == [
        "Thu 2026-10-01 18:00",
        "Fri 2026-10-02 18:00",
        "Sat 2026-10-03 18:00",
    ]


def test_a_job_can_be_moved_and_turned_off(sample: TeamConfig) -> None:
    moved = sample.model_copy(
        update={
            "schedules": sample.schedules.model_copy(
                update={"queue_reminders": QueueReminders(when=("08:45", "16:30"), enabled=False)}
            )
        }
    )
    job = next(j for j in jobs_for(moved) if j.id == "queue_reminder")
    assert not job.enabled
    zone = sample.team.zone
    nexts = next_times(job.trigger, dt.datetime(2026, 11, 22, 16, 0, tzinfo=UTC), 2)
    assert [f"{t.astimezone(zone):%H:%M}" for t in nexts] == ["08:45", "16:30"]


def test_working_hours_clock_for_p3_and_round_the_clock_for_p2(sample: TeamConfig) -> None:
    zone = sample.team.zone

    def at(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text).replace(tzinfo=zone)

    friday_late = at("2026-11-27T17:50")
    assert clocks.deadline(sample, "p3", friday_late, 30) == at("2026-11-30T09:20")
    assert clocks.deadline(sample, "p2", friday_late, 30) == at("2026-11-27T18:20")
    # logged on a holiday: the clock starts on the next working day
    assert clocks.deadline(sample, "p4", at("2026-10-01T10:00"), 20) == at("2026-10-08T09:20")
    # ... and the make-up Saturday counts
    assert clocks.deadline(sample, "p3", at("2026-10-09T17:45"), 30) == at("2026-10-10T09:15")
    assert clocks.elapsed(sample, "p3", friday_late, at("2026-11-30T09:20")) == dt.timedelta(
        minutes=30
    )
    assert clocks.elapsed(sample, "p1", friday_late, at("2026-11-27T18:20")) == dt.timedelta(
        minutes=30
    )
