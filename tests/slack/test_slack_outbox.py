"""Posting through the outbox: rate limits honoured, errors retried or given up, paced."""

from __future__ import annotations

import datetime as dt
import itertools

from bot.delivery import TRANSIT
from storage.models import OutboxMessage
from tests.slack.conftest import QUEUE, SlackServer


def _card_row(slack: SlackServer) -> OutboxMessage:
    rows = [r for r in slack.rows(OutboxMessage) if (r.dedupe_key or "").endswith(":card")]
    return rows[0] if rows else OutboxMessage(status="none")


def _calls(slack: SlackServer, method: str) -> list[int]:
    return [c.status for c in slack.fake.calls if c.method == method]


async def test_a_429_waits_retry_after_then_posts_once(slack: SlackServer) -> None:
    slack.fake.fail_next("chat.postMessage", 429, {"Retry-After": "1"})
    start = slack.clock.now()
    await slack.command("/ticket", "new VPN down #network")
    await slack.until(lambda: _calls(slack, "chat.postMessage") == [429], "the 429")
    await slack.until(lambda: _card_row(slack).status == "pending", "the retry to be planned")
    row = _card_row(slack)
    assert row.next_attempt_at == start + dt.timedelta(seconds=1)  # exactly Retry-After
    assert slack.fake.posts() == []

    # the Retry-After, and the channel's turn (a second and the trip's margin after the
    # post that met the 429)
    slack.clock.advance(dt.timedelta(seconds=1) + TRANSIT)
    await slack.until(lambda: slack.fake.posts(QUEUE), "the post after the wait")
    await slack.settle()
    assert _calls(slack, "chat.postMessage") == [429, 200]
    assert _card_row(slack).status == "sent"
    assert _card_row(slack).platform_ref == {"channel": QUEUE, "ts": "1700000000.000001"}


async def test_server_errors_are_retried_and_post_once(slack: SlackServer) -> None:
    slack.fake.fail_next("chat.postMessage", 500)
    slack.fake.fail_next("chat.postMessage", 500)  # slack_sdk's own quick retry meets this one
    await slack.command("/ticket", "new VPN down #network")
    await slack.until(lambda: _calls(slack, "chat.postMessage") == [500, 500], "two 500s")
    await slack.until(lambda: _card_row(slack).status == "pending", "the retry to be planned")
    assert "500" in _card_row(slack).last_error
    await slack.settle()
    assert _calls(slack, "chat.postMessage") == [500, 500, 200]
    assert len(slack.fake.posts(QUEUE)) == 1


async def test_a_permanent_error_fails_the_post_without_retrying(slack: SlackServer) -> None:
    slack.fake.fail_next("chat.postMessage", 200, error="channel_not_found")
    await slack.command("/ticket", "new VPN down")
    await slack.until(lambda: _card_row(slack).status == "failed", "the failure")
    assert "channel_not_found" in _card_row(slack).last_error
    slack.clock.advance(dt.timedelta(minutes=10))
    await slack.command("/ticket", "new Printer jam")  # a later post shows the loop went by
    await slack.until(lambda: slack.fake.posts(QUEUE), "the next post")
    assert _calls(slack, "chat.postMessage") == [-1, 200]  # the first was tried once only


async def test_posts_to_one_channel_are_paced_a_second_apart(slack: SlackServer) -> None:
    await slack.command("/ticket", "new VPN down #network | tried: reconnect")
    await slack.until(lambda: slack.fake.posts(QUEUE), "the card")
    await slack.command("/ticket", "dispatch T-1")
    await slack.until(lambda: len(slack.fake.responses()) == 2, "the dispatch")
    await slack.settle()
    queue = [c for c in slack.fake.calls if c.params.get("channel") == QUEUE and c.status == 200]
    times = [c.at for c in queue]
    assert len(queue) == 3  # the card, its update, the thread reply
    assert all(b - a >= dt.timedelta(seconds=1) for a, b in itertools.pairwise(times))
    dms = [c.at for c in slack.fake.posts() if c.params["channel"].startswith("D")]
    assert len(dms) == 2 and dms[0] == dms[1]  # two different people: no need to wait
