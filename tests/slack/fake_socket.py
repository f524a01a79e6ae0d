"""A fake of Slack's Socket Mode endpoint: a local WebSocket server that sends envelopes
(`slash_commands`, `interactive`, `events_api`) to whoever connects and records the acks.

The fake Web API's `apps.connections.open` hands out `url`; a client that connects gets
`hello`, as from Slack.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer


@dataclass
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None
    seconds: float  # from the envelope sent to its ack


@dataclass
class FakeSocketMode:
    acks: list[Ack] = field(default_factory=list)
    url: str = ""
    connections: int = 0
    _socket: web.WebSocketResponse | None = None
    _sent: dict[str, float] = field(default_factory=dict)
    _connected: asyncio.Event = field(default_factory=asyncio.Event)
    _acked: asyncio.Condition = field(default_factory=asyncio.Condition)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    async def start(self) -> TestServer:
        app = web.Application()
        app.router.add_get("/link", self._link)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        self.url = str(server.make_url("/link")).replace("http://", "ws://")
        return server

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._socket = ws
        self.connections += 1
        await ws.send_json({"type": "hello", "num_connections": 1})
        self._connected.set()
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            envelope = str(data.get("envelope_id"))
            sent = self._sent.get(envelope, time.monotonic())
            async with self._acked:
                self.acks.append(Ack(envelope, data.get("payload"), time.monotonic() - sent))
                self._acked.notify_all()
        if self._socket is ws:
            self._socket = None
            self._connected.clear()
        return ws

    async def connected(self, timeout: float = 20.0) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def send(self, kind: str, payload: dict[str, Any], envelope_id: str | None = None) -> str:
        """Send one envelope on the current connection; its id (reuse it for a redelivery)."""
        await self.connected()
        assert self._socket is not None
        envelope_id = envelope_id or f"env-{next(self._ids)}"
        self._sent[envelope_id] = time.monotonic()
        await self._socket.send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        return envelope_id

    async def ack_of(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        """The (first) ack of an envelope."""
        return (await self.until_acks(envelope_id, 1, timeout))[0]

    async def until_acks(self, envelope_id: str, count: int, timeout: float = 5.0) -> list[Ack]:
        """Wait until an envelope has been acked `count` times (a redelivery is acked too)."""

        async def found() -> list[Ack]:
            async with self._acked:
                while True:
                    acks = [a for a in self.acks if a.envelope_id == envelope_id]
                    if len(acks) >= count:
                        return acks
                    await self._acked.wait()

        return await asyncio.wait_for(found(), timeout)

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
