"""Five-minute huddles on a ticket: start one, record its outcome.

Starting reads and checks first, then asks the platform's meeting service for a room (a
network call, so outside any transaction), then writes the huddle, its timers, the ticket
event and the card in one transaction, checking again under the ticket's lock. One open
huddle per ticket: a second `/huddle` points to the open one.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from handlers.chat.model import Actor, Message, Place, Post, Reply, Target
from handlers.chat.refusals import Refused
from handlers.chat.texts import phrase
from handlers.commands.grammar import HuddleStart
from handlers.desk import Desk
from handlers.huddles import messages as say
from handlers.huddles.links import Room, RoomRequest, configured_room
from handlers.huddles.people import Participants, resolve
from handlers.tickets import permissions
from handlers.tickets.lifecycle import OPEN_STATES
from handlers.tickets.posts import card_key
from storage import huddles as store
from storage import tickets as repo
from storage.huddles import Huddle
from storage.models import Ticket

log = logging.getLogger(__name__)


def huddle_key(ticket: Ticket, number: int) -> str:
    """The dedupe key of a huddle's card; its other posts add a suffix."""
    return f"{ticket.scope}:{ticket.key}:huddle:{number}"


def thread_of(ticket: Ticket) -> Target:
    return Target("channel", "queue", thread=card_key(ticket))


@dataclass(frozen=True)
class _Plan:
    """What the first, read-only look decided."""

    number: int
    who: Participants


def start(desk: Desk, actor: Actor, place: Place, request: HuddleStart) -> Reply:
    config = desk.config
    scope, platform = place.channel.scope, place.channel.platform
    extras = [p for pid in request.extras if (p := config.person(pid))]
    with desk.reading() as session:
        ticket, pointer = _check(desk, session, actor, scope, request.number)
        if pointer is not None:
            return pointer
        plan = _Plan(
            store.next_number(session, ticket.id or 0),
            resolve(config, ticket, actor, extras, platform),
        )
    now = desk.now()
    ends = now + dt.timedelta(minutes=config.time_rules.huddle_length)
    topic = request.topic or ticket.summary
    token = secrets.token_urlsafe(9)
    fallback = configured_room(
        config,
        platform,
        place.channel.workspace,
        ticket.key,
        plan.number,
        token,
        plan.who.people,
    )
    room, fell_back = _open_room(
        desk,
        platform,
        RoomRequest(
            key=f"deskbot:{huddle_key(ticket, plan.number)}:{token}",
            title=phrase("huddle.header", key=ticket.key, topic=topic),
            caller=actor.person,
            caller_id=actor.ref.id,
            participants=plan.who.people,
            starts_at=now,
            ends_at=ends,
            fallback=fallback,
        ),
        fallback,
    )
    try:
        with desk.writing() as session:
            ticket, pointer = _check(desk, session, actor, scope, request.number, lock=True)
            if pointer is not None:
                return pointer
            huddle = Huddle(
                ticket_id=ticket.id or 0,
                scope=ticket.scope,
                number=plan.number,
                topic=topic[:200],
                caller=actor.key,
                participants=[p.id for p in plan.who.people],
                link=room.url if room else "",
                link_kind=room.kind if room else "",
                external_id=room.external_id if room else None,
                started_at=now,
                ends_at=ends,
            )
            store.add(session, huddle, _stages(desk, now, ends))
            _record_start(desk, session, actor, ticket, huddle, plan.who, platform, room, fell_back)
    except IntegrityError:
        # someone started one between the two looks: point to theirs
        with desk.reading() as session:
            _, pointer = _check(desk, session, actor, scope, request.number)
        if pointer is None:
            raise
        return pointer
    ends_local = say.local_time(config, ends)
    url = room.url if room else None
    return Reply(Message.text(phrase("done.huddle", key=ticket.key, ends=ends_local, url=url)))


def _check(
    desk: Desk, session: Session, actor: Actor, scope: str, number: int, lock: bool = False
) -> tuple[Ticket, Reply | None]:
    """The ticket, if a huddle may start on it; or the reply pointing to the open one."""
    ticket = repo.get(session, scope, number, lock=lock)
    if ticket is None:
        raise Refused(phrase("error.unknown_ticket", key=f"T-{number}"))
    if ticket.status not in OPEN_STATES:
        raise Refused(phrase("refused.huddle_status", key=ticket.key, status=ticket.status))
    permissions.check(desk.config, actor, "huddle", ticket)
    current = store.open_for(session, ticket.id or 0)
    return ticket, (_pointer(desk, ticket, current) if current is not None else None)


def _pointer(desk: Desk, ticket: Ticket, huddle: Huddle) -> Reply:
    ends = say.local_time(desk.config, huddle.ends_at)
    key = "huddle.open_running" if desk.now() < huddle.ends_at else "huddle.open_waiting"
    text = phrase(key, key=ticket.key, ends=ends, url=huddle.link or None)
    return Reply(Message.text(text), ok=False)


def _stages(desk: Desk, now: dt.datetime, ends: dt.datetime) -> dict[str, dt.datetime]:
    rules = desk.config.time_rules
    stages = {}
    warning = ends - dt.timedelta(minutes=rules.huddle_warning_before)
    if warning > now:  # a warning as long as the huddle itself would say nothing
        stages["warning"] = warning
    stages["end"] = ends
    stages["reminder"] = ends + dt.timedelta(minutes=rules.huddle_outcome_reminder)
    return stages


def _open_room(
    desk: Desk, platform: str, request: RoomRequest, fallback: Room | None
) -> tuple[Room | None, bool]:
    """The platform's room when it has one; its failure costs the link, never the huddle."""
    rooms = desk.rooms.get(platform)
    if rooms is None:
        return fallback, False
    try:
        room = rooms.open(request)
    except Exception:
        log.exception(
            "huddle %s: %s meeting service failed; using the configured link", request.key, platform
        )
        return fallback, True
    return (room or fallback), False


def _record_start(
    desk: Desk,
    session: Session,
    actor: Actor,
    ticket: Ticket,
    huddle: Huddle,
    who: Participants,
    platform: str,
    room: Room | None,
    fell_back: bool,
) -> None:
    now = huddle.started_at
    if ticket.first_response_at is None:
        ticket.first_response_at = now  # calling people in is a response
    ticket.updated_at = now
    session.add(ticket)
    repo.record(
        session,
        ticket,
        actor.key,
        "huddle",
        now,
        huddle=huddle.number,
        topic=huddle.topic,
        participants=huddle.participants,
        unreachable=[p.id for p in who.unreachable],
        link=huddle.link,
        ends_at=huddle.ends_at.isoformat(),
    )
    with desk.for_channel():
        message = say.card(
            desk.config, ticket, huddle, who, actor.name, actor.key, platform, room, fell_back
        )
    desk.post(
        session,
        platform,
        ticket.scope,
        Post(thread_of(ticket), message, huddle_key(ticket, huddle.number)),
    )
