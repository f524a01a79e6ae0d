"""Teams test rig: deskbot's real aiohttp server with the real CloudAdapter, and a fake
Bot Connector on 127.0.0.1 that records every `/v3/conversations/...` call.

Activities are POSTed to `/api/messages` over HTTP with `serviceUrl` pointing at the fake,
so replies, card updates and proactive posts travel the SDK's real HTTP path. The outbox is
delivered explicitly (`deliver`) rather than by the background loop, so tests are in order.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot import teams
from bot.config import Settings
from bot.delivery import deliver_due
from handlers.desk import Desk

TENANT = "tenant-1"
QUEUE = "19:queue@thread.tacv2"
MANAGERS = "19:managers@thread.tacv2"
BOT = {"id": "28:deskbot", "name": "deskbot"}
# Teams users of the sample team; the sample configures them by UPN.
USERS = {
    name: {
        "id": f"29:{name}",
        "aadObjectId": f"aad-{name}",
        "name": full,
        "userPrincipalName": f"{name}@example.org",
    }
    for name, full in [
        ("lee", "Lee Wang"),
        ("mei", "Mei Chen"),
        ("omar", "Omar Haddad"),
        ("sofia", "Sofia Rossi"),
        ("ana", "Ana Costa"),
    ]
}


@dataclass
class Call:
    method: str
    path: str
    conversation: str
    body: dict[str, Any]
    answer: str = ""  # the id the connector gave the posted activity


@dataclass
class Connector:
    """The far side of the network: Teams' Bot Connector, faked."""

    url: str = ""
    calls: list[Call] = field(default_factory=list)
    fail_next: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (status, headers)
    drop_next: int = 0  # close the connection after reading the request, without answering
    ids: itertools.count = field(default_factory=lambda: itertools.count(1000))

    def posts(self, conversation: str | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == "POST"
            and "/activities" in c.path
            and (conversation is None or c.conversation == conversation)
        ]

    def updates(self) -> list[Call]:
        return [c for c in self.calls if c.method == "PUT"]

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self.create)
        app.router.add_post("/v3/conversations/{conv}/activities", self.activity)
        app.router.add_post("/v3/conversations/{conv}/activities/{reply_to}", self.activity)
        app.router.add_put("/v3/conversations/{conv}/activities/{id}", self.activity)
        app.router.add_get("/v3/conversations/{conv}/members/{member}", self.member)
        return app

    async def _failure(self, request: web.Request) -> web.StreamResponse | None:
        if self.drop_next:
            self.drop_next -= 1
            await request.read()
            assert request.transport is not None
            request.transport.close()  # the request arrived; the answer never comes
            return web.Response(status=500)
        if self.fail_next:
            status, headers = self.fail_next.pop(0)
            return web.json_response(
                {"error": {"code": "Throttled", "message": "slow down"}},
                status=status,
                headers=headers,
            )
        return None

    async def activity(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        failure = await self._failure(request)
        call = Call(request.method, request.path, request.match_info["conv"], body)
        self.calls.append(call)
        if failure is not None:
            return failure
        call.answer = request.match_info.get("id") or str(next(self.ids))
        return web.json_response({"id": call.answer})

    async def create(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.calls.append(Call("POST", request.path, "", body))
        failure = await self._failure(request)
        if failure is not None:
            return failure
        member = body["members"][0]["id"]
        return web.json_response({"id": f"a:chat-with-{member}"})

    async def member(self, request: web.Request) -> web.StreamResponse:
        self.calls.append(Call("GET", request.path, request.match_info["conv"], {}))
        wanted = request.match_info["member"]
        found = next((u for u in USERS.values() if wanted in (u["id"], u["aadObjectId"])), None)
        if found is None:
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        return web.json_response(found)


@dataclass
class Rig:
    desk: Desk
    connector: Connector
    url: str  # deskbot's base URL
    platform: Any
    session: aiohttp.ClientSession

    async def post(
        self, activity: dict[str, Any], headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        async with self.session.post(
            f"{self.url}/api/messages", json=activity, headers=headers or {}
        ) as response:
            text = await response.text()
            body = (
                await response.json() if text and response.content_type.endswith("json") else text
            )
            return response.status, body

    async def deliver(self) -> int:
        total = 0
        while handled := await deliver_due(
            self.desk.engine, "teams", self.platform.sender, self.desk.now()
        ):
            total += handled
        return total


async def start(desk: Desk, settings: Settings, **sdk: str) -> AsyncIterator[Rig]:
    connector = Connector()
    fake = TestServer(connector.app(), host="127.0.0.1")
    await fake.start_server()
    connector.url = str(fake.make_url("/"))
    platform = teams.platform(settings, desk, **sdk)
    app = web.Application()
    platform.install(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield Rig(desk, connector, str(server.make_url("")).rstrip("/"), platform, session)
    await server.close()
    await fake.close()


@pytest.fixture
async def rig(desk: Desk) -> AsyncIterator[Rig]:
    async for r in start(desk, Settings(MicrosoftAppId="")):
        yield r


_ids = itertools.count(1)


def message(
    rig: Rig,
    text: str,
    *,
    user: str = "lee",
    conversation: str = QUEUE,
    mention_bot: bool = True,
    mentions: tuple[str, ...] = (),
    ident: str | None = None,
    personal: bool = False,
) -> dict[str, Any]:
    """A message activity as Teams sends it: `<at>` mentions with their entities."""
    ident = ident or str(next(_ids))
    entities: list[dict[str, Any]] = []
    if mention_bot and not personal:
        text = f"<at>deskbot</at> {text}"
        entities.append({"type": "mention", "text": "<at>deskbot</at>", "mentioned": BOT})
    for name in mentions:
        u = USERS[name]
        entities.append(
            {
                "type": "mention",
                "text": f"<at>{u['name']}</at>",
                "mentioned": {"id": u["id"], "name": u["name"]},
            }
        )
    conv = (
        {"id": f"a:personal-{user}", "conversationType": "personal", "tenantId": TENANT}
        if personal
        else {
            "id": f"{conversation};messageid={ident}",
            "conversationType": "channel",
            "isGroup": True,
            "tenantId": TENANT,
        }
    )
    return {
        "type": "message",
        "id": ident,
        "channelId": "msteams",
        "serviceUrl": rig.connector.url,
        "from": {k: USERS[user][k] for k in ("id", "aadObjectId", "name")},
        "recipient": BOT,
        "conversation": conv,
        "text": text,
        "entities": entities,
        "channelData": {"tenant": {"id": TENANT}, "team": {"id": QUEUE}},
    }


def press(
    rig: Rig, data: dict[str, Any], *, card_id: str, user: str = "lee", conversation: str = QUEUE
) -> dict[str, Any]:
    """An Action.Execute press on a card (Universal Actions invoke)."""
    return {
        "type": "invoke",
        "name": "adaptiveCard/action",
        "id": f"invoke-{next(_ids)}",
        "channelId": "msteams",
        "serviceUrl": rig.connector.url,
        "from": {k: USERS[user][k] for k in ("id", "aadObjectId", "name")},
        "recipient": BOT,
        "conversation": {
            "id": f"{conversation};messageid={card_id}",
            "conversationType": "channel",
            "tenantId": TENANT,
        },
        "replyToId": card_id,
        "value": {
            "action": {"type": "Action.Execute", "verb": "x", "data": data},
            "trigger": "manual",
        },
        "channelData": {"tenant": {"id": TENANT}},
    }


def install(rig: Rig, conversation: str) -> dict[str, Any]:
    """The bot added to a team: an installationUpdate in the team's channel."""
    return {
        "type": "installationUpdate",
        "action": "add",
        "id": f"install-{next(_ids)}",
        "channelId": "msteams",
        "serviceUrl": rig.connector.url,
        "from": {k: USERS["mei"][k] for k in ("id", "aadObjectId", "name")},
        "recipient": BOT,
        "conversation": {"id": conversation, "conversationType": "channel", "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}, "team": {"id": conversation}},
    }


async def settle() -> None:
    await asyncio.sleep(0)
