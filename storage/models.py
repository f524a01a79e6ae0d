"""sqlmodel tables. Times are stored in UTC and always come back timezone-aware."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Index,
    LargeBinary,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

# The text SQLAlchemy's SQLite DATETIME stores a time as, by default.
_SQLITE_TEXT = (
    "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"
)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """SQLite forgets time zones; this keeps every stored time in UTC, aware on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else _utc(value)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        # On SQLite, UTC and the stored text in one step: the same text as SQLAlchemy's
        # format filled in per value, at a tenth of the cost (a million-ticket import binds
        # ten million times; tests/test_storage.py pins the two equal).
        if getattr(self.impl_instance, "_storage_format", None) == _SQLITE_TEXT:
            return _sqlite_text
        return super().bind_processor(dialect)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the database; use an aware UTC time")
    return value.astimezone(dt.UTC)


def _sqlite_text(value: dt.datetime | None) -> str | None:
    return None if value is None else _utc(value).isoformat(" ", "microseconds")[:26]


def _when(nullable: bool = True, **kw: Any) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, **kw)


class TicketCounter(SQLModel, table=True):
    """The last ticket number per scope, so numbers are per team and never reused."""

    __tablename__ = "ticket_counter"
    scope: str = Field(primary_key=True, max_length=200)
    last: int = 0


# The open tickets, and the L1's unassigned pool, as partial-index conditions. A query uses
# such an index only when its WHERE holds these very terms with the states written in
# (`storage.tickets.status_in`): SQLite checks that literally.
OPEN_WHERE = "status IN ('new', 'in_progress', 'dispatched')"
POOL_WHERE = "status IN ('new', 'in_progress') AND assignee IS NULL"
UNASSIGNED_WHERE = f"{OPEN_WHERE} AND assignee IS NULL"
ASSIGNED_WHERE = f"{OPEN_WHERE} AND assignee IS NOT NULL"
DISPATCHED_WHERE = "status IN ('dispatched')"  # the open escalations
RESOLVED_WHERE = "resolved_at IS NOT NULL"
KPI_MARKED_WHERE = "kpi_marked_at IS NOT NULL"
INBOUND_WAITING_WHERE = "answered_at IS NULL"  # not done, or done with the answer unsent
# The running clocks of the backlog (`storage.backlog`): awaiting a first response, and
# dispatched awaiting an L2 root cause.
WAITING_WHERE = f"{OPEN_WHERE} AND first_response_at IS NULL"
UNEXPLAINED_WHERE = f"{DISPATCHED_WHERE} AND root_cause_at IS NULL AND dispatched_at IS NOT NULL"


def partial_index(name: str, where: str, *columns: str) -> Index:
    """An index of the rows where `where` holds, on both databases."""
    return Index(name, *columns, sqlite_where=text(where), postgresql_where=text(where))


