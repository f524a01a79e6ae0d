"""Commands and card presses over HTTP: activities in, connector calls and database out."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from storage.models import InboundEvent, Ticket
from tests.teams.conftest import QUEUE, TENANT, USERS, Rig, message, press

SCOPE = f"teams:{TENANT}"


def tickets(rig: Rig) -> list[Ticket]:
    with Session(rig.desk.engine) as session:
        return list(session.exec(select(Ticket).where(Ticket.scope == SCOPE)))


def card_of(call_body: dict[str, Any]) -> dict[str, Any]:
    (attachment,) = call_body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


def texts(card: dict[str, Any]) -> str:
    out: list[str] = []
    for element in card["body"]:
        out.append(element.get("text", ""))
        out += [f"{f['title']}: {f['value']}" for f in element.get("facts", [])]
    return "\n".join(out)


async def new_ticket(rig: Rig, text: str = "ticket new Printer jam #application") -> str:
    """Log a ticket in the queue channel and deliver its card; returns the card's id."""
    status, _ = await rig.post(message(rig, text))
    assert status == 200
    await rig.deliver()
    (card_post,) = [c for c in rig.connector.posts(QUEUE) if c.body.get("attachments")]
    return card_post.answer


async def test_ticket_new_in_a_channel_replies_and_posts_an_adaptive_card(rig: Rig) -> None:
    status, _ = await rig.post(message(rig, "ticket new Printer jam #application"))
    assert status == 200

    (t,) = tickets(rig)
    assert (t.number, t.summary, t.category, t.logged_by) == (
        1,
        "Printer jam",
        "application",
        "lee",
    )
    (reply,) = rig.connector.posts()
    assert reply.conversation.startswith(f"{QUEUE};messageid=")  # in the command's thread
    assert "T-1" in reply.body["text"]

    await rig.deliver()
    (card_post,) = [c for c in rig.connector.posts(QUEUE) if c.body.get("attachments")]
    card = card_of(card_post.body)
    assert "T-1" in texts(card)
    assert "T-1" in card["fallbackText"]
    actions = [a for e in card["body"] if e["type"] == "ActionSet" for a in e["actions"]]
    verbs = [a["data"]["_action"] for a in actions]
    assert verbs[:3] == ["ticket.take", "ticket.dispatch", "ticket.resolve"]
    assert all(a["type"] == "Action.Execute" and a["data"]["_value"] == "T-1" for a in actions)


async def test_dispatch_mentions_the_application_l2_experts(rig: Rig) -> None:
    card_id = await new_ticket(rig)
    rig.connector.calls.clear()

    status, _ = await rig.post(message(rig, "ticket dispatch T-1 restarted the spooler"))
    assert status == 200
    await rig.deliver()

    thread = [
        c for c in rig.connector.posts(f"{QUEUE};messageid={card_id}") if "entities" in c.body
    ]
    mentioned = {e["mentioned"]["id"] for c in thread for e in c.body["entities"]}
    assert {"omar@example.org", "sofia@example.org"} <= mentioned  # the #application experts
    (dispatch,) = [c for c in thread if "omar@example.org" in str(c.body["entities"])]
    for expert in ("Omar Haddad", "Sofia Rossi"):
        assert f"<at>{expert}</at>" in dispatch.body["text"]
    # each expert gets a DM: a 1:1 chat is created for them, then the message is posted there
    created = [
        c.body["members"][0]["id"] for c in rig.connector.calls if c.path == "/v3/conversations"
    ]
    assert sorted(created) == ["omar@example.org", "sofia@example.org"]
    # and the queue card is edited in place: dispatched
    (edit,) = rig.connector.updates()
    assert edit.path.endswith(f"/activities/{card_id}")
    assert "Dispatched" in texts(card_of(edit.body))


