"""A real `deskbot serve` killed with SIGKILL mid-request, then started again: the request
is finished exactly once (issue 9), and an answer committed with the work but not sent is
sent exactly once after the restart (issue 10, defect 5)."""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

import aiohttp
from sqlalchemy import Engine
from sqlmodel import Session, select

from storage.models import InboundEvent, Ticket
from tests.serve_process import Served
from tests.slack.conftest import QUEUE, TEAM, sign
from tests.slack.fake_slack import FakeSlack

WAIT = 60.0  # bound for the restarted process to finish the work (not a sleep)


async def _command(served: Served, fake: FakeSlack, text: str) -> int:
    body = urllib.parse.urlencode(
        {
            "team_id": TEAM,
            "channel_id": QUEUE,
            "user_id": "U0LEE",
            "user_name": "lee",
            "command": "/ticket",
            "text": text,
            "response_url": fake.response_url("kill"),
            "trigger_id": "trigger.kill",
        }
    ).encode()
    ts = int(time.time())
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(body, ts),
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{served.url}/slack/events", data=body, headers=headers) as resp,
    ):
        return resp.status


def _rows(engine: Engine, model: Any) -> list[Any]:
    with Session(engine) as session:
        return list(session.exec(select(model)))


async def _until(check: Any, what: str) -> Any:
    import asyncio

    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if value := check():
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def _killed_at(served: Served, fake: FakeSlack, stall: str, text: str) -> None:
    """Start with a stall, send the command, kill the process where it stalled."""
    await served.start(stall=stall)
    assert await _command(served, fake, text) == 200
    await served.stalled()
    served.kill()


async def test_killed_between_persist_and_work_the_ticket_is_logged_once(
    served: Served, engine: Engine, fake_slack: FakeSlack
) -> None:
    await _killed_at(served, fake_slack, "work", "new Killed mid-request")
    assert _rows(engine, Ticket) == []  # persisted, acked, not yet worked
    assert [r.done_at for r in _rows(engine, InboundEvent)] == [None]

    await served.start()
    await _until(fake_slack.responses, "the answer after the restart")
    assert await _command(served, fake_slack, "new Killed mid-request") == 200  # Slack retry
    served.stop()
    assert [t.summary for t in _rows(engine, Ticket)] == ["Killed mid-request"]
    responses = fake_slack.responses()
    assert len(responses) == 1 and "T-1" in responses[0]["text"]


async def test_killed_between_commit_and_answer_the_answer_is_sent_once(
    served: Served, engine: Engine, fake_slack: FakeSlack
) -> None:
    await _killed_at(served, fake_slack, "answer", "new Answer lost in the crash")
    assert len(_rows(engine, Ticket)) == 1  # the work is committed
    assert fake_slack.responses() == []  # its answer was not sent

    await served.start()
    await _until(fake_slack.responses, "the answer after the restart")
    served.stop()
    responses = fake_slack.responses()
    assert len(responses) == 1 and "T-1" in responses[0]["text"]
    assert len(_rows(engine, Ticket)) == 1
    (row,) = _rows(engine, InboundEvent)
    assert row.answered_at is not None and row.answer is None
