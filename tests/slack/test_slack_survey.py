"""The satisfaction survey on Slack: a DM to the reporter, a press records one score."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.quality import SatisfactionScore
from tests.slack.conftest import QUEUE, SlackServer, blocks_text


def _scores(slack: SlackServer) -> list[SatisfactionScore]:
    with Session(slack.desk.engine) as session:
        return list(session.exec(select(SatisfactionScore)))


async def test_the_reporter_gets_the_survey_and_a_two_pings_qa(slack: SlackServer) -> None:
    await slack.command("/ticket", "new VPN down #network")  # Lee reports it
    await slack.until(lambda: slack.fake.posts(QUEUE), "the card")
    await slack.command("/ticket", "take T-1", user="U0SAM")
    # work runs after each ack, on two threads: let the take land before the resolve
    await slack.until(lambda: slack.tickets()[0].assignee == "sam", "the take")
    await slack.command("/ticket", "resolve T-1 reset the client", user="U0SAM")
    dm = await slack.until(lambda: slack.fake.posts("DU0LEE"), "the survey DM")
    await slack.settle()
    survey = dm[0].params
    values = [e["value"] for b in survey["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert values == [f"T-1:{n}" for n in range(1, 6)]
    assert "reset the client" in blocks_text(survey["blocks"])

    await slack.press("csat.score", "T-1:2", user="U0LEE")
    await slack.until(lambda: _scores(slack), "the score")
    await slack.press("csat.score", "T-1:2", user="U0LEE")  # pressed again: still one score
    await slack.settle()
    [score] = _scores(slack)
    assert (score.score, score.given_by, score.via) == (2, "lee", "chat")
    pings = [c.params for c in slack.fake.posts(QUEUE) if "<@U0TOM>" in c.params["text"]]
    assert len(pings) == 1 and pings[0].get("thread_ts")
