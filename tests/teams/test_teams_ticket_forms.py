"""The Resolve and Dispatch buttons on Teams: Adaptive Card forms, refreshed in place."""

from __future__ import annotations

from tests.teams.conftest import Rig, press
from tests.teams.test_teams_commands import new_ticket, texts, tickets


async def test_resolve_opens_a_form_in_place_and_its_submission_resolves(rig: Rig) -> None:
    card_id = await new_ticket(rig, "ticket new Printer jam #application | env: 3rd floor")
    await rig.post(
        press(
            rig, {"_deskbot": "action", "_action": "ticket.take", "_value": "T-1"}, card_id=card_id
        )
    )
    pressed = {"_deskbot": "action", "_action": "ticket.resolve", "_value": "T-1"}
    status, body = await rig.post(press(rig, pressed, card_id=card_id))
    assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    form = body["value"]
    assert "Resolve T-1" in texts(form)
    inputs = {e["id"]: e for e in form["body"] if e["type"].startswith("Input.")}
    assert inputs["resolution"]["isRequired"] is True
    assert "root_cause" not in inputs  # never dispatched: no L2 root cause to record
    (submit,) = form["actions"]
    assert submit["type"] == "Action.Execute"

    empty = dict(submit["data"], resolution="")
    status, body = await rig.post(press(rig, empty, card_id=card_id))
    assert any(e.get("color") == "Attention" for e in body["value"]["body"])
    assert tickets(rig)[0].status == "in_progress"

    filled = dict(submit["data"], resolution="Cleared the paper path")
    status, body = await rig.post(press(rig, filled, card_id=card_id))
    assert status == 200
    (t,) = tickets(rig)
    assert (t.status, t.resolution) == ("resolved", "Cleared the paper path")
    assert "Resolved" in texts(body["value"])  # the card, refreshed in place


async def test_dispatch_opens_a_form_prefilled_from_the_ticket(rig: Rig) -> None:
    card_id = await new_ticket(rig, "ticket new ERP login fails #application | tried: cache")
    pressed = {"_deskbot": "action", "_action": "ticket.dispatch", "_value": "T-1"}
    _, body = await rig.post(press(rig, pressed, card_id=card_id))
    form = body["value"]
    inputs = {e["id"]: e for e in form["body"] if e["type"].startswith("Input.")}
    assert (inputs["category"]["value"], inputs["expert"]["value"], inputs["tried"]["value"]) == (
        "application",
        "pool",
        "cache",
    )
    (submit,) = form["actions"]
    chosen = dict(submit["data"], category="application", expert="omar", tried="cache")
    await rig.post(press(rig, chosen, card_id=card_id))
    (t,) = tickets(rig)
    assert (t.status, t.assignee, t.watchers) == ("dispatched", "omar", ["lee"])
