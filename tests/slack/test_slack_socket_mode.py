"""Slack Socket Mode against a local fake of Slack's WebSocket endpoint: the same bolt app
and the same persist-before-ack path as HTTP, with no public endpoint."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer

from bot.config import Settings
from bot.server import build_app, platforms_from
from handlers.desk import Desk, ManualClock
from tests.slack.conftest import (
    QUEUE,
    TOKEN,
    SlackServer,
    command_body,
    event_body,
    mention_event,
    press_body,
)
from tests.slack.fake_slack import FakeSlack
from tests.slack.fake_socket import FakeSocketMode

APP_TOKEN = "xapp-1-test"
DEADLINE = 3.0  # seconds Slack waits for an envelope's ack


@pytest.fixture
async def slack_socket(
    desk: Desk,
    clock: ManualClock,
    fake_slack: FakeSlack,
    socket_mode: FakeSocketMode,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[SlackServer]:
    """deskbot with Socket Mode only: an app token and no signing secret."""
    monkeypatch.setattr("bot.server.POLL_SECONDS", 0.02)
    fake_slack.clock = clock
    settings = Settings(
        slack_bot_token=TOKEN, slack_app_token=APP_TOKEN, slack_api_url=fake_slack.api_url
    )
    helper = SlackServer.__new__(SlackServer)  # its database and polling helpers only
    helper.desk, helper.clock, helper.fake = desk, clock, fake_slack
    platforms = [p for p in platforms_from(settings, desk) if p.name == "slack"]
    server = TestServer(build_app(desk, platforms), host="127.0.0.1")
    await server.start_server()
    helper.server = server
    await socket_mode.connected()
    yield helper
    await server.close()


async def test_a_slash_command_over_the_socket_makes_one_ticket_and_a_redelivery_none(
    slack_socket: SlackServer, socket_mode: FakeSocketMode, fake_slack: FakeSlack
) -> None:
    body = command_body(fake_slack, itertools.count(1), "/ticket", "new VPN down p2")
    envelope = await socket_mode.send("slash_commands", body)
    ack = await socket_mode.ack_of(envelope)
    assert ack.seconds < DEADLINE
    await slack_socket.until(slack_socket.tickets, "the ticket")
    await slack_socket.until(fake_slack.responses, "the answer on the response URL")
    await slack_socket.settle()
    assert "T-1" in fake_slack.responses()[0]["text"]
    assert len(fake_slack.posts(QUEUE)) == 1  # the ticket card in the queue channel

    again = await socket_mode.send("slash_commands", body, envelope_id=envelope)  # redelivery
    await socket_mode.until_acks(again, 2)
    await slack_socket.settle()
    assert [t.summary for t in slack_socket.tickets()] == ["VPN down"]
    assert len(fake_slack.posts(QUEUE)) == 1


async def test_a_button_and_a_mention_over_the_socket_are_acked_and_handled(
    slack_socket: SlackServer, socket_mode: FakeSocketMode, fake_slack: FakeSlack
) -> None:
    ids = itertools.count(1)
    mention = event_body(
        mention_event("ticket new Printer jam"), "EvSock1", slack_socket.clock.now()
    )
    ack = await socket_mode.ack_of(await socket_mode.send("events_api", mention))
    assert ack.seconds < DEADLINE
    await slack_socket.until(slack_socket.tickets, "the ticket from the mention")
    await slack_socket.until(lambda: not slack_socket.unfinished(), "the mention's work")

    press = press_body(fake_slack, ids, "ticket.take", "T-1", user="U0SAM")
    ack = await socket_mode.ack_of(await socket_mode.send("interactive", press))
    assert ack.seconds < DEADLINE
    await slack_socket.until(
        lambda: slack_socket.tickets()[0].assignee is not None, "the take from the button"
    )
    await slack_socket.until(lambda: not slack_socket.unfinished(), "the press's work")
    assert len(slack_socket.tickets()) == 1


async def test_a_dropped_connection_is_opened_again_and_work_goes_on(
    slack_socket: SlackServer, socket_mode: FakeSocketMode, fake_slack: FakeSlack
) -> None:
    await socket_mode.close()  # Slack drops the socket (as it does every few hours)
    for _ in range(400):  # slack_sdk notices at once, or at its next ping (10 s) at worst
        if socket_mode.connections == 2:
            break
        await asyncio.sleep(0.05)
    assert socket_mode.connections == 2
    assert len(fake_slack.of("apps.connections.open")) == 2  # a fresh URL for the new one
    body = command_body(fake_slack, itertools.count(1), "/ticket", "new After the reconnect")
    await socket_mode.ack_of(await socket_mode.send("slash_commands", body))
    await slack_socket.until(slack_socket.tickets, "the ticket")
