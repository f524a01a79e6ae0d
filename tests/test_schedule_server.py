"""`deskbot serve` runs the scheduler: started with the app, it catches up and posts."""

from __future__ import annotations

import asyncio
import datetime as dt

from aiohttp.test_utils import TestServer
from sqlalchemy import Engine

from bot.delivery import Delivery, Outcome, Sent
from bot.platform import Platform
from bot.server import build_app
from handlers.config.team import TeamConfig
from handlers.desk import Desk, ManualClock
from tests.conftest import START


class Recorder:
    """A platform sender that keeps what it was given."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []

    async def send(self, delivery: Delivery) -> Outcome:
        self.deliveries.append(delivery)
        return Sent({"ts": str(len(self.deliveries))})


async def first_deliveries(desk: Desk) -> list[Delivery]:
    """Serve with the scheduler on until the first tick has handed posts to Slack."""
    slack = Recorder()
    platform = Platform("slack", install=lambda app: None, sender=slack)
    server = TestServer(build_app(desk, [platform], schedule=True), host="127.0.0.1")
    await server.start_server()
    try:
        for _ in range(200):  # the first tick runs in APScheduler's executor; wait for it
            if slack.deliveries:
                break
            await asyncio.sleep(0.05)
    finally:
        await server.close()
    return slack.deliveries


async def test_served_app_posts_the_missed_09_00_reminder_to_its_workspace(
    sample: TeamConfig, engine: Engine
) -> None:
    # the server comes up at 09:00:30 on a Monday (a restart): the 09:00 fire is still due
    desk = Desk(sample, engine, ManualClock(START + dt.timedelta(seconds=30)))
    [delivery] = await first_deliveries(desk)
    assert delivery.scope == "slack:T0SAMPLE"
    assert delivery.target.name == "queue"
    assert delivery.message.fallback.startswith("Queue check 09:00")


async def test_grace_minutes_zero_still_posts_the_on_time_09_00_reminder(
    sample: TeamConfig, engine: Engine
) -> None:
    # a zero grace means "run no missed fire late", not "run nothing": the tick that wakes
    # for 09:00 always runs a few milliseconds after it
    schedules = sample.schedules.model_copy(update={"grace_minutes": 0})
    config = sample.model_copy(update={"schedules": schedules})
    desk = Desk(config, engine, ManualClock(START + dt.timedelta(milliseconds=7)))
    [delivery] = await first_deliveries(desk)
    assert delivery.message.fallback.startswith("Queue check 09:00")
    assert "Posted late" not in delivery.message.fallback
