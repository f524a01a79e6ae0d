"""The satisfaction survey on Teams: a personal chat with the reporter, a press records it."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.quality import SatisfactionScore
from tests.teams.conftest import Rig, message, press


def _scores(rig: Rig) -> list[SatisfactionScore]:
    with Session(rig.desk.engine) as session:
        return list(session.exec(select(SatisfactionScore)))


async def test_the_reporter_gets_the_survey_and_a_press_records_one_score(rig: Rig) -> None:
    for text, user in (
        ("ticket new Mail bounces #application", "lee"),
        ("ticket take T-1", "ana"),
        ("ticket resolve T-1 cleared the queue", "ana"),
    ):
        status, _ = await rig.post(message(rig, text, user=user))
        assert status == 200
    await rig.deliver()
    [dm] = rig.connector.posts("a:chat-with-29:lee")
    card = dm.body["attachments"][0]["content"]
    data = [a["data"] for a in card.get("actions", []) if "data" in a] or [
        a["data"] for b in card["body"] if b.get("type") == "ActionSet" for a in b["actions"]
    ]
    assert [d["_value"] for d in data] == [f"T-1:{n}" for n in range(1, 6)]

    conversation = "a:chat-with-29:lee"
    status, body = await rig.post(
        press(rig, data[3], card_id=dm.answer, user="lee", conversation=conversation)
    )
    assert status == 200 and "4/5" in str(body)
    [score] = _scores(rig)
    assert (score.score, score.given_by) == (4, "lee")
