"""What every use case runs against: the team's configuration, the database and a clock."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from handlers.chat import language
from handlers.chat.model import Post
from handlers.config.team import Person, TeamConfig
from storage import outbox

if TYPE_CHECKING:
    from handlers.huddles.links import Rooms


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class ManualClock:
    """A clock that moves only when told: tests and the console's `:time`."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start

    def now(self) -> dt.datetime:
        return self._now

    def set(self, when: dt.datetime) -> None:
        self._now = when

    def advance(self, delta: dt.timedelta) -> None:
        self._now += delta


@dataclass
class Desk:
    config: TeamConfig
    engine: Engine
    clock: Clock
    # Per platform, its meeting service for huddle links (Graph, Slack calls); bot/ fills it.
    rooms: dict[str, Rooms] = field(default_factory=dict)

    def now(self) -> dt.datetime:
        return self.clock.now()

    def for_channel(self) -> AbstractContextManager[None]:
        """Texts inside are for a channel: the team's language."""
        team = self.config.team
        return language.speaking(team.language, team.both_names)

    def for_person(self, person: Person | None) -> AbstractContextManager[None]:
        """Texts inside are a DM to `person`: their language."""
        both = self.config.team.both_names
        return language.speaking(language.of_person(self.config, person), both)

    def post(self, session: Session, platform: str, scope: str, post: Post) -> None:
        """Queue a post in the outbox, inside the caller's transaction."""
        outbox.enqueue(
            session,
            platform=platform,
            scope=scope,
            target=post.target.to_dict(),
            message=post.message.to_dict(),
            now=self.now(),
            dedupe_key=post.dedupe_key,
        )
