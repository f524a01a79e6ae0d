"""Share in channel on Teams: the private answer posted to the conversation it was asked in."""

from __future__ import annotations

from tests.teams.conftest import QUEUE, Rig, message, press
from tests.teams.test_teams_commands import card_of


async def test_share_posts_the_raci_answer_to_the_conversation(rig: Rig) -> None:
    await rig.post(message(rig, "raci incident"))
    (answer,) = rig.connector.posts()
    card = card_of(answer.body)
    shares = [
        a
        for element in card["body"]
        if element.get("type") == "ActionSet"
        for a in element["actions"]
        if a.get("title") == "Share in channel"
    ]
    assert len(shares) == 1
    rig.connector.calls.clear()

    status, body = await rig.post(press(rig, shares[0]["data"], card_id=answer.answer))
    assert status == 200 and "Shared in the channel." in str(body["value"])
    await rig.deliver()
    # in the conversation's thread it was asked in (Teams: `<channel>;messageid=<root>`)
    (shared,) = [c for c in rig.connector.posts() if c.conversation.startswith(QUEUE)]
    assert "<at>Hana Zhou</at>" in shared.body["text"]
    assert "Shared by Lee Wang" in shared.body["text"]
    mentioned = {e["mentioned"]["id"] for e in shared.body["entities"]}
    assert mentioned == {"carlos@example.org", "hana@example.org"}  # R and A, real mentions
