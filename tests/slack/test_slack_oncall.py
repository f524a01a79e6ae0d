"""`/oncall` through the real Slack endpoint, and an escalation page as a Slack DM."""

from __future__ import annotations

from handlers.desk import Desk
from schedules.response_clocks import RESPONSE_CLOCKS
from tests.slack.conftest import SlackServer, blocks_text
from tests.test_response_clocks import at


async def test_oncall_take_over_slack_then_the_page_goes_to_the_taker(
    slack: SlackServer, desk: Desk
) -> None:
    slack.clock.set(at(desk.config, "2026-11-27T17:50"))  # Friday; Sofia has #system
    status, _ = await slack.command("/oncall", "take l2-system until 20:00", user="U0DANA")
    assert status == 200
    [answer] = await slack.until(slack.fake.responses, "the answer")
    assert answer["response_type"] == "in_channel"
    assert "Dana Li is on call for L2 technical expert #system until Fri 20:00" in answer["text"]
    await slack.command("/oncall", "#system")
    listing = await slack.until(lambda: len(slack.fake.responses()) >= 2 and slack.fake.responses())
    assert "Dana Li · take until Fri 20:00" in blocks_text(listing[1]["blocks"])

    await slack.command("/ticket", "new Payroll DB down #system p1")
    await slack.until(lambda: slack.tickets(), "the ticket")
    slack.clock.set(at(desk.config, "2026-11-27T18:05"))
    RESPONSE_CLOCKS.fire_due(desk, slack.clock.now())
    await slack.settle()
    [page] = slack.fake.posts("DU0DANA")  # the DM the page opened with Dana
    assert "Breach: T-1" in page.params["text"]
    assert slack.fake.posts("DU0SOFIA") == []  # off call while Dana covers


async def test_bad_oncall_input_gets_the_reason_and_usage(slack: SlackServer) -> None:
    await slack.command("/oncall", "take l2-system until later", user="U0DANA")
    [answer] = await slack.until(slack.fake.responses, "the answer")
    assert answer["response_type"] == "ephemeral"
    assert "`later` is not a time" in answer["text"] and "Usage: `/oncall" in answer["text"]
