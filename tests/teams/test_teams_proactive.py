"""Proactive posts from the outbox: stored references, unknown conversations, throttling."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlmodel import Session, select

from handlers.chat.model import Message, Post, Target, Text
from storage.db import session_scope
from storage.models import OutboxMessage, TeamsConversation
from tests.teams.conftest import MANAGERS, QUEUE, TENANT, Rig, install, message

SCOPE = f"teams:{TENANT}"


def enqueue(
    rig: Rig, target: Target, text: str = "Weekly review at 15:00", key: str = "p1"
) -> None:
    with session_scope(rig.desk.engine) as session:
        rig.desk.post(session, "teams", SCOPE, Post(target, Message((Text(text),), text), key))


def row(rig: Rig, key: str = "p1") -> OutboxMessage:
    with Session(rig.desk.engine) as session:
        return session.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key == key)).one()


async def test_installation_stores_a_reference_and_a_post_uses_it(rig: Rig) -> None:
    status, _ = await rig.post(install(rig, MANAGERS))
    assert status == 200
    with Session(rig.desk.engine) as session:
        stored = session.exec(select(TeamsConversation)).one()
    assert (stored.conversation_id, stored.kind, stored.tenant_id) == (MANAGERS, "channel", TENANT)

    enqueue(rig, Target("channel", "managers"))
    await rig.deliver()

    (post,) = rig.connector.posts()
    assert post.path == f"/v3/conversations/{MANAGERS}/activities"  # a new thread, not a reply
    assert post.body["text"] == "Weekly review at 15:00"
    sent = row(rig)
    assert sent.status == "sent"
    assert sent.platform_ref == {
        "conversation_id": MANAGERS,
        "activity_id": post.answer,
        "root": post.answer,
    }


async def test_a_reply_under_a_post_goes_into_its_thread(rig: Rig) -> None:
    await rig.post(install(rig, MANAGERS))
    enqueue(rig, Target("channel", "managers"))
    enqueue(rig, Target("channel", "managers", thread="p1"), "Agenda attached", key="p2")
    await rig.deliver()

    first, second = rig.connector.posts()
    assert second.conversation == f"{MANAGERS};messageid={first.answer}"


async def test_the_service_url_is_refreshed_by_every_activity(rig: Rig) -> None:
    await rig.post(install(rig, QUEUE))
    moved = message(rig, "queue")
    moved["serviceUrl"] = rig.connector.url.rstrip("/") + "/moved/"
    await rig.post(moved)

    with Session(rig.desk.engine) as session:
        stored = session.exec(select(TeamsConversation)).one()
    assert stored.service_url.endswith("/moved/")


async def test_a_conversation_never_heard_from_fails_with_a_clear_log_line(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    enqueue(rig, Target("channel", "managers"))

    with caplog.at_level(logging.ERROR):
        await rig.deliver()

    failed = row(rig)
    assert failed.status == "failed"  # kept in the outbox, not dropped
    assert MANAGERS in failed.last_error and "never heard from" in failed.last_error
    assert any(MANAGERS in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    assert rig.connector.calls == []


async def test_throttling_is_retried_after_the_time_teams_asks_for(rig: Rig) -> None:
    await rig.post(install(rig, MANAGERS))
    enqueue(rig, Target("channel", "managers"))
    rig.connector.fail_next = [(429, {"Retry-After": "7"})]

    await rig.deliver()
    waiting = row(rig)
    assert waiting.status == "pending"
    assert "429" in waiting.last_error
    assert waiting.next_attempt_at == rig.desk.now() + dt.timedelta(seconds=7)

    rig.desk.clock.advance(dt.timedelta(seconds=7))  # type: ignore[attr-defined]
    await rig.deliver()
    assert row(rig).status == "sent"
    assert len(rig.connector.posts(MANAGERS)) == 2  # the throttled try, then the post


@pytest.mark.parametrize("status", [412, 502, 504])
async def test_transient_answers_are_retried_with_backoff(rig: Rig, status: int) -> None:
    await rig.post(install(rig, MANAGERS))
    enqueue(rig, Target("channel", "managers"))
    rig.connector.fail_next = [(status, {})]

    await rig.deliver()
    waiting = row(rig)
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert waiting.next_attempt_at > rig.desk.now() - dt.timedelta(seconds=1)


async def test_a_post_that_may_have_reached_teams_is_not_sent_again(rig: Rig) -> None:
    await rig.post(install(rig, MANAGERS))
    enqueue(rig, Target("channel", "managers"))
    rig.connector.drop_next = 1  # Teams got the request; the answer is lost

    await rig.deliver()
    rig.desk.clock.advance(dt.timedelta(hours=1))  # type: ignore[attr-defined]
    await rig.deliver()

    failed = row(rig)
    assert failed.status == "failed"
    assert "may have been posted" in failed.last_error
    assert len(rig.connector.posts(MANAGERS)) == 1  # never repeated blindly


async def test_a_dm_opens_a_chat_once_and_reuses_it(rig: Rig) -> None:
    await rig.post(message(rig, "queue"))  # the tenant is known from a channel message
    enqueue(rig, Target("person", "omar"), "Please look at T-1", key="dm1")
    enqueue(rig, Target("person", "omar"), "T-1 is waiting", key="dm2")
    await rig.deliver()

    creates = [c for c in rig.connector.calls if c.path == "/v3/conversations"]
    assert len(creates) == 1
    assert creates[0].body["members"] == [{"id": "omar@example.org"}]
    dms = rig.connector.posts("a:chat-with-omar@example.org")
    assert [d.body["text"] for d in dms] == ["Please look at T-1", "T-1 is waiting"]
    assert (row(rig, "dm1").status, row(rig, "dm2").status) == ("sent", "sent")
