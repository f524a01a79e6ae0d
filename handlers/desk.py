"""What every use case runs against: the team's configuration, the database and a clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from handlers.chat import language
from handlers.chat.model import Post
from handlers.config.team import Person, TeamConfig
from storage import outbox
from storage.db import connection_scope, session_scope
from storage.driver import JsonText, Tx
from storage.inbound import Unit

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
    # The inbound request this desk runs (see `bot.inbox`): its writes commit with its done
    # mark and its answer. None for scheduled jobs and the console: each write commits.
    work: Unit | None = None

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

    def running(self, work: Unit) -> Desk:
        """This desk, running one inbound request."""
        return dataclasses.replace(self, work=work)

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A transaction that changes things. Running an inbound request, every write of the
        use case goes into the request's one unit, which the inbox commits with the done mark
        and the answer; otherwise it commits here. An error rolls it back either way."""
        if self.work is None:
            with session_scope(self.engine) as session:
                yield session
            return
        with self._in_work():
            session = self.work.session()
            yield session
            session.flush()  # constraint errors show here, where the use case expects them

    @contextmanager
    def writing_rows(self) -> Iterator[Tx]:
        """`writing` for a use case that runs only prebuilt statements (`storage.driver`),
        such as logging a ticket: a transaction on the driver, without an ORM session
        (`storage.db.connection_scope`, or the inbound request's unit)."""
        if self.work is None:
            with connection_scope(self.engine) as conn:
                yield conn
            return
        with self._in_work():
            yield self.work.tx()

    @contextmanager
    def _in_work(self) -> Iterator[None]:
        """A write inside the inbound request's unit: an error rolls all of it back."""
        assert self.work is not None
        try:
            yield
        except BaseException:
            self.work.discard()
            raise

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A transaction that only reads; it sees the request's own writes so far."""
        if self.work is not None and self.work.wrote:
            yield self.work.session()
            return
        with session_scope(self.engine) as session:
            yield session

    def post(
        self,
        session: Tx,
        platform: str,
        scope: str,
        post: Post,
        not_before: dt.datetime | None = None,
    ) -> None:
        """Queue a post in the outbox, inside the caller's transaction (due now, or at
        `not_before`: a platform that asked for a pause, Retry-After)."""
        self.post_all(session, platform, scope, [post], not_before)

    def post_all(
        self,
        session: Tx,
        platform: str,
        scope: str,
        posts: list[Post],
        not_before: dt.datetime | None = None,
    ) -> None:
        """`post` for several posts to one scope: one INSERT."""
        outbox.enqueue(session, self.outbox_rows(platform, scope, posts, not_before))

    def outbox_rows(
        self,
        platform: str,
        scope: str,
        posts: list[Post],
        not_before: dt.datetime | None = None,
    ) -> list[dict[str, Any]]:
        """The outbox rows of `post_all`, for a caller that writes many scopes' at once."""
        now = self.now()
        return [
            outbox.row(
                platform=platform,
                scope=scope,
                target=post.target.to_dict(),
                message=JsonText(post.message.to_json()),
                now=now,
                dedupe_key=post.dedupe_key,
                not_before=not_before,
            )
            for post in posts
        ]
