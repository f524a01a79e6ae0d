"""Input that cannot be stored is refused where it enters, with a reason, and writes nothing
(before: on PostgreSQL a 250-character reporter or a NUL in a summary failed the insert,
the asker got no answer and recovery retried the request forever)."""

from __future__ import annotations

import json

import pytest

from handlers.commands.fields import LIMITS
from storage.models import TicketEvent
from tests.slack.conftest import SlackServer
from tests.slack.test_slack_interactivity import _opened_modal, _submission


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("new Printer jam | reporter: " + "x" * 250, "Reporter is 250 characters"),
        ("new Printer\x00 jam #application", "U+0000"),
        ("new Printer jam | env: Windows \x1b[31m", "U+001B"),
        ("new " + "s" * (LIMITS["summary"] + 1), f"{LIMITS['summary'] + 1} characters"),
    ],
    ids=["long-reporter", "nul-summary", "escape-env", "long-summary"],
)
async def test_unstorable_ticket_input_is_refused_with_a_reason_and_writes_nothing(
    slack: SlackServer, text: str, reason: str
) -> None:
    status, _ = await slack.command("/ticket", text)
    assert status == 200
    answer = (await slack.until(slack.fake.responses, "the answer"))[0]
    assert answer["response_type"] == "ephemeral"
    assert reason in answer["text"] and "Usage: `/ticket new" in answer["text"]
    assert slack.tickets() == []
    await slack.until(lambda: not slack.unfinished(), "the request to be finished")


async def test_a_nul_in_a_note_is_refused_and_the_ticket_is_unchanged(slack: SlackServer) -> None:
    await slack.command("/ticket", "new VPN down #network")
    await slack.until(slack.tickets, "the ticket")
    await slack.command("/ticket", "note T-1 rebooted\x00 the router")
    answers = await slack.until(lambda: len(slack.fake.responses()) >= 2 and slack.fake.responses())
    assert "U+0000" in answers[1]["text"] and answers[1]["response_type"] == "ephemeral"
    await slack.until(lambda: not slack.unfinished(), "the requests to be finished")
    assert [e.kind for e in slack.rows(TicketEvent)] == ["created"]  # no note


async def test_the_modal_limits_inputs_and_refuses_unstorable_values_inline(
    slack: SlackServer,
) -> None:
    view = await _opened_modal(slack)
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs["summary"]["max_length"] == LIMITS["summary"]
    assert inputs["environment"]["max_length"] == LIMITS["environment"]

    values = {"summary": "Laptop\x00 will not boot", "tried": "t" * (LIMITS["tried"] + 1)}
    status, body = await slack.interact(_submission(view, values))
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"summary", "tried"}
    assert "U+0000" in answer["errors"]["summary"]
    await slack.settle()
    assert slack.tickets() == []
