"""Calls to the Bot Connector: no hidden retries, and what a failure means for the outbox.

The SDK's HTTP client (msrest on requests) retries every method, POST included, three times
on 5xx, 429 and read errors. A repeated POST can post a message twice, so deskbot turns that
off and lets the outbox decide (bot/delivery.py: backoff with jitter, Retry-After honoured).
"""

from __future__ import annotations

import datetime as dt
import email.utils
from typing import Any

import requests
from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, ChannelAccount, Mention
from urllib3.util.retry import Retry as Urllib3Retry

from bot.delivery import Failed, Outcome, Retry

TIMEOUT_SECONDS = 30
# Teams' throttling and transient answers, retried later (Microsoft's guidance for bots).
RETRY_STATUSES = {412, 429, 502, 503, 504}


def tune(turn_context: TurnContext) -> None:
    """One attempt per call with a bounded wait, on this turn's connector client."""
    client = turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
    if client is None:
        return
    client.config.retry_policy.policy = Urllib3Retry(
        total=0, connect=0, read=0, redirect=0, status=0, raise_on_status=False
    )
    client.config.connection.timeout = TIMEOUT_SECONDS


def activity_from(payload: dict[str, Any]) -> Activity:
    """An SDK activity from a rendered dict; mention entities kept whole.

    (A plain `Entity` loses its `mentioned`/`text` when the SDK serialises it.)
    """
    activity = Activity().deserialize(payload)
    activity.entities = [
        Mention(mentioned=ChannelAccount(**e["mentioned"]), text=e["text"], type="mention")
        for e in payload.get("entities", [])
        if e.get("type") == "mention"
    ] or None
    return activity


def status_of(exc: BaseException) -> tuple[int | None, Any]:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None), getattr(response, "headers", None) or {}


def retry_after(headers: Any) -> float | None:
    """Seconds from a Retry-After header: a number, or an HTTP date (against `Date`)."""
    value = headers.get("Retry-After") if headers else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        sent = email.utils.parsedate_to_datetime(headers.get("Date", ""))
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None or sent.tzinfo is None:
        return None
    return max(0.0, (when - sent) / dt.timedelta(seconds=1))


def never_sent(exc: BaseException) -> bool:
    """True when the request surely did not reach Teams (no connection was made)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, requests.exceptions.ConnectTimeout):
            return True
        if isinstance(current, requests.exceptions.ConnectionError):
            text = str(current)
            return "NewConnectionError" in text or "NameResolutionError" in text
        inner = getattr(current, "inner_exception", None)
        current = inner or current.__cause__ or current.__context__
    return False


def outcome_of(exc: BaseException, repeatable: bool) -> Outcome:
    """What a failed call means: retry later, or give up with the reason.

    `repeatable`: doing the call twice is harmless (an edit). A new post that may have
    reached Teams is not sent again blindly: it is marked failed with that reason.
    """
    status, headers = status_of(exc)
    if status is not None:
        reason = f"Teams answered HTTP {status}: {exc}"
        if status in RETRY_STATUSES:
            return Retry(reason, after=retry_after(headers))
        return Failed(reason)
    reason = f"{type(exc).__name__}: {exc}"
    if repeatable or never_sent(exc):
        return Retry(reason)
    return Failed(
        f"no answer from Teams after the request was sent ({reason}); it may have been "
        "posted, so it is not sent again (check the conversation, then retry by hand)"
    )
