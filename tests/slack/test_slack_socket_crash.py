"""A real `deskbot serve` process on Socket Mode, killed between the ack and the work, then
started again: the ticket exists exactly once. Then a SIGTERM stops it cleanly and in time."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from handlers.chat.model import Message, Post, Target, Text
from handlers.desk import Desk
from storage.db import session_scope
from storage.models import InboundEvent, OutboxMessage, Ticket
from tests.slack.conftest import TOKEN, command_body
from tests.slack.fake_slack import TEAM, FakeSlack
from tests.slack.fake_socket import FakeSocketMode

CHILD = Path(__file__).with_name("serve_child.py")
ROOT = Path(__file__).resolve().parents[2]
START = 60.0  # seconds a child may take to start and connect (a busy machine)
NAMES = ("queue", "managers", "network")
STOP_BOUND = 40.0  # a SIGTERM's bound: requests 5 + scheduler tick 10 + outbox 10 + inbox 10


async def serve(
    engine: Engine, fake: FakeSlack, log: Path, **env: str
) -> asyncio.subprocess.Process:
    environ = {
        **os.environ,
        "DESKBOT_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_APP_TOKEN": "xapp-1-test",
        "SLACK_API_URL": fake.api_url,
        "PYTHONPATH": str(ROOT),
        **env,
    }
    for name in ("SLACK_SIGNING_SECRET", "DESKBOT_CONFIG", "MicrosoftAppId"):
        environ.pop(name, None)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(CHILD),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        env=environ,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log.open("ab"),
        cwd=ROOT,
    )


def rows(engine: Engine, model: type) -> list:  # type: ignore[type-arg]
    with Session(engine) as session:
        return list(session.exec(select(model)))


async def until(check, what: str, timeout: float = START):  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_killed_between_ack_and_work_the_ticket_exists_once_after_restart(
    desk: Desk, fake_slack: FakeSlack, socket_mode: FakeSocketMode, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    engine = desk.engine
    first = await serve(engine, fake_slack, log, DESKBOT_TEST_HOLD_WORK="1")
    try:
        try:
            await socket_mode.connected(START)
        except TimeoutError:
            raise AssertionError(
                f"no connection ({first.returncode}):\n{log.read_text()}"
            ) from None
        body = command_body(fake_slack, itertools.count(1), "/ticket", "new Mail server down p1")
        envelope = await socket_mode.send("slash_commands", body)
        ack = await socket_mode.ack_of(envelope, timeout=10)
        assert ack.seconds < 3.0, log.read_text()
        first.send_signal(signal.SIGKILL)  # acked, persisted, not worked on
        await first.wait()
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
    assert rows(engine, Ticket) == []
    assert [r.done_at for r in rows(engine, InboundEvent)] == [None]

    second = await serve(engine, fake_slack, log)
    try:
        await until(lambda: rows(engine, Ticket), "the ticket after restart")
        await until(lambda: fake_slack.responses(), "the answer to the asker")
        # (the worker process may finish that before the restarted server connects)
        await until(lambda: socket_mode.connections >= 2, "the restarted server's connection")
        try:
            await socket_mode.connected(START)
        except TimeoutError:
            raise AssertionError(f"no second connection:\n{log.read_text()}") from None
        await socket_mode.send("slash_commands", body, envelope_id=envelope)  # Slack again
        await socket_mode.until_acks(envelope, 2, timeout=10)
        assert [t.summary for t in rows(engine, Ticket)] == ["Mail server down"]
        assert "T-1" in fake_slack.responses()[0]["text"]

        second.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(second.wait(), STOP_BOUND)
        assert code == 0, log.read_text()
        assert "Error running job" not in log.read_text()  # a clean stop logs no error
    finally:
        if second.returncode is None:
            second.kill()
            await second.wait()
    assert len(rows(engine, Ticket)) == 1


async def test_sigterm_with_a_post_stuck_releases_the_others_for_the_next_start(
    desk: Desk, fake_slack: FakeSlack, socket_mode: FakeSocketMode, tmp_path: Path
) -> None:
    """Three posts claimed in one batch, Slack stuck on the first: a SIGTERM exits in time,
    the two not handed over go back at once and the next start sends them; the stuck one
    keeps its lease (it may be in the channel already) instead of going out twice."""
    log = tmp_path / "serve.log"
    for channel in NAMES:
        target = Target("channel", channel if channel != "network" else "l2:network")
        with session_scope(desk.engine) as session:
            desk.post(
                session, "slack", f"slack:{TEAM}", Post(target, Message((Text(channel),), channel))
            )
    fake_slack.hang = {"chat.postMessage"}
    first = await serve(desk.engine, fake_slack, log)
    try:
        await until(
            lambda: [c for c in fake_slack.calls if c.method == "chat.postMessage"],
            "the first post to be taken",
        )
        first.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(first.wait(), STOP_BOUND) == 0, log.read_text()
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
    mine = [r for r in rows(desk.engine, OutboxMessage) if r.message["fallback"] in NAMES]
    stuck, *released = sorted(mine, key=lambda r: r.id or 0)  # the first claimed is first sent
    assert stuck.status == "sending"
    assert [(r.status, r.attempts) for r in released] == [("pending", 0)] * 2

    def ours() -> list[str]:
        return [p.params["text"] for p in fake_slack.posts() if p.params.get("text") in NAMES]

    fake_slack.hang = set()
    second = await serve(desk.engine, fake_slack, log)
    try:
        await until(lambda: len(ours()) == 2, "the released posts")
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), STOP_BOUND)
    assert sorted(ours()) == ["managers", "network"]  # the stuck one waits out its lease
