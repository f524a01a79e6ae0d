"""A real `deskbot serve` killed with SIGKILL while a Teams request is persisted but not yet
worked: at the next start the inbox replays it, once, and answers in the conversation."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from sqlalchemy import Engine
from sqlmodel import Session, select

from storage.models import InboundEvent, Ticket
from tests.serve_process import Served, database_url
from tests.teams.conftest import QUEUE, Connector, message

WAIT = 60.0  # bound for the restarted process to finish the work (not a sleep)


def _rows(engine: Engine, model: Any) -> list[Any]:
    with Session(engine) as session:
        return list(session.exec(select(model)))


def _answers(connector: Connector) -> list[str]:
    return [json.dumps(c.body) for c in connector.posts(QUEUE) if "Logged" in json.dumps(c.body)]


async def test_killed_between_persist_and_work_the_ticket_is_logged_once(
    tmp_path: Path, engine: Engine
) -> None:
    connector = Connector()
    fake = TestServer(connector.app(), host="127.0.0.1")
    await fake.start_server()
    connector.url = str(fake.make_url("/"))
    env = {
        "DESKBOT_DATABASE_URL": database_url(engine),
        "MicrosoftAppId": "",
        "SLACK_BOT_TOKEN": "",
    }
    served = Served(tmp_path, env)
    activity = message(SimpleNamespace(connector=connector), "ticket new Killed in Teams")  # type: ignore[arg-type]
    try:
        await served.start(stall="work")
        async with aiohttp.ClientSession() as http:
            posting = asyncio.ensure_future(http.post(f"{served.url}/api/messages", json=activity))
            await served.stalled()
            served.kill()
            with contextlib.suppress(aiohttp.ClientError):
                await posting
        assert _rows(engine, Ticket) == []
        assert [r.done_at for r in _rows(engine, InboundEvent)] == [None]

        await served.start()
        deadline = time.monotonic() + WAIT
        while not _answers(connector):
            assert time.monotonic() < deadline, served.log.read_text()
            await asyncio.sleep(0.05)
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{served.url}/api/messages", json=activity) as resp,  # a redelivery
        ):
            assert resp.status == 200
        served.stop()
        assert [t.summary for t in _rows(engine, Ticket)] == ["Killed in Teams"]
        assert len(_answers(connector)) == 1
    finally:
        served.stop()
        await fake.close()
