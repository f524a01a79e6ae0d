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
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

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


# A labelled child looked up once (a few, fixed labels): the look-up took a lock and
# most of the metrics' cost on every ack.
_requests = cache(REQUESTS.labels)
_ack_seconds = cache(ACK_SECONDS.labels)


def request(platform: str, kind: str) -> None:
    _requests(platform, kind).inc()


def acked(platform: str, started: float) -> None:
    """`started`: time.monotonic() when the request came in."""
    _ack_seconds(platform).observe(time.monotonic() - started)


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
        backlog_depth = {p: count for p, (count, _) in backlog.items()}
        backlog_age = {p: age for p, (_, age) in backlog.items()}
        yield _family(
            GaugeMetricFamily,
            "inbound_pending",
            "Requests acked, not yet done",
            ["source"],
            pending,
        )
        yield _family(
            GaugeMetricFamily,
            "outbox_depth",
            "Posts waiting to go out",
            ["platform"],
            backlog_depth,
        )
        yield _family(
            GaugeMetricFamily,
            "outbox_oldest_seconds",
            "Age of the oldest post waiting",
            ["platform"],
            backlog_age,
        )
        yield _family(GaugeMetricFamily, "outbox_failed", "Posts given up on", ["platform"], failed)
        yield _family(
            CounterMetricFamily,
            "scheduled_fires",
            "Scheduled fires claimed, by job and result (posted, late, skipped, manual)",
            ["job", "result"],
            fires,
        )
        yield _family(
            CounterMetricFamily,
            "clock_stages",
            "Response-clock stages fired, by stage and result (posted, skipped)",
            ["stage", "result"],
            stages,
        )
        yield _family(
            GaugeMetricFamily, "huddles_open", "Huddles without an outcome yet", [], {(): huddles}
        )


def _family(
    kind: type[GaugeMetricFamily] | type[CounterMetricFamily],
    name: str,
    documentation: str,
    labels: list[str],
    values: Mapping[Any, float],
) -> Metric:
    """One metric family from {label value(s): number}; a single label may be a plain str."""
    family = kind(f"deskbot_{name}", documentation, labels=labels)
    for key, number in sorted(values.items()):
        family.add_metric(list(key) if isinstance(key, tuple) else [key], number)
    return family


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