class Ticket(SQLModel, table=True):
    __tablename__ = "ticket"
    __table_args__ = (
        UniqueConstraint("scope", "number", name="uq_ticket_scope_number"),
        # KPI windows read tickets by creation time, reports by resolution time
        Index("ix_ticket_scope_created", "scope", "created_at"),
        # Every ticket logged is written to each index it falls in (a tenth of the cost of
        # logging one): the indexes below hold only the rows their readers ask for, and a
        # new ticket (open, unassigned, unresolved) falls in as few as its readers need.
        partial_index("ix_ticket_scope_resolved", RESOLVED_WHERE, "scope", "resolved_at"),
        # the response clocks' tick reads only the tickets due (NULL: no clock runs)
        partial_index("ix_ticket_clock_due", "clock_due_at IS NOT NULL", "clock_due_at", "id"),
        # At a million tickets the open ones are a tenth and the pool a twentieth: each
        # `/queue` view reads its first rows in order from its own small index.
        partial_index("ix_ticket_pool", POOL_WHERE, "scope", "created_at", "id"),
        partial_index("ix_ticket_open", OPEN_WHERE, "scope", "created_at", "id"),
        partial_index(
            "ix_ticket_open_assignee", ASSIGNED_WHERE, "scope", "assignee", "created_at", "id"
        ),
        # the open escalations (the standup's count and list), oldest first
        partial_index(
            "ix_ticket_dispatched", DISPATCHED_WHERE, "scope", "status", "created_at", "id"
        ),
        partial_index(
            "ix_ticket_open_category", UNASSIGNED_WHERE, "scope", "category", "created_at", "id"
        ),
        # the tickets whose KPI facts are to be worked out again (`storage.kpi_facts`)
        partial_index("ix_ticket_kpi_marked", KPI_MARKED_WHERE, "kpi_marked_at", "id"),
        partial_index("ix_ticket_kpi_marked_scope", KPI_MARKED_WHERE, "scope", "id"),
        # the digest's and standup's backlog: counted per priority, read oldest first
        partial_index("ix_ticket_waiting", WAITING_WHERE, "scope", "priority", "created_at", "id"),
        partial_index(
            "ix_ticket_unexplained",
            UNEXPLAINED_WHERE,
            *("scope", "priority", "dispatched_at", "id", "resolved_at", "created_at"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=200)  # platform + workspace, e.g. "slack:T0123"
    number: int
    summary: str = Field(max_length=300)
    description: str = ""
    reporter: str = Field(default="", max_length=200)  # person id, or a name for outsiders
    logged_by: str = Field(max_length=200)  # actor key
    intake: str = Field(default="chat", max_length=20)
    category: str | None = Field(default=None, max_length=64)
    priority: str = Field(default="p3", max_length=2)
    environment: str = ""
    links: list[str] = Field(default_factory=list, sa_type=JSON)
    tried: str = ""
    status: str = Field(default="new", max_length=20)
    assignee: str | None = Field(default=None, max_length=200)
    root_cause: str = ""
    resolution: str = ""
    created_at: dt.datetime = _when(nullable=False)
    first_response_at: dt.datetime | None = _when()
    updated_at: dt.datetime = _when(nullable=False)
    dispatched_at: dt.datetime | None = _when()
    root_cause_at: dt.datetime | None = _when()
    resolved_at: dt.datetime | None = _when()
    closed_at: dt.datetime | None = _when()
    # Why it closed without (or besides) a resolution: duplicate, cancelled,
    # not_reproducible; "" for a normal close. KPIs leave duplicates and cancellations out.
    close_reason: str = Field(default="", max_length=20)
    # When the response clocks must look at the ticket next: its earliest unclaimed stage,
    # or the time of a change (any audit event) so the tick re-evaluates it; NULL when no
    # clock runs. Kept by `storage.tickets` and `schedules.response_clocks`.
    clock_due_at: dt.datetime | None = _when()
    # When a change made its stored KPI facts stale (`storage.kpi_facts`); NULL: up to date.
    kpi_marked_at: dt.datetime | None = _when()
    duplicate_of: int | None = None  # the ticket number a duplicate points at
    # People kept informed besides the assignee (the L1 who dispatched it): person ids.
    watchers: list[str] = Field(default_factory=list, sa_type=JSON)

    @property
    def key(self) -> str:
        return f"T-{self.number}"


class TicketEvent(SQLModel, table=True):
    """The audit trail: every change to a ticket, who made it and when."""

    __tablename__ = "ticket_event"
    __table_args__ = (
        Index("ix_ticket_event_ticket", "ticket_id", "id"),
        # KPI windows find the tickets with a resolution, reopen or dispatch in them
        Index("ix_ticket_event_kind_at", "kind", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    at: dt.datetime = _when(nullable=False)
    actor: str = Field(max_length=200)
    kind: str = Field(max_length=40)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class InboundEvent(SQLModel, table=True):
    """Ids of platform deliveries already handled; the unique key makes redelivery a no-op."""

    __tablename__ = "inbound_event"
    __table_args__ = (
        UniqueConstraint("source", "event_id", name="uq_inbound_source_event"),
        # the work and the answers still to do: a few rows among every id ever received
        partial_index("ix_inbound_waiting", INBOUND_WAITING_WHERE, "source", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=40)
    event_id: str = Field(max_length=200)
    received_at: dt.datetime = _when(nullable=False)
    # when a runner took the work (its lease; stale after `storage.inbound.STALE`); None:
    # waiting for the inbox worker process (see bot.inbox_worker)
    taken_at: dt.datetime | None = _when()
    payload: dict[str, Any] | None = Field(default=None, sa_type=JSON)  # work to finish
    done_at: dt.datetime | None = _when()
    # the answer to the asker, committed with the work and kept until it is sent
    answer: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    answered_at: dt.datetime | None = _when()


class OutboxMessage(SQLModel, table=True):
    """A message to post, persisted with the change that caused it and delivered later."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe"),
        Index("ix_outbox_due", "platform", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)  # who delivers it: console, slack, teams
    scope: str = Field(max_length=200)
    target: dict[str, Any] = Field(sa_type=JSON)  # neutral destination (see handlers.chat.model)
    message: dict[str, Any] = Field(sa_type=JSON)  # neutral message tree
    dedupe_key: str | None = Field(default=None, max_length=300)
    status: str = Field(default="pending", max_length=20)  # pending, sending, sent, failed, skipped
    attempts: int = 0
    created_at: dt.datetime = _when(nullable=False)
    next_attempt_at: dt.datetime = _when(nullable=False)
    sent_at: dt.datetime | None = _when()
    platform_ref: dict[str, Any] | None = Field(default=None, sa_type=JSON)  # e.g. Slack ts
    last_error: str = ""


class TeamsConversation(SQLModel, table=True):
    """A Teams conversation the bot has heard from: what a proactive post needs to reach it.

    `reference` is the Bot Framework conversation reference (service URL, bot account,
    conversation, tenant); it is refreshed on every activity, since the service URL can move.
    """

    __tablename__ = "teams_conversation"
    __table_args__ = (
        UniqueConstraint("conversation_id", name="uq_teams_conversation_id"),
        Index("ix_teams_conversation_user", "tenant_id", "user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(max_length=400)  # channel or chat id, without ";messageid="
    tenant_id: str = Field(max_length=100)
    kind: str = Field(max_length=20)  # personal, channel, groupChat
    service_url: str = Field(max_length=500)
    reference: dict[str, Any] = Field(sa_type=JSON)
    user_id: str | None = Field(default=None, max_length=200)  # the user of a 1:1 chat
    updated_at: dt.datetime = _when(nullable=False)
    # Set when Teams refused a post with 403 (the bot was removed): later posts are skipped
    # until a new activity from the conversation clears it. `deskbot doctor` lists these.
    inactive_since: dt.datetime | None = _when()
    inactive_reason: str = Field(default="", max_length=500)


class TeamsUser(SQLModel, table=True):
    """A Teams user the bot has seen: their ids, and the UPN once it was looked up (once)."""

    __tablename__ = "teams_user"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", name="uq_teams_user"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=100)
    user_id: str = Field(max_length=200)  # the Teams id, 29:...
    aad_object_id: str | None = Field(default=None, max_length=100)
    upn: str | None = Field(default=None, max_length=300)
    name: str = Field(default="", max_length=300)
    updated_at: dt.datetime = _when(nullable=False)


class ScheduleFire(SQLModel, table=True):
    """One fire of a scheduled job for one scope: the row that makes it happen exactly once.

    Inserted in the transaction that queues the fire's posts; the unique key decides which
    process (or restart) posts it. `status`: posted, late (run after a restart, within the
    grace window), skipped (missed for longer), manual (`deskbot schedule run`).
    """

    __tablename__ = "schedule_fire"
    __table_args__ = (UniqueConstraint("scope", "job", "fire_at", name="uq_schedule_fire"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=200)
    job: str = Field(max_length=64)
    fire_at: dt.datetime = _when(nullable=False)
    status: str = Field(max_length=20)
    posts: int = 0
    claimed_at: dt.datetime = _when(nullable=False)


class ClockStage(SQLModel, table=True):
    """A response-clock stage of a ticket that has fired (or was skipped): at most once."""

    __tablename__ = "clock_stage"
    __table_args__ = (UniqueConstraint("ticket_id", "stage", name="uq_clock_stage"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    stage: str = Field(max_length=60)  # nudge, breach, progress:<since>, root_cause
    due_at: dt.datetime = _when(nullable=False)
    status: str = Field(max_length=20)  # posted, skipped
    fired_at: dt.datetime = _when(nullable=False)


class ClockRules(SQLModel, table=True):
    """The fingerprint of the configuration the response clocks' stored due times were
    computed with: a start with other time rules, policies or working hours re-evaluates
    every open ticket."""

    __tablename__ = "clock_rules"

    name: str = Field(primary_key=True, max_length=40)
    fingerprint: str = Field(max_length=64)
    changed_at: dt.datetime = _when(nullable=False)


class OncallOverride(SQLModel, table=True):
    """Someone on call instead of the rota's schedule for a while (`/oncall take|give`).

    The rows are also the audit log of who changed the rota, when, and for how long.
    """

    __tablename__ = "oncall_override"
    __table_args__ = (Index("ix_oncall_override_window", "rota", "ends_at"),)

    id: int | None = Field(default=None, primary_key=True)
    rota: str = Field(max_length=64)
    person: str = Field(max_length=64)  # who is on call
    replaces: str | None = Field(default=None, max_length=64)  # who is off meanwhile
    starts_at: dt.datetime = _when(nullable=False)
    ends_at: dt.datetime = _when(nullable=False)
    kind: str = Field(max_length=10)  # take, give
    created_by: str = Field(max_length=200)  # actor key
    created_at: dt.datetime = _when(nullable=False)


class Chart(SQLModel, table=True):
    """A chart (PNG) a post carries: uploaded to Slack, shown by Teams from an
    unguessable URL of `deskbot serve`, written to a file by the console. Kept in the
    database so that any replica can deliver or serve it; it expires."""

    __tablename__ = "chart"
    __table_args__ = (Index("ix_chart_expires", "expires_at"),)

    id: str = Field(primary_key=True, max_length=64)  # random token, also the URL's name
    scope: str = Field(max_length=200)
    title: str = Field(default="", max_length=300)
    # the PNG, rendered from `drawing` (what to draw, with its words) when first delivered:
    # drawing costs far more than working the figures out, and an agenda is built inside
    # the scheduler's claim
    png: bytes | None = Field(default=None, sa_type=LargeBinary, nullable=True)
    drawing: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    created_at: dt.datetime = _when(nullable=False)
    expires_at: dt.datetime = _when(nullable=False)
