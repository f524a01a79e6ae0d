"""GET /metrics and GET /readyz on the real server, after a scripted burst of Slack requests."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from bot.server import build_app
from handlers.desk import Desk
from storage.db import HEAD, make_engine
from storage.models import OutboxMessage
from tests.slack.conftest import SlackServer

BURST = 12


async def scrape(slack: SlackServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    assert slack.http is not None
    async with slack.http.get(slack.server.make_url("/metrics")) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        body = await resp.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def value(figures: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_after_a_burst_count_requests_acks_and_the_outbox(
    slack: SlackServer,
) -> None:
    before = await scrape(slack)
    answers = await asyncio.gather(
        *(slack.command("/ticket", f"new Burst {n}") for n in range(BURST))
    )
    assert all(status == 200 for status, _ in answers)
    await slack.until(lambda: len(slack.tickets()) == BURST, "the burst's tickets")
    await slack.until(lambda: not slack.unfinished(), "the burst's work")
    # the cards wait in the outbox for their pacing turns: the clock has not moved
    await slack.until(lambda: not slack.due() and not slack.sending(), "the outbox to rest")
    during = await scrape(slack)

    requests = value(during, "deskbot_requests_total", platform="slack", kind="command")
    acks = value(during, "deskbot_ack_seconds_count", platform="slack")
    assert (
        requests - value(before, "deskbot_requests_total", platform="slack", kind="command")
        == BURST
    )
    assert acks - value(before, "deskbot_ack_seconds_count", platform="slack") == BURST
    under_3s = value(during, "deskbot_ack_seconds_bucket", platform="slack", le="3.0")
    assert (
        under_3s - value(before, "deskbot_ack_seconds_bucket", platform="slack", le="3.0") == BURST
    )
    depth = value(during, "deskbot_outbox_depth", platform="slack")
    assert depth == len(slack.pending()) > 0
    assert ("deskbot_outbox_oldest_seconds", (("platform", "slack"),)) in during
    assert value(during, "deskbot_inbound_pending", source="slack") == 0
    assert ("deskbot_huddles_open", ()) in during

    await slack.settle()
    after = await scrape(slack)
    assert value(after, "deskbot_outbox_depth", platform="slack") == 0
    sent = [r for r in slack.rows(OutboxMessage) if r.status == "sent"]
    key = {"platform": "slack", "result": "sent"}
    delivered = value(after, "deskbot_deliveries_total", **key)
    assert delivered - value(before, "deskbot_deliveries_total", **key) == len(sent) >= BURST


async def test_a_rejected_request_is_counted_as_unauthorized(slack: SlackServer) -> None:
    before = await scrape(slack)
    status, _ = await slack.command("/ticket", "new Forged", signature="v0=forged")
    assert status == 401
    after = await scrape(slack)
    key = {"platform": "slack", "kind": "unauthorized"}
    assert (
        value(after, "deskbot_requests_total", **key)
        - value(before, "deskbot_requests_total", **key)
        == 1
    )


async def test_readyz_answers_503_while_the_database_is_behind_or_unreachable(
    slack: SlackServer,
    desk: Desk,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    assert slack.http is not None
    url = slack.server.make_url("/readyz")
    async with slack.http.get(url) as resp:
        assert resp.status == 200

    with desk.engine.begin() as conn:  # the database is shared on PostgreSQL: put it back
        conn.execute(text("UPDATE alembic_version SET version_num = '0003'"))
    try:
        async with slack.http.get(url) as resp:
            assert resp.status == 503
            assert "0003" in (await resp.json())["reason"]
    finally:
        with desk.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": HEAD})
    async with slack.http.get(slack.server.make_url("/healthz")) as resp:
        assert resp.status == 200  # alive all the same: a restart would not help

    gone = Desk(
        config=desk.config,
        engine=make_engine("postgresql://nobody@127.0.0.1:9/none"),
        clock=desk.clock,
    )
    server = TestServer(build_app(gone, []), host="127.0.0.1")
    await server.start_server()
    try:
        async with slack.http.get(server.make_url("/readyz")) as resp:
            assert resp.status == 503
            assert "unreachable" in (await resp.json())["reason"]
    finally:
        await server.close()
