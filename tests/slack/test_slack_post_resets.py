"""A connection reset during `chat.postMessage`: never posted twice, never lost when absent.

Before: slack_sdk's connection-error retry handler sent the post again at once, so a post
Slack had accepted (its answer lost to a reset) appeared twice in the channel.
"""

from __future__ import annotations

import datetime as dt

import aiohttp
from aiohttp.client_reqrep import ConnectionKey
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.state import RetryState

from bot.slack.retries import ConnectionRetry
from storage.models import OutboxMessage
from tests.slack.conftest import QUEUE, SlackServer


def _card_row(slack: SlackServer) -> OutboxMessage:
    rows = [r for r in slack.rows(OutboxMessage) if (r.dedupe_key or "").endswith(":card")]
    return rows[0] if rows else OutboxMessage(status="none")


def _finished(slack: SlackServer) -> bool:
    return _card_row(slack).status in ("sent", "failed")


async def test_a_post_whose_answer_was_lost_is_found_and_not_posted_again(
    slack: SlackServer,
) -> None:
    slack.fake.reset_next("chat.postMessage", done=True)  # Slack posted it; the answer is lost
    await slack.command("/ticket", "new VPN down #network")
    await slack.until(lambda: _finished(slack), "the card's outcome")
    await slack.settle()

    (card,) = slack.fake.posts(QUEUE)  # once, not twice
    row = _card_row(slack)
    assert row.status == "sent"
    assert row.platform_ref == {"channel": QUEUE, "ts": slack.fake.messages[0]["ts"]}
    assert card.params["metadata"]["event_payload"] == {"outbox": row.id}
    (search,) = slack.fake.of("conversations.history")
    assert search.params["channel"] == QUEUE


async def test_a_post_lost_before_slack_did_it_is_sent_once_more(slack: SlackServer) -> None:
    slack.fake.reset_next("chat.postMessage", done=False)  # the request died on the way
    await slack.command("/ticket", "new VPN down #network")
    await slack.until(
        lambda: _card_row(slack).attempts >= 1 and slack.fake.of("conversations.history")
    )
    await slack.settle()

    assert len(slack.fake.posts(QUEUE)) == 1
    assert _card_row(slack).status == "sent"
    assert len(slack.fake.of("conversations.history")) == 2  # looked twice before resending


async def test_a_lost_post_that_shows_up_late_is_found_on_the_second_look(
    slack: SlackServer,
) -> None:
    slack.fake.reset_next("chat.postMessage", done=False)
    await slack.command("/ticket", "new VPN down #network")
    await slack.until(
        lambda: _card_row(slack).attempts == 1 and _card_row(slack).status == "pending",
        "the second look planned",
    )
    row = _card_row(slack)
    assert row.next_attempt_at == slack.clock.now() + dt.timedelta(seconds=5)
    # Slack was only slow: the post appears in the channel after the first look
    late = {"channel": QUEUE, "ts": "1700000000.999999", "thread_ts": None, "text": "card"}
    slack.fake.messages.append(
        late | {"metadata": {"event_type": "deskbot_post", "event_payload": {"outbox": row.id}}}
    )
    await slack.settle()

    assert slack.fake.posts(QUEUE) == []  # never sent a second time
    row = _card_row(slack)
    assert (row.status, row.platform_ref) == ("sent", {"channel": QUEUE, "ts": late["ts"]})


async def test_a_post_that_cannot_be_looked_for_is_given_up_not_repeated(
    slack: SlackServer,
) -> None:
    slack.fake.reset_next("chat.postMessage", done=True)
    slack.fake.fail_next("conversations.history", 200, error="missing_scope")
    await slack.command("/ticket", "new VPN down #network")
    await slack.until(lambda: _finished(slack), "the card's outcome")
    await slack.settle()

    row = _card_row(slack)
    assert row.status == "failed"
    assert "may have been posted" in row.last_error and "missing_scope" in row.last_error
    assert len(slack.fake.posts(QUEUE)) == 1


async def test_only_calls_that_never_left_or_are_harmless_twice_are_retried_at_once() -> None:
    handler = ConnectionRetry()
    refused = aiohttp.ClientConnectorError(
        ConnectionKey("slack", 443, True, True, None, None, None), OSError(111, "refused")
    )
    reset = aiohttp.ServerDisconnectedError()

    async def retried(method: str, error: Exception) -> bool:
        request = HttpRequest(method="POST", url=f"http://slack/api/{method}", headers={})
        return await handler.can_retry_async(state=RetryState(), request=request, error=error)

    assert await retried("chat.postMessage", refused)  # it never reached Slack
    assert not await retried("chat.postMessage", reset)  # it may have been posted
    assert not await retried("views.open", reset)
    assert await retried("chat.update", reset)  # an edit twice is one edit
