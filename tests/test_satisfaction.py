"""The satisfaction survey and its QA follow-up, through the router, on every backend."""

from __future__ import annotations

import datetime as dt

from handlers import router
from handlers.chat.model import Place
from handlers.desk import Desk, ManualClock
from schedules.quality_timers import SURVEY_REMINDERS
from tests.conftest import PLACE, actor_of
from tests.support import events, posts, snapshot, text_of


def say(desk: Desk, who: str, text: str, place: Place = PLACE):
    return router.handle_text(desk, actor_of(desk.config, who), place, text)


def press(desk: Desk, who: str, action: str, value: str):
    return router.handle_action(desk, actor_of(desk.config, who), PLACE, action, value)


def resolved(desk: Desk, clock: ManualClock, reporter: str = "@omar") -> None:
    """T-1 reported by Omar, logged and resolved by Lee."""
    assert say(desk, "lee", f"/ticket new Mail bounces #application | reporter: {reporter}").ok
    assert say(desk, "lee", "/ticket take T-1").ok
    clock.advance(dt.timedelta(minutes=20))
    assert say(desk, "lee", "/ticket resolve T-1 cleared the mail queue").ok


def surveys(desk: Desk) -> list:
    return [
        (t, m) for t, m in posts(desk.engine) if any(b.action_id == "csat.score" for b in m.buttons)
    ]


def test_resolving_asks_the_reporter_with_five_buttons(desk: Desk, clock: ManualClock) -> None:
    resolved(desk, clock)
    [(target, message)] = surveys(desk)
    assert (target["kind"], target["name"]) == ("person", "omar")
    assert [b.value for b in message.buttons] == [f"T-1:{n}" for n in range(1, 6)]
    assert "cleared the mail queue" in text_of(message)


def test_an_outsider_reporter_is_asked_through_whoever_logged_it(
    desk: Desk, clock: ManualClock
) -> None:
    assert say(desk, "lee", "/ticket new Printer jam | reporter: Mrs Wu from finance").ok
    say(desk, "lee", "/ticket take T-1")
    say(desk, "lee", "/ticket resolve T-1 cleared")
    [(target, message)] = surveys(desk)
    assert target["name"] == "lee"
    assert "by phone" in text_of(message) and "Mrs Wu" in text_of(message)


def test_a_two_records_one_score_and_pings_qa_in_the_thread(desk: Desk, clock: ManualClock) -> None:
    resolved(desk, clock)
    before = len(posts(desk.engine))
    reply = press(desk, "omar", "csat.score", "T-1:2")
    assert reply.ok and "2/5" in reply.message.fallback
    new = posts(desk.engine)[before:]
    [(target, ping)] = new
    assert target["thread"] == "console:local:T-1:card"
    assert ping.mentions == ["tom"]
    assert [b.action_id for b in ping.buttons] == ["qa.cause"]
    kinds = [e.kind for e in events(desk.engine, 1)]
    assert kinds[-2:] == ["csat", "qa_flag"]
    # the QA specialist's press opens the root-cause form; the answer joins the history
    form = press(desk, "tom", "qa.cause", "T-1").form
    assert form is not None and form.form_id == "qa.cause"
    done = router.handle_form(
        desk, actor_of(desk.config, "tom"), PLACE, "qa.cause", {"ticket": "T-1", "cause": "slow"}
    )
    assert done.ok
    assert events(desk.engine, 1)[-1].kind == "qa_cause"
    shown = text_of(say(desk, "lee", "/ticket show T-1").message)
    assert "satisfaction score by Omar Haddad: 2/5" in shown
    assert "quality follow-up by Tom Berg: slow" in shown


def test_one_answer_per_resolution_changeable_within_the_window(
    desk: Desk, clock: ManualClock
) -> None:
    resolved(desk, clock)
    press(desk, "omar", "csat.score", "T-1:5")
    changed = press(desk, "omar", "csat.score", "T-1:4")
    assert changed.ok and "Changed" in changed.message.fallback
    clock.advance(dt.timedelta(days=1, minutes=1))
    before = snapshot(desk.engine)
    late = press(desk, "omar", "csat.score", "T-1:1")
    assert not late.ok and "time to change it has passed" in late.message.fallback
    assert snapshot(desk.engine) == before
    # reopened and resolved again: asked again, and a new answer counts
    say(desk, "omar", "/ticket reopen T-1 bounces again")
    say(desk, "lee", "/ticket take T-1")
    say(desk, "lee", "/ticket resolve T-1 fixed the MX record")
    assert len(surveys(desk)) == 2
    assert press(desk, "omar", "csat.score", "T-1:3").ok


def test_a_score_by_phone_and_bad_scores(desk: Desk, clock: ManualClock) -> None:
    resolved(desk, clock, reporter="Mr Li")
    before = snapshot(desk.engine)
    bad = say(desk, "sam", "/ticket csat T-1 7")
    assert not bad.ok and "`7` is not a score" in bad.message.fallback
    assert "Usage: `/ticket csat" in bad.message.fallback
    assert not say(desk, "tom", "/ticket csat T-1 4").ok  # QA does not take calls
    assert snapshot(desk.engine) == before
    assert say(desk, "sam", "/ticket csat T-1 4 happy with the quick fix").ok
    [score] = [e for e in events(desk.engine, 1) if e.kind == "csat"]
    assert score.detail == {"score": 4, "comment": "happy with the quick fix", "via": "phone"}


def test_an_open_ticket_has_no_score(desk: Desk) -> None:
    say(desk, "lee", "/ticket new Printer jam")
    reply = say(desk, "lee", "/ticket csat T-1 5")
    assert not reply.ok and "not resolved" in reply.message.fallback


def test_no_answer_one_reminder_then_nothing(desk: Desk, clock: ManualClock) -> None:
    resolved(desk, clock)
    due = SURVEY_REMINDERS.next_due(desk, desk.now())
    assert due == desk.now() + dt.timedelta(minutes=desk.config.quality.survey.reminder_after)
    clock.set(due)
    assert SURVEY_REMINDERS.fire_due(desk, due) == 1
    assert SURVEY_REMINDERS.fire_due(desk, due) == 0  # a second replica or a restart
    [_, reminder] = surveys(desk)
    assert "Reminder" in text_of(reminder[1])
    assert SURVEY_REMINDERS.next_due(desk, due) is None


def test_an_answer_cancels_the_reminder(desk: Desk, clock: ManualClock) -> None:
    resolved(desk, clock)
    press(desk, "omar", "csat.score", "T-1:5")
    assert SURVEY_REMINDERS.next_due(desk, desk.now()) is None


def test_a_resolution_after_a_reopen_gets_its_own_reminder(desk: Desk, clock: ManualClock) -> None:
    """The first resolution's reminder went out; reopened and resolved again, the new
    resolution is unanswered and unreminded: one more reminder, for it."""
    wait = dt.timedelta(minutes=desk.config.quality.survey.reminder_after)
    resolved(desk, clock)
    clock.advance(wait)
    assert SURVEY_REMINDERS.fire_due(desk, desk.now()) == 1
    clock.advance(dt.timedelta(minutes=10))
    say(desk, "omar", "/ticket reopen T-1 bounces again")
    clock.advance(dt.timedelta(minutes=10))
    say(desk, "lee", "/ticket resolve T-1 fixed the relay for good")
    again = desk.now() + wait
    assert SURVEY_REMINDERS.next_due(desk, desk.now()) == again
    clock.set(again)
    assert SURVEY_REMINDERS.fire_due(desk, again) == 1
    assert SURVEY_REMINDERS.next_due(desk, again) is None
