"""Teams activities posted to /api/messages on the real server are counted and timed."""

from __future__ import annotations

import aiohttp
from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot import teams
from bot.config import Settings
from bot.server import build_app
from handlers.desk import Desk
from tests.teams.conftest import Connector, Rig, message


async def figures(http: aiohttp.ClientSession, url: str) -> dict[tuple[str, str], float]:
    async with http.get(f"{url}/metrics") as resp:
        body = await resp.text()
    return {
        (s.name, s.labels.get("kind", "")): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
        if s.labels.get("platform") == "teams"
    }


async def test_teams_activities_are_counted_by_type_and_their_acks_timed(desk: Desk) -> None:
    connector = Connector()
    fake = TestServer(connector.app(), host="127.0.0.1")
    await fake.start_server()
    connector.url = str(fake.make_url("/"))
    platform = teams.platform(Settings(MicrosoftAppId=""), desk)
    server = TestServer(build_app(desk, [platform]), host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url("")).rstrip("/")
    try:
        async with aiohttp.ClientSession() as http:
            rig = Rig(desk, connector, url, platform, http)
            before = await figures(http, url)
            for n in range(3):
                status, _ = await rig.post(message(rig, f"ticket new Teams {n}"))
                assert status in (200, 201)
            after = await figures(http, url)
    finally:
        await server.close()
        await fake.close()
    counted = after[("deskbot_requests_total", "message")]
    assert counted - before.get(("deskbot_requests_total", "message"), 0) == 3
    timed = after[("deskbot_ack_seconds_count", "")]
    assert timed - before.get(("deskbot_ack_seconds_count", ""), 0) == 3
