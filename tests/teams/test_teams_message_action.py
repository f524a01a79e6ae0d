"""The message action "Create ticket from message": invokes posted to `/api/messages`."""

from __future__ import annotations

import itertools
from typing import Any

from bot.teams.manifest import MESSAGE_ACTION
from tests.teams.conftest import BOT, QUEUE, TENANT, USERS, Rig
from tests.teams.test_teams_commands import tickets

_ids = itertools.count(1)
LINK = "https://teams.microsoft.com/l/message/19:help@thread.tacv2/1700000000"


def invoke(rig: Rig, name: str, value: dict[str, Any], user: str = "lee") -> dict[str, Any]:
    return {
        "type": "invoke",
        "name": name,
        "id": f"me-{next(_ids)}",
        "channelId": "msteams",
        "serviceUrl": rig.connector.url,
        "from": {k: USERS[user][k] for k in ("id", "aadObjectId", "name")},
        "recipient": BOT,
        "conversation": {"id": QUEUE, "conversationType": "channel", "tenantId": TENANT},
        "value": {"commandId": MESSAGE_ACTION, "commandContext": "message", **value},
        "channelData": {"tenant": {"id": TENANT}},
    }


def fetch(rig: Rig) -> dict[str, Any]:
    return invoke(
        rig,
        "composeExtension/fetchTask",
        {
            "messagePayload": {
                "id": "1700000000",
                "body": {
                    "contentType": "html",
                    "content": "<p>ERP login fails &amp; times out</p><p>since 9:00</p>",
                },
                "from": {"user": {"id": "aad-ana", "displayName": "Ana Costa"}},
                "linkToMessage": LINK,
            }
        },
    )


def inputs(card: dict[str, Any]) -> dict[str, Any]:
    return {i["id"]: i.get("value") for i in card["body"] if i["type"].startswith("Input.")}


async def test_the_message_action_opens_the_prefilled_intake_and_logs_the_ticket(
    rig: Rig,
) -> None:
    # Ana has written to the bot before, so her AAD id is known as a person of the team
    await rig.post(
        {
            "type": "message",
            "id": "hello-ana",
            "channelId": "msteams",
            "serviceUrl": rig.connector.url,
            "from": {k: USERS["ana"][k] for k in ("id", "aadObjectId", "name")},
            "recipient": BOT,
            "conversation": {
                "id": "a:personal-ana",
                "conversationType": "personal",
                "tenantId": TENANT,
            },
            "text": "help",
            "channelData": {"tenant": {"id": TENANT}},
        }
    )
    status, body = await rig.post(fetch(rig))
    assert status == 200
    card = body["task"]["value"]["card"]["content"]
    assert body["task"]["type"] == "continue"
    values = inputs(card)
    assert values["summary"] == "ERP login fails & times out"
    assert values["description"] == "ERP login fails & times out\nsince 9:00"
    assert values["links"] == LINK
    assert values["reporter"] == "ana"
    [submit] = card["actions"]
    assert submit["type"] == "Action.Submit"  # a dialog submits; Action.Execute is for cards
    assert tickets(rig) == []

    data = {**values, **submit["data"], "summary": ""}
    status, body = await rig.post(invoke(rig, "composeExtension/submitAction", {"data": data}))
    assert body["task"]["type"] == "continue"  # the form again, with the reason
    errors = [
        b for b in body["task"]["value"]["card"]["content"]["body"] if b.get("color") == "Attention"
    ]
    assert errors and "summary" in errors[0]["text"]
    assert tickets(rig) == []

    data = {**values, **submit["data"], "category": "application"}
    status, body = await rig.post(invoke(rig, "composeExtension/submitAction", {"data": data}))
    assert status == 200
    assert body["task"]["type"] == "message" and "Logged T-1" in body["task"]["value"]
    (t,) = tickets(rig)
    assert (t.summary, t.reporter, t.logged_by, t.category) == (
        "ERP login fails & times out",
        "ana",
        "lee",
        "application",
    )
    assert t.links == [LINK]