async def test_a_card_press_takes_the_ticket_and_updates_that_card(rig: Rig) -> None:
    card_id = await new_ticket(rig)
    rig.connector.calls.clear()

    data = {"_deskbot": "action", "_action": "ticket.take", "_value": "T-1"}
    status, body = await rig.post(press(rig, data, card_id=card_id, user="lee"))

    assert status == 200
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "In progress" in texts(body["value"])  # the refreshed card, shown in place
    (t,) = tickets(rig)
    assert (t.status, t.assignee) == ("in_progress", "lee")

    await rig.deliver()
    (edit,) = rig.connector.updates()  # the queue card, edited through the outbox too
    assert edit.path == f"/v3/conversations/{QUEUE}/activities/{card_id}"


async def test_a_refused_press_answers_only_the_presser(rig: Rig) -> None:
    card_id = await new_ticket(rig)
    take = {"_deskbot": "action", "_action": "ticket.take", "_value": "T-1"}
    await rig.post(press(rig, take, card_id=card_id, user="lee"))
    await rig.deliver()
    rig.connector.calls.clear()

    status, body = await rig.post(press(rig, take, card_id=card_id, user="lee"))

    assert status == 200
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert "already yours" in body["value"]
    assert rig.connector.calls == []  # nothing posted where others would see it
    await rig.deliver()
    assert rig.connector.calls == []


async def test_the_same_activity_twice_logs_one_ticket(rig: Rig) -> None:
    activity = message(rig, "ticket new VPN down #network")
    first, _ = await rig.post(activity)
    second, _ = await rig.post(activity)

    assert (first, second) == (200, 200)
    assert [t.summary for t in tickets(rig)] == ["VPN down"]
    assert len(rig.connector.posts()) == 1  # one answer
    with Session(rig.desk.engine) as session:
        count = session.exec(
            select(func.count()).select_from(InboundEvent).where(InboundEvent.source == "teams")
        ).one()
    assert count == 1


async def test_the_same_words_in_a_personal_chat_need_no_mention(rig: Rig) -> None:
    status, _ = await rig.post(message(rig, "ticket new Mouse broken", personal=True))

    assert status == 200
    assert [t.summary for t in tickets(rig)] == ["Mouse broken"]
    (reply,) = rig.connector.posts()
    assert reply.conversation == "a:personal-lee"


async def test_mentions_of_people_in_a_command_become_their_ids(rig: Rig) -> None:
    text = "ticket new Printer jam #application | reporter: <at>Mei Chen</at>"
    await rig.post(message(rig, text, mentions=("mei",)))

    (t,) = tickets(rig)
    assert t.reporter == "mei"


async def test_the_sender_upn_is_looked_up_once(rig: Rig) -> None:
    await rig.post(message(rig, "queue"))
    await rig.post(message(rig, "queue"))

    lookups = [c for c in rig.connector.calls if c.method == "GET"]
    assert len(lookups) == 1  # remembered in the database after the first message
    assert lookups[0].path.endswith(f"/members/{USERS['lee']['id']}")


async def test_ticket_new_without_text_opens_a_form_and_its_submission_logs(rig: Rig) -> None:
    await rig.post(message(rig, "ticket new"))
    (form_post,) = rig.connector.posts()
    form = card_of(form_post.body)
    inputs = {e["id"]: e for e in form["body"] if e["type"].startswith("Input.")}
    assert inputs["summary"]["isRequired"] is True
    (submit,) = form["actions"]
    assert submit["type"] == "Action.Execute"

    empty = dict(submit["data"], summary="", category="network")
    status, body = await rig.post(press(rig, empty, card_id=form_post.answer))
    assert status == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert any(e.get("color") == "Attention" for e in body["value"]["body"])  # the error, inline
    assert tickets(rig) == []

    filled = dict(submit["data"], summary="VPN down", category="network", priority="p2")
    status, body = await rig.post(press(rig, filled, card_id=form_post.answer))
    assert status == 200
    assert "T-1" in texts(body["value"])  # the form is replaced by the answer
    (t,) = tickets(rig)
    assert (t.summary, t.category, t.priority) == ("VPN down", "network", "p2")
