"""Huddles through the router: the card, one open huddle per ticket, refusals, the outcome."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from handlers import router
from handlers.chat.model import Message, Place
from handlers.desk import Desk, ManualClock
from storage import huddles as store
from storage.db import session_scope
from tests.conftest import PLACE, actor_of
from tests.support import events, posts, snapshot, text_of, ticket

TEMPLATE_LINK = "https://meet.jit.si/deskbot-T-1-1-"


def say(desk: Desk, who: str, text: str, place: Place = PLACE):
    return router.handle_text(desk, actor_of(desk.config, who), place, text)


def db_failover(desk: Desk, extra: str = "") -> None:
    reply = say(desk, "lee", f"/ticket new DB failover #system {extra}".strip())
    assert reply.ok, reply


def huddle_posts(desk: Desk) -> list[tuple[dict, Message]]:
    return [(t, m) for t, m in posts(desk.engine) if ":huddle" in text_of(m) or t["thread"]]


def test_the_card_in_the_thread_says_everything_needed(desk: Desk) -> None:
    db_failover(desk, "| tried: restarted the replica")
    reply = say(desk, "lee", "/huddle T-1 split the work")
    assert reply.ok and reply.ephemeral
    assert "until 09:05" in reply.message.fallback and TEMPLATE_LINK in reply.message.fallback

    target, card = posts(desk.engine)[-1]
    assert target["kind"] == "channel" and target["name"] == "queue"
    assert target["thread"] == "console:local:T-1:card"  # under the ticket's card
    text = text_of(card)
    for wanted in (
        "Huddle on T-1 · split the work",
        "DB failover",
        "What was tried:** restarted the replica",
        "**Ends:** 09:05 (Asia/Shanghai)",
        TEMPLATE_LINK,
    ):
        assert wanted in text, wanted
    # Dana and Sofia (system experts, R), Mei (A); the caller is named, not pinged
    assert card.mentions == ["dana", "sofia", "mei"]
    assert "Lee Wang" in text
    join, outcome = card.buttons
    assert join.url is not None and join.url.startswith(TEMPLATE_LINK)
    assert (outcome.action_id, outcome.value) == ("huddle.outcome", "T-1")

    huddle_event = events(desk.engine, 1)[-1]
    assert huddle_event.kind == "huddle"
    assert huddle_event.detail["participants"] == ["dana", "sofia", "mei", "lee"]
    assert huddle_event.detail["topic"] == "split the work"
    assert ticket(desk.engine, 1).first_response_at == desk.now()


def test_without_a_topic_the_ticket_summary_is_the_topic(desk: Desk) -> None:
    db_failover(desk)
    assert say(desk, "dana", "huddle t1").ok
    _, card = posts(desk.engine)[-1]
    assert "Huddle on T-1 · DB failover" in text_of(card)


def test_extras_by_mention_join_once(desk: Desk) -> None:
    db_failover(desk)
    reply = say(desk, "lee", "/huddle T-1 db failover @omar @dana, @OMAR")
    assert reply.ok
    _, card = posts(desk.engine)[-1]
    assert card.mentions == ["dana", "sofia", "mei", "omar"]
    assert "Huddle on T-1 · db failover" in text_of(card)  # mentions are not the topic


def test_a_second_huddle_points_to_the_open_one(desk: Desk, clock: ManualClock) -> None:
    db_failover(desk)
    first = say(desk, "lee", "/huddle T-1 split the work")
    before = snapshot(desk.engine)
    again = say(desk, "dana", "/huddle T-1 another go")
    assert not again.ok
    assert "already has a huddle on until 09:05" in again.message.fallback
    assert TEMPLATE_LINK in again.message.fallback and TEMPLATE_LINK in first.message.fallback
    assert snapshot(desk.engine) == before
    # after its end, without an outcome, it still blocks, and says what to do
    clock.advance(dt.timedelta(minutes=7))
    later = say(desk, "dana", "/huddle T-1")
    assert not later.ok
    assert "ended at 09:05 and has no outcome yet" in later.message.fallback
    assert "/huddle end T-1 OUTCOME" in later.message.fallback
    # the card's Join button, pressed in the console, points to it too
    pressed = router.handle_action(desk, actor_of(desk.config, "dana"), PLACE, "huddle.join", "T-1")
    assert "ended at 09:05" in pressed.message.fallback


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("/huddle", "Which ticket?"),
        ("/huddle X-1 topic", "`X-1` is not a ticket id"),
        ("/huddle T-1 ask @bob", "I don't know @bob"),
        ("/huddle T-1 " + "x" * 201, "The topic is 201 characters"),
        ("/huddle end T-1", "What came out of the huddle?"),
        ("/huddle end", "Which ticket?"),
    ],
)
def test_bad_input_is_refused_with_the_reason_and_changes_nothing(
    desk: Desk, command: str, reason: str
) -> None:
    db_failover(desk)
    before = snapshot(desk.engine)
    reply = say(desk, "lee", command)
    assert not reply.ok and reply.ephemeral
    assert reason in reply.message.fallback
    assert "Usage: `/huddle" in reply.message.fallback
    assert snapshot(desk.engine) == before


def test_unknown_closed_resolved_and_unpermitted_are_refused(desk: Desk) -> None:
    db_failover(desk)
    unknown = say(desk, "lee", "/huddle T-9")
    assert not unknown.ok and unknown.message.fallback == "There is no ticket T-9 here."
    say(desk, "lee", "/ticket new Printer jam")
    assert say(desk, "lee", "/ticket take T-2").ok
    assert say(desk, "lee", "/ticket resolve T-2 new toner").ok
    resolved = say(desk, "lee", "/huddle T-2")
    assert not resolved.ok
    assert "T-2 is resolved: a huddle needs an open ticket" in resolved.message.fallback
    assert "/ticket reopen T-2" in resolved.message.fallback
    assert say(desk, "lee", "/ticket close T-2").ok
    closed = say(desk, "lee", "/huddle T-2")
    assert "T-2 is closed: a huddle needs an open ticket" in closed.message.fallback
    before = snapshot(desk.engine)
    qa = say(desk, "tom", "/huddle T-1")  # Tom is QA: not among who may call one
    assert not qa.ok and "may huddle T-1" in qa.message.fallback
    assert snapshot(desk.engine) == before
    with session_scope(desk.engine) as session:
        assert store.open_for(session, ticket(desk.engine, 2).id or 0) is None


def test_the_outcome_goes_on_the_ticket_and_in_the_thread(desk: Desk, clock: ManualClock) -> None:
    db_failover(desk)
    say(desk, "lee", "/huddle T-1 split the work")
    clock.advance(dt.timedelta(minutes=5, seconds=30))
    reply = say(desk, "dana", "/huddle end T-1 Dana owns failover, Lee checks backups")
    assert reply.ok and "Recorded the outcome of the T-1 huddle" in reply.message.fallback

    last = events(desk.engine, 1)[-1]
    assert last.kind == "huddle_outcome" and last.actor == "dana"
    assert last.detail["outcome"] == "Dana owns failover, Lee checks backups"
    outcome_post, card_edit = posts(desk.engine)[-2:]
    assert outcome_post[0]["thread"] == "console:local:T-1:card"
    assert "Huddle outcome** on T-1 from Dana Li: Dana owns failover" in text_of(outcome_post[1])
    assert card_edit[0]["replace"] == "console:local:T-1:huddle:1"  # the card, redrawn
    assert "(ended)" in text_of(card_edit[1]) and not card_edit[1].buttons

    shown = say(desk, "mei", "/ticket show T-1")
    assert "huddle outcome by Dana Li: Dana owns failover, Lee checks backups" in text_of(
        shown.message
    )
    # the huddle is over: a new one may start, numbered 2, and the old timers are cancelled
    with session_scope(desk.engine) as session:
        timers = store.timers(session, 1)
    assert {t.stage: t.result for t in timers} == {
        "warning": "cancelled",
        "end": "cancelled",
        "reminder": "cancelled",
    }
    assert say(desk, "lee", "/huddle T-1 round two").ok
    assert "deskbot-T-1-2-" in posts(desk.engine)[-1][1].fallback


def test_ending_needs_an_open_huddle_and_a_place_in_it(desk: Desk) -> None:
    db_failover(desk)
    none_open = say(desk, "lee", "/huddle end T-1 done")
    assert not none_open.ok and "T-1 has no open huddle" in none_open.message.fallback
    say(desk, "lee", "/huddle T-1")
    before = snapshot(desk.engine)
    outsider = say(desk, "carlos", "/huddle end T-1 we decided for them")
    assert not outsider.ok and "Only the people in the T-1 huddle" in outsider.message.fallback
    assert snapshot(desk.engine) == before
    # Mei is in (the A of cross-team coordination), so she may record it
    assert say(desk, "mei", "/huddle end T-1 Mei decides").ok


def test_the_ticket_card_has_a_huddle_button_while_open(desk: Desk) -> None:
    db_failover(desk)
    _, card = posts(desk.engine)[0]
    huddle = card.buttons[-1]
    assert (huddle.label, huddle.action_id, huddle.value) == ("Huddle", "huddle.start", "T-1")
    reply = router.handle_action(desk, actor_of(desk.config, "dana"), PLACE, "huddle.start", "T-1")
    assert reply.ok and "Huddle on T-1 until 09:05" in reply.message.fallback
    say(desk, "dana", "/huddle end T-1 fixed")
    say(desk, "dana", "/ticket take T-1")
    say(desk, "dana", "/ticket resolve T-1 failed over")
    resolved_card = posts(desk.engine)[-2][1]  # the card edit that came with the resolve
    assert "huddle.start" not in [b.action_id for b in resolved_card.buttons]


def test_the_outcome_form(desk: Desk) -> None:
    db_failover(desk)
    say(desk, "lee", "/huddle T-1")
    lee = actor_of(desk.config, "lee")
    asked = router.handle_action(desk, lee, PLACE, "huddle.outcome", "T-1")
    form = asked.form
    assert form is not None and form.form_id == "huddle.outcome"
    assert [(f.name, f.required, f.initial) for f in form.fields] == [
        ("ticket", True, "T-1"),
        ("decision", True, ""),
        ("owner", False, ""),
        ("next_step", False, ""),
    ]
    before = snapshot(desk.engine)
    empty = router.handle_form(desk, lee, PLACE, "huddle.outcome", {"ticket": "T-1"})
    assert not empty.ok and empty.form_errors == {"decision": "What was decided?"}
    bad = router.handle_form(desk, lee, PLACE, "huddle.outcome", {"ticket": "x", "decision": "a"})
    assert "ticket" in bad.form_errors
    assert snapshot(desk.engine) == before

    values = {
        "ticket": "T-1",
        "decision": "fail over to the standby",
        "owner": "dana",
        "next_step": "Lee checks backups",
    }
    done = router.handle_form(desk, lee, PLACE, "huddle.outcome", values)
    assert done.ok
    last = events(desk.engine, 1)[-1]
    assert last.detail["outcome"] == (
        "fail over to the standby · owner: Dana Li · next step: Lee checks backups"
    )
    assert last.detail["owner"] == "Dana Li" and last.detail["decision"] == values["decision"]
    again = router.handle_form(desk, lee, PLACE, "huddle.outcome", values)
    assert not again.ok and "T-1 has no open huddle" in again.message.fallback


def test_racing_callers_get_one_huddle_and_a_pointer_each(desk: Desk) -> None:
    db_failover(desk)
    barrier = threading.Barrier(4)
    replies: list = []

    def caller(who: str) -> None:
        barrier.wait()
        replies.append(say(desk, who, "/huddle T-1"))

    threads = [threading.Thread(target=caller, args=(w,)) for w in ("lee", "sam", "dana", "mei")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.ok for r in replies) == [False, False, False, True]
    assert all("already has a huddle" in r.message.fallback for r in replies if not r.ok)
    assert [e.kind for e in events(desk.engine, 1)].count("huddle") == 1
    assert len([m for _, m in posts(desk.engine) if "Huddle on T-1" in m.fallback]) == 1
