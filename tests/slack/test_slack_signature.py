"""Only Slack may talk to /slack/events: a bad, missing or stale signature is 401 and no trace."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse

import pytest

from storage.models import InboundEvent, OutboxMessage
from tests.slack.conftest import SECRET, SlackServer, sign


def _command_body() -> bytes:
    fields = {
        "team_id": "T0SAMPLE",
        "channel_id": "C0QUEUE",
        "user_id": "U0LEE",
        "command": "/ticket",
        "text": "new VPN down",
        "trigger_id": "trigger.x",
        "response_url": "http://127.0.0.1:9/never",
    }
    return urllib.parse.urlencode(fields).encode()


@pytest.mark.parametrize(
    "case",
    ["forged", "missing", "six_minutes_old", "wrong_secret", "not_a_timestamp", "future"],
)
async def test_bad_signatures_get_401_and_write_nothing(slack: SlackServer, case: str) -> None:
    body = _command_body()
    now = int(slack.clock.now().timestamp())
    kw: dict[str, object] = {}
    if case == "forged":
        kw["signature"] = sign(body + b"&text=tampered", now)
    elif case == "missing":
        kw["signature"] = ""  # header left out
    elif case == "six_minutes_old":
        old = now - 6 * 60
        kw["timestamp"], kw["signature"] = old, sign(body, old)
    elif case == "wrong_secret":
        kw["signature"] = sign(body, now, secret="not-" + SECRET)
    elif case == "not_a_timestamp":
        kw["headers"] = {"X-Slack-Request-Timestamp": "soon"}
    elif case == "future":
        later = now + 6 * 60
        kw["timestamp"], kw["signature"] = later, sign(body, later)
    status, _ = await slack.post(body, "application/x-www-form-urlencoded", **kw)  # type: ignore[arg-type]
    assert status == 401
    assert slack.rows(InboundEvent) == [] and slack.rows(OutboxMessage) == []
    assert slack.tickets() == []
    assert [c.method for c in slack.fake.calls if c.method != "auth.test"] == []


async def test_a_four_minute_old_signature_is_still_fine(slack: SlackServer) -> None:
    body = _command_body().replace(b"http%3A%2F%2F127.0.0.1%3A9%2Fnever", b"")
    earlier = int((slack.clock.now() - dt.timedelta(minutes=4)).timestamp())
    status, _ = await slack.post(
        body, "application/x-www-form-urlencoded", timestamp=earlier, signature=sign(body, earlier)
    )
    assert status == 200
    await slack.until(slack.tickets, "the ticket")


async def test_url_verification_is_answered(slack: SlackServer) -> None:
    status, body = await slack.json(
        {"token": "legacy", "challenge": "3eZbrw1aB", "type": "url_verification"}
    )
    assert status == 200
    assert json.loads(body) == {"challenge": "3eZbrw1aB"}
    assert slack.rows(InboundEvent) == []


async def test_url_verification_needs_a_signature_too(slack: SlackServer) -> None:
    status, _ = await slack.json(
        {"token": "legacy", "challenge": "x", "type": "url_verification"}, signature="v0=00"
    )
    assert status == 401
