"""Work acked but not finished (the process stopped) is finished when the server starts."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from sqlmodel import Session

from bot.work_items import Command
from handlers.desk import Desk, ManualClock
from storage.models import InboundEvent
from tests.slack.conftest import QUEUE, TEAM, FakeSlack, SlackServer


def _leftover(desk: Desk, clock: ManualClock, fake: FakeSlack, event_id: str, text: str) -> None:
    """What a process that died right after its ack leaves behind."""
    with Session(desk.engine) as session:
        session.add(
            InboundEvent(
                source="slack",
                event_id=event_id,
                received_at=clock.now() - dt.timedelta(seconds=5),
                payload=Command(
                    platform="slack",
                    workspace=TEAM,
                    user="U0LEE",
                    name="lee",
                    person="lee",
                    channel=QUEUE,
                    text=text,
                    via={"response_url": fake.response_url("leftover"), "trigger_id": event_id},
                ).to_json(),
            )
        )
        session.commit()


async def test_work_left_by_a_stopped_process_is_finished_at_start(
    desk: Desk, clock: ManualClock, fake_slack: FakeSlack
) -> None:
    _leftover(desk, clock, fake_slack, "command:trigger.lost", "ticket new Lost in the crash")
    fake_slack.clock = clock
    server = SlackServer(desk, clock, fake_slack)
    await server.start()
    try:
        await server.until(server.tickets, "the recovered ticket")
        await server.until(fake_slack.responses, "the answer")
        await server.settle()
        assert [t.summary for t in server.tickets()] == ["Lost in the crash"]
        assert server.unfinished() == []
        assert "T-1" in fake_slack.responses()[0]["text"]
        assert len(fake_slack.posts(QUEUE)) == 1
    finally:
        await server.stop()


async def test_a_repeat_of_finished_work_does_nothing(slack: SlackServer) -> None:
    await slack.mention("ticket new Disk full", event_id="EvDone")
    await slack.until(slack.tickets, "the ticket")
    await slack.until(lambda: not slack.unfinished(), "the work to finish")
    await slack.mention(
        "ticket new Disk full", event_id="EvDone", headers={"X-Slack-Retry-Num": "3"}
    )
    await slack.settle()
    assert len(slack.tickets()) == 1


async def test_a_slow_database_does_not_hold_the_ack(
    slack: SlackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ack goes out on time even when the write has not finished; the work follows."""
    monkeypatch.setattr("bot.slack.app.ACK_BUDGET", 0.2)  # Slack allows 3 s; tests need not wait
    inbox = slack.runtime.inbox
    gate = threading.Event()
    write = inbox._persist

    def slow(items):  # type: ignore[no-untyped-def]
        gate.wait(10)
        return write(items)

    monkeypatch.setattr(inbox, "_persist", slow)
    started = time.monotonic()
    status, body = await slack.command("/ticket", "new Slow disk")
    assert status == 200 and time.monotonic() - started < 2.0
    assert "slow" in json.loads(body)["text"]
    assert slack.tickets() == []
    gate.set()
    await slack.until(slack.tickets, "the ticket after the write")
    answer = (await slack.until(slack.fake.responses, "the answer"))[0]
    assert "T-1" in answer["text"]
