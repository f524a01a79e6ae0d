"""Issue 10, defects 1-3 and 6 (the inbox's half), through signed HTTP to the real server:
every well-formed signed request gets 2xx, a malformed one 400 with nothing written, a
request that does not say who or where is refused, and a request the database refuses
for good is answered, not retried forever."""

from __future__ import annotations

import json
import logging
import urllib.parse

import pytest

from storage.models import InboundEvent, OutboxMessage, Ticket
from tests.slack.conftest import QUEUE, TEAM, SlackServer


def _nothing_written(slack: SlackServer) -> None:
    assert slack.rows(InboundEvent) == [] and slack.tickets() == []
    assert slack.rows(OutboxMessage) == []


@pytest.mark.parametrize(
    "event",
    [
        {"type": "reaction_added", "user": "U0LEE", "reaction": "eyes", "item": {}},
        {"type": "message", "user": "U0LEE", "text": "hello", "channel": QUEUE, "ts": "1.2"},
        {"type": "member_joined_channel", "user": "U0MEI", "channel": QUEUE},
    ],
)
async def test_events_without_a_listener_are_acknowledged_and_ignored(
    slack: SlackServer, event: dict[str, object]
) -> None:
    status, _ = await slack.event(event, event_id=f"Ev-{event['type']}")
    assert status == 200
    _nothing_written(slack)


MALFORMED_JSON = [
    b"{not json",
    b"[1, 2, 3]",
    b'"a string"',
    json.dumps({"type": "event_callback", "team_id": TEAM, "event_id": "E1", "event": None}),
]


def _mention(text: object) -> bytes:
    event = {"type": "app_mention", "user": "U0LEE", "text": text, "ts": "1.1", "channel": QUEUE}
    body = {"type": "event_callback", "team_id": TEAM, "event_id": "Ev9", "event": event}
    return json.dumps(body).encode()


def _payload(raw: str) -> bytes:
    return urllib.parse.urlencode({"payload": raw}).encode()


def _action_without_id() -> bytes:
    return _payload(
        json.dumps(
            {
                "type": "block_actions",
                "team": {"id": TEAM},
                "user": {"id": "U0LEE"},
                "channel": {"id": QUEUE},
                "container": {"type": "message", "channel_id": QUEUE},
                "trigger_id": "t1",
                "actions": [{"type": "button", "value": "T-1", "action_ts": "1"}],
            }
        )
    )


def _junk_view() -> bytes:
    view = {"id": "V1", "callback_id": "ticket.new", "state": {"values": "junk"}}
    return _payload(
        json.dumps(
            {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": "U0LEE"}, "view": view}
        )
    )


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        *[(b if isinstance(b, bytes) else b.encode(), "application/json") for b in MALFORMED_JSON],
        (_mention(None), "application/json"),
        (_mention(42), "application/json"),
        (_payload("not json"), "application/x-www-form-urlencoded"),
        (_payload("[1, 2]"), "application/x-www-form-urlencoded"),
        (_action_without_id(), "application/x-www-form-urlencoded"),
        (_junk_view(), "application/x-www-form-urlencoded"),
    ],
)
async def test_a_malformed_signed_body_gets_400_one_log_line_and_no_write(
    slack: SlackServer, body: bytes, content_type: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    status, _ = await slack.post(body, content_type)
    assert status == 400
    refused = [r for r in caplog.records if "malformed request refused" in r.getMessage()]
    assert len(refused) == 1 and refused[0].exc_info is None
    _nothing_written(slack)


@pytest.mark.parametrize("missing", ["user_id", "team_id", "channel_id"])
async def test_a_command_that_does_not_say_who_or_where_is_refused(
    slack: SlackServer, missing: str
) -> None:
    fields = {
        "team_id": TEAM,
        "channel_id": QUEUE,
        "user_id": "U0LEE",
        "command": "/ticket",
        "text": "new VPN down",
        "trigger_id": "trigger.who",
    }
    del fields[missing]
    status, _ = await slack.form(fields)
    assert status == 400
    _nothing_written(slack)


async def test_a_request_the_database_refuses_for_good_is_answered_once(
    slack: SlackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A permanent database error (here an integrity error raised by the ticket's insert)
    fails that request with an answer, and recovery does not run it again."""
    from sqlalchemy.exc import IntegrityError

    from storage import tickets

    def refuse(*_a: object, **_k: object) -> None:
        raise IntegrityError("INSERT INTO ticket", {}, Exception("value too long"))

    monkeypatch.setattr(tickets, "insert_new", refuse)
    await slack.command("/ticket", "new VPN down")
    answer = (await slack.until(slack.fake.responses, "the answer"))[0]
    assert "could not be saved" in answer["text"]
    assert slack.rows(Ticket) == [] and slack.unfinished() == []
    assert await slack.runtime.inbox.recover() == 0
    assert len(slack.fake.responses()) == 1


async def test_a_mention_or_press_that_does_not_say_who_or_where_is_refused(
    slack: SlackServer,
) -> None:
    event = {"type": "app_mention", "user": "U0LEE", "text": "<@U0BOT> ticket new X", "ts": "1.1"}
    status, _ = await slack.event(event, event_id="EvNoChannel")  # no channel
    assert status == 400
    press = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "channel": {"id": QUEUE},
        "container": {"type": "message", "channel_id": QUEUE},
        "trigger_id": "t.nouser",
        "actions": [{"type": "button", "action_id": "ticket.take", "value": "T-1"}],
    }  # no user
    status, _ = await slack.interact(press)
    assert status == 400
    _nothing_written(slack)
