"""Slash commands over HTTP are acked without bolt's dispatch (bot.slack.app
`command_ack`): what bolt would not route to the command listener still goes to bolt."""

from __future__ import annotations

from storage.models import InboundEvent
from tests.slack.conftest import SlackServer, command_body


async def test_a_form_that_is_no_command_is_acked_and_writes_nothing(slack: SlackServer) -> None:
    for command in ("/", ""):
        fields = command_body(slack.fake, slack.triggers, command, "new Printer jams")
        assert await slack.form(fields) == (200, "")
    assert slack.rows(InboundEvent) == [] and slack.tickets() == []


async def test_a_command_is_acked_empty_and_then_answered(slack: SlackServer) -> None:
    assert await slack.command("/ticket", "new Printer jams") == (200, "")
    answer = (await slack.until(slack.fake.responses, "the answer"))[0]
    assert "T-1" in answer["text"]
