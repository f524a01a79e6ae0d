"""`/oncall` as a Teams @mention: the same grammar and use case as Slack and the console."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import OncallOverride
from tests.teams.conftest import QUEUE, Rig, message


async def test_oncall_take_and_listing_over_teams(rig: Rig) -> None:
    status, _ = await rig.post(message(rig, "oncall take l2-application", user="omar"))
    assert status == 200
    (reply,) = rig.connector.posts()
    assert reply.conversation.startswith(f"{QUEUE};messageid=")
    assert (
        "Omar Haddad is on call for L2 technical expert #application until Mon 09:00 "
        "instead of Sofia Rossi." in reply.body["text"]
    )
    with Session(rig.desk.engine) as session:
        [row] = session.exec(select(OncallOverride)).all()
    assert (row.rota, row.person, row.replaces, row.created_by) == (
        "l2-application",
        "omar",
        "sofia",
        "omar",
    )
    rig.connector.calls.clear()
    await rig.post(message(rig, "oncall #application"))
    (listing,) = rig.connector.posts()
    assert "Omar Haddad · take until Mon" in str(listing.body)
