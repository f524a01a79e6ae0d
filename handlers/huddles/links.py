"""A huddle's join link: what the configuration gives, and the port to a platform's API.

Neither Slack nor Teams lets a bot start a call, so the bot hands out a link. The links that
need no network call are built here, the same for every platform: a room of the team's
meeting service (the template), the Slack channel's huddle, the Teams call deep link.
A platform that can do better (a Graph online meeting, a call registered with Slack's
`calls.add`) implements `Rooms` in `bot/` and is handed to the core on `Desk.rooms`; the
core never knows which platform it talks to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

from handlers.config.team import Person, TeamConfig


@dataclass(frozen=True)
class Room:
    url: str
    kind: str  # template, slack_huddle, slack_call, teams_call, teams_meeting
    external_id: str | None = None  # the platform's id of it (Slack call, Graph meeting)


@dataclass(frozen=True)
class RoomRequest:
    """What a platform needs to open a room for a huddle."""

    key: str  # unique per huddle, e.g. for Slack's external_unique_id
    title: str
    caller: Person | None
    caller_id: str  # the caller's user id on the platform (an unconfigured caller has one too)
    participants: tuple[Person, ...]
    starts_at: dt.datetime
    ends_at: dt.datetime
    fallback: Room | None  # what the configuration gives without the platform's API


class Rooms(Protocol):
    """A platform's meeting service. Errors raise; the core then keeps the fallback."""

    def open(self, request: RoomRequest) -> Room | None:
        """A better room than `request.fallback`, or None to keep the fallback."""
        ...

    def close(self, room: Room, ended_at: dt.datetime) -> None:
        """The huddle has its outcome (Slack: end the registered call)."""
        ...


def from_template(config: TeamConfig, ticket_key: str, number: int, token: str) -> Room | None:
    template = config.huddles.meeting_link_template
    if template is None:
        return None
    values = {"ticket": ticket_key, "huddle": str(number), "token": token}
    return Room(template.format(**{k: quote(v, safe="") for k, v in values.items()}), "template")


def slack_huddle(config: TeamConfig, workspace: str) -> Room | None:
    """The queue channel's own huddle: the ticket's thread lives in that channel."""
    team_id = workspace or config.team.slack_team_id
    channel = config.channels.queue.slack
    if not team_id or not channel:
        return None
    return Room(f"https://app.slack.com/huddle/{team_id}/{channel}", "slack_huddle")


def teams_call(participants: Sequence[Person]) -> Room | None:
    """A deep link that starts a Teams call with everyone who has a UPN.

    Whoever presses it is always in the call, so everyone is listed and anyone may press it.
    """
    upns = [p.teams for p in participants if p.teams and "@" in p.teams]
    if not upns:
        return None
    users = ",".join(quote(u, safe="@") for u in upns)
    return Room(f"https://teams.microsoft.com/l/call/0/0?users={users}", "teams_call")


def configured_room(
    config: TeamConfig,
    platform: str,
    workspace: str,
    ticket_key: str,
    number: int,
    token: str,
    participants: Sequence[Person],
) -> Room | None:
    """The link the configuration produces for a platform, before any platform API."""
    links = config.huddles
    template = from_template(config, ticket_key, number, token)
    if platform == "slack" and links.slack == "channel":
        return slack_huddle(config, workspace) or template
    if platform == "teams" and links.teams in ("meeting", "call"):
        return teams_call(participants) or template
    return template
