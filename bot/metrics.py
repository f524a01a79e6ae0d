"""Prometheus metrics: `GET /metrics` (text format) and `GET /readyz`.

Counters of what this process did (requests, acks, deliveries) live in one registry here;
backlogs and totals every replica shares (inbound work pending, the outbox, scheduled fires,
clock stages, open huddles) are read from the database at each scrape, so any replica
reports the same figures.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from handlers.desk import Desk
from storage import operations
from storage.db import HEAD, current_revision, session_scope

log = logging.getLogger(__name__)
READY_TIMEOUT = 3.0  # seconds; a database slower than this is not ready

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "deskbot_requests",
    "Inbound platform requests, by platform and kind",
    ["platform", "kind"],
    registry=REGISTRY,
)
ACK_SECONDS = Histogram(
    "deskbot_ack_seconds",
    "Time from receiving a platform request to its ack",
    ["platform"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "deskbot_deliveries",
    "Outbox delivery attempts, by platform and result (sent, retried, rate_limited, failed)",
    ["platform", "result"],
    registry=REGISTRY,
)


def request(platform: str, kind: str) -> None:
    REQUESTS.labels(platform, kind).inc()


def acked(platform: str, started: float) -> None:
    """`started`: time.monotonic() when the request came in."""
    ACK_SECONDS.labels(platform).observe(time.monotonic() - started)


def http_kind(platform: str, content_type: str, body: bytes) -> str:
    """What an HTTP request to a platform route carries, for the request counter."""
    if platform == "slack":
        if content_type == "application/json":
            return "event"
        return "interaction" if body.startswith(b"payload=") else "command"
    try:
        kind = json.loads(body).get("type")
    except (ValueError, AttributeError):
        kind = None
    return str(kind) if kind else "other"


def delivered(platform: str, result: str) -> None:
    DELIVERIES.labels(platform, result).inc()


class DatabaseFigures(Collector):
    """The shared figures, read at scrape time."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def collect(self) -> Iterator[Metric]:
        with session_scope(self.desk.engine) as session:
            pending = operations.inbound_pending(session)
            backlog = operations.outbox_backlog(session, self.desk.now())
            failed = operations.outbox_failed(session)
            fires = operations.fires_by_result(session)
            stages = operations.clock_stages(session)
            huddles = operations.huddles_open(session)
        inbound = GaugeMetricFamily(
            "deskbot_inbound_pending", "Requests acked but not yet done", labels=["source"]
        )
        for source, count in sorted(pending.items()):
            inbound.add_metric([source], count)
        depth = GaugeMetricFamily(
            "deskbot_outbox_depth", "Posts waiting to go out", labels=["platform"]
        )
        oldest = GaugeMetricFamily(
            "deskbot_outbox_oldest_seconds",
            "Age of the oldest post waiting to go out",
            labels=["platform"],
        )
        for platform, (count, age) in sorted(backlog.items()):
            depth.add_metric([platform], count)
            oldest.add_metric([platform], age)
        gave_up = GaugeMetricFamily(
            "deskbot_outbox_failed", "Posts given up on", labels=["platform"]
        )
        for platform, count in sorted(failed.items()):
            gave_up.add_metric([platform], count)
        fired = CounterMetricFamily(
            "deskbot_scheduled_fires",
            "Scheduled fires claimed, by job and result (posted, late, skipped, manual)",
            labels=["job", "result"],
        )
        for (job, status), count in sorted(fires.items()):
            fired.add_metric([job, status], count)
        clock = CounterMetricFamily(
            "deskbot_clock_stages",
            "Response-clock stages fired, by stage and result (posted, skipped)",
            labels=["stage", "result"],
        )
        for (stage, status), count in sorted(stages.items()):
            clock.add_metric([stage, status], count)
        open_now = GaugeMetricFamily("deskbot_huddles_open", "Huddles without an outcome yet")
        open_now.add_metric([], huddles)
        yield from (inbound, depth, oldest, gave_up, fired, clock, open_now)


def exposition(desk: Desk) -> bytes:
    shared = CollectorRegistry(auto_describe=False)
    shared.register(DatabaseFigures(desk))
    return generate_latest(REGISTRY) + generate_latest(shared)


def ready(desk: Desk) -> tuple[bool, str]:
    """The database answers and carries the newest migration."""
    try:
        revision = current_revision(desk.engine)
    except Exception as exc:
        return False, f"database unreachable: {type(exc).__name__}"
    if revision != HEAD:
        return False, f"database at migration {revision}, expected {HEAD}"
    return True, "ready"


def install(app: web.Application, desk: Desk) -> None:
    async def metrics_page(_request: web.Request) -> web.Response:
        try:
            body = await asyncio.to_thread(exposition, desk)
        except Exception:
            log.exception("metrics: the database figures could not be read")
            body = generate_latest(REGISTRY)
        response = web.Response(body=body)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def readyz(_request: web.Request) -> web.Response:
        try:
            ok, why = await asyncio.wait_for(asyncio.to_thread(ready, desk), READY_TIMEOUT)
        except TimeoutError:
            ok, why = False, "database did not answer in time"
        return web.json_response({"ready": ok, "reason": why}, status=200 if ok else 503)

    app.router.add_get("/metrics", metrics_page)
    app.router.add_get("/readyz", readyz)
