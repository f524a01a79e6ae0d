"""Slack huddle rooms: the team's meeting room registered as a Slack call (`calls.add`).

Used when the team's configuration sends Slack the meeting-link template and names its
call provider (`huddles.slack: template`, `huddles.slack_call_provider`). Slack then knows
the huddle as a call: who was asked in, when it started, and (`calls.end`) when it ended.
The bot token needs the `calls:write` scope; without it the core keeps the plain link.
"""

from __future__ import annotations

import datetime as dt

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import markdown
from handlers.huddles.links import Room, RoomRequest

TIMEOUT_SECONDS = 5


class SlackCallError(Exception):
    """Slack did not register or end the call."""


class SlackCalls:
    """`Rooms` for Slack."""

    def __init__(self, client: WebClient, provider: str) -> None:
        self.client = client
        self.provider = provider

    def open(self, request: RoomRequest) -> Room | None:
        room = request.fallback
        if room is None or room.kind != "template":
            return None  # Slack's own huddle needs no registering
        created_by = (request.caller.slack if request.caller else None) or request.caller_id
        try:
            response = self.client.calls_add(
                external_unique_id=request.key,
                join_url=room.url,
                created_by=created_by,
                date_start=int(request.starts_at.timestamp()),
                title=markdown.convert(request.title, lambda span: span.text),
                external_display_id=self.provider,
                users=[{"slack_id": p.slack} for p in request.participants if p.slack],
            )
        except (SlackApiError, SlackClientError) as exc:
            raise SlackCallError(f"calls.add failed: {exc}") from exc
        return Room(room.url, "slack_call", response["call"]["id"])

    def close(self, room: Room, ended_at: dt.datetime) -> None:
        if room.kind != "slack_call" or not room.external_id:
            return
        try:
            self.client.calls_end(id=room.external_id)
        except (SlackApiError, SlackClientError) as exc:
            raise SlackCallError(f"calls.end failed: {exc}") from exc


def client(token: str, api_url: str) -> WebClient:
    return WebClient(token=token, base_url=api_url, timeout=TIMEOUT_SECONDS)
