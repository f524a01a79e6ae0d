"""A KPI chart reaches Teams as an Adaptive Card `Image` in the thread of its post: inline
when small, else from the unguessable, expiring URL `deskbot serve` answers."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot import chart_files
from bot.config import Settings
from bot.server import build_app
from handlers.desk import Desk
from schedules.driver import Outlet, Scheduler
from storage import charts
from storage.db import session_scope
from tests.teams.conftest import MANAGERS, TENANT, Rig, install, start

PUBLIC = "https://bot.example.org"


@pytest.fixture
async def public_rig(desk: Desk) -> AsyncIterator[Rig]:
    async for r in start(desk, Settings(MicrosoftAppId="", DESKBOT_PUBLIC_URL=PUBLIC)):
        yield r


def card_of(body: dict[str, Any]) -> dict[str, Any]:
    [attachment] = body["attachments"]
    return attachment["content"]  # type: ignore[no-any-return]


async def review_with_chart(rig: Rig) -> tuple[dict[str, Any], dict[str, Any], str]:
    await rig.post(install(rig, MANAGERS))
    [outcome] = Scheduler(rig.desk, [Outlet("teams", f"teams:{TENANT}")]).run_now("weekly_review")
    assert outcome.posts == 2
    await rig.deliver()
    review, chart = rig.connector.posts()[-2:]
    assert chart.conversation == f"{MANAGERS};messageid={review.answer}"  # in its thread
    [image] = [e for e in card_of(chart.body)["body"] if e["type"] == "Image"]
    return review.body, image, image["url"]


async def test_the_weekly_review_chart_is_a_card_image_from_the_served_url(
    public_rig: Rig,
) -> None:
    review, image, url = await review_with_chart(public_rig)
    assert "Weekly review" in str(review)
    assert image["altText"].startswith("Chart: Weekly review (每周回顾)")
    assert url.startswith(f"{PUBLIC}/charts/") and url.endswith(".png")
    assert len(url.rsplit("/", 1)[1]) >= 32  # unguessable


async def test_a_small_chart_goes_inline_as_a_data_uri(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chart_files, "DATA_URI_MAX", 10_000_000)
    _, _, url = await review_with_chart(rig)
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]).startswith(b"\x89PNG")


async def test_deskbot_serve_answers_a_chart_until_it_expires(desk: Desk) -> None:
    with session_scope(desk.engine) as session:
        token = charts.save(
            session, "teams:x", "t", b"\x89PNG-bytes", desk.now(), dt.timedelta(days=30)
        )
    server = TestServer(build_app(desk, []), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:

            async def get(path: str) -> tuple[int, bytes]:
                async with http.get(str(server.make_url(path))) as resp:
                    return resp.status, await resp.read()

            assert await get(f"/charts/{token}.png") == (200, b"\x89PNG-bytes")
            assert (await get("/charts/not-a-chart.png"))[0] == 404
            desk.clock.set(desk.now() + dt.timedelta(days=31))  # type: ignore[attr-defined]
            assert (await get(f"/charts/{token}.png"))[0] == 404
    finally:
        await server.close()


def test_a_chart_is_drawn_on_its_first_delivery_and_kept(desk: Desk) -> None:
    """An agenda stores what to draw; the first delivery draws the PNG (with the words in
    the language it was built in) and keeps it, so the next reads it back."""
    from handlers.kpis import charts as kpi_charts
    from storage.models import Chart

    series = kpi_charts.Series("T", ["2026-11-23"], [3], [2], [1], [12.5], 15.0, [None])
    drawing = {"series": dataclasses.asdict(series), "words": kpi_charts.labels()}
    with session_scope(desk.engine) as session:
        day = dt.timedelta(days=1)
        token = charts.save(session, "teams:x", "T", None, desk.now(), day, drawing)
    png = chart_files.chart_png(desk.engine, token, desk.now())
    assert png is not None and png.startswith(b"\x89PNG")
    assert b'"logged": [3]' in png  # the series it drew, in its description
    with session_scope(desk.engine) as session:
        kept = session.get(Chart, token)
        assert kept is not None and kept.png == png
    assert chart_files.chart_png(desk.engine, token, desk.now()) == png
