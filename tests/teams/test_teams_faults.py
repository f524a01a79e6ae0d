"""Faults on the Teams path: a throttled reply, a conversation the bot was removed from,
input that cannot be stored."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlmodel import Session, select

from handlers.chat.model import Message, Post, Target, Text
from handlers.commands.fields import LIMITS
from storage import conversations
from storage.db import session_scope
from storage.models import OutboxMessage, TeamsConversation, Ticket
from tests.teams.conftest import BOT, MANAGERS, QUEUE, TENANT, Rig, install, message, press

SCOPE = f"teams:{TENANT}"


def outbox(rig: Rig) -> list[OutboxMessage]:
    with Session(rig.desk.engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))  # type: ignore[arg-type]


def enqueue(rig: Rig, key: str, text: str = "Weekly review at 15:00") -> None:
    with session_scope(rig.desk.engine) as session:
        post = Post(Target("channel", "managers"), Message((Text(text),), text), key)
        rig.desk.post(session, "teams", SCOPE, post)


def inactive(rig: Rig) -> list[TeamsConversation]:
    with Session(rig.desk.engine) as session:
        return conversations.inactive_conversations(session)


# -- 7: a throttled reply --------------------------------------------------------------------


async def test_a_throttled_reply_is_sent_after_retry_after_in_the_askers_thread(
    rig: Rig,
) -> None:
    rig.connector.fail_next = [(429, {"Retry-After": "5"})]
    asked = message(rig, "queue", ident="ask-1")
    status, _ = await rig.post(asked)
    assert status == 200
    (throttled,) = rig.connector.posts()  # the reply, refused with 429

    [row] = outbox(rig)
    assert row.status == "pending"
    assert row.next_attempt_at == rig.desk.now() + dt.timedelta(seconds=5)
    await rig.deliver()
    assert len(rig.connector.posts()) == 1  # not before Teams said so

    rig.desk.clock.advance(dt.timedelta(seconds=5))  # type: ignore[attr-defined]
    await rig.deliver()
    _, answer = rig.connector.posts()
    assert answer.conversation == f"{QUEUE};messageid=ask-1"  # in the asker's thread
    assert answer.body["text"] == throttled.body["text"]
    assert [r.status for r in outbox(rig)] == ["sent"]

    await rig.post(asked)  # Teams delivers the same activity again: no second answer
    await rig.deliver()
    assert len(rig.connector.posts()) == 2


async def test_a_reply_that_may_have_reached_teams_is_not_queued_again(rig: Rig) -> None:
    rig.connector.drop_next = 1  # the request arrived; the answer is lost
    status, _ = await rig.post(message(rig, "queue"))
    assert status == 200
    await rig.deliver()
    assert len(rig.connector.posts()) == 1
    assert outbox(rig) == []


# -- 11: removed from a conversation ---------------------------------------------------------


async def test_a_403_marks_the_conversation_inactive_and_later_posts_are_skipped_quietly(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    await rig.post(install(rig, MANAGERS))
    enqueue(rig, "p1")
    rig.connector.fail_next = [(403, {})]
    await rig.deliver()
    assert [c.conversation_id for c in inactive(rig)] == [MANAGERS]
    assert "403" in inactive(rig)[0].inactive_reason

    enqueue(rig, "p2")
    enqueue(rig, "p3")
    caplog.clear()
    with caplog.at_level(logging.INFO):
        await rig.deliver()
    assert len(rig.connector.posts(MANAGERS)) == 1  # only the refused one was tried
    assert [r.status for r in outbox(rig)] == ["failed", "skipped", "skipped"]
    skipped = [r for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == 2  # one line per post, not an error
    assert all(r.levelno == logging.INFO for r in skipped)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    # someone writes in that conversation again: the bot is back, posts go out again
    await rig.post(message(rig, "queue", conversation=MANAGERS))
    assert inactive(rig) == []
    enqueue(rig, "p4")
    await rig.deliver()
    assert outbox(rig)[-1].status == "sent"


async def test_uninstalling_the_app_marks_the_conversation_inactive(rig: Rig) -> None:
    await rig.post(install(rig, MANAGERS))
    removed = install(rig, MANAGERS) | {"action": "remove"}
    status, _ = await rig.post(removed)
    assert status == 200
    assert [c.conversation_id for c in inactive(rig)] == [MANAGERS]
    enqueue(rig, "p1")
    await rig.deliver()
    assert rig.connector.posts() == []

    update = install(rig, MANAGERS) | {
        "type": "conversationUpdate",
        "action": None,
        "membersAdded": [BOT],
    }
    await rig.post(update)  # added back
    assert inactive(rig) == []


# -- 6: input that cannot be stored ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("ticket new Printer jam | reporter: " + "x" * 250, "Reporter is 250 characters"),
        ("ticket new Printer\x00 jam #application", "U+0000"),
    ],
    ids=["long-reporter", "nul-summary"],
)
async def test_unstorable_input_is_answered_with_a_reason_and_writes_nothing(
    rig: Rig, text: str, reason: str
) -> None:
    status, _ = await rig.post(message(rig, text))
    assert status == 200  # not a 500
    (answer,) = rig.connector.posts()
    assert reason in answer.body["text"] and "Usage" in answer.body["text"]
    with Session(rig.desk.engine) as session:
        assert session.exec(select(Ticket)).all() == []


async def test_the_form_limits_inputs_and_refuses_unstorable_values_inline(rig: Rig) -> None:
    await rig.post(message(rig, "ticket new"))
    (form_post,) = rig.connector.posts()
    (attachment,) = form_post.body["attachments"]
    form = attachment["content"]
    inputs = {e["id"]: e for e in form["body"] if e["type"] == "Input.Text"}
    assert inputs["summary"]["maxLength"] == LIMITS["summary"]
    (submit,) = form["actions"]

    bad = dict(submit["data"], summary="VPN\x00 down", environment="e" * 2001)
    status, body = await rig.post(press(rig, bad, card_id=form_post.answer))
    assert status == 200
    errors = [e["text"] for e in body["value"]["body"] if e.get("color") == "Attention"]
    assert len(errors) == 2 and "U+0000" in errors[0] and "2001 characters" in errors[1]
    with Session(rig.desk.engine) as session:
        assert session.exec(select(Ticket)).all() == []
