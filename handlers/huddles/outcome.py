"""A huddle's outcome: recorded on the ticket's audit trail, in its thread, on the card.

By text (`/huddle end T-7 OUTCOME`) or through the outcome form (decision, owner, next
step) that the time's-up post and the card offer.
"""

from __future__ import annotations

import datetime as dt
import logging

from handlers.chat.model import Actor, Message, Place, Post, Reply, Target, clean_input
from handlers.chat.refusals import Refused
from handlers.chat.texts import phrase
from handlers.commands.fields import unfit_character
from handlers.commands.grammar import OUTCOME_MAX, HuddleEnd, ParseError, ticket_number
from handlers.config.team import Person
from handlers.desk import Desk
from handlers.huddles import messages as say
from handlers.huddles.links import Room
from handlers.huddles.start import huddle_key, thread_of
from handlers.tickets import permissions
from handlers.tickets.posts import card_key
from storage import huddles as store
from storage import tickets as repo
from storage.huddles import Huddle
from storage.models import Ticket

log = logging.getLogger(__name__)


def end(desk: Desk, actor: Actor, place: Place, request: HuddleEnd, **parts: str) -> Reply:
    """Record the outcome: on the ticket's audit trail, in its thread, on the huddle card."""
    config, now = desk.config, desk.now()
    with desk.writing() as session:
        ticket = repo.get(session, place.channel.scope, request.number, lock=True)
        if ticket is None:
            raise Refused(phrase("error.unknown_ticket", key=f"T-{request.number}"))
        huddle = store.open_for(session, ticket.id or 0, lock=True)
        if huddle is None:
            raise Refused(phrase("refused.no_open_huddle", key=ticket.key))
        _may_end(desk, actor, ticket, huddle)
        huddle.outcome, huddle.outcome_by, huddle.outcome_at = request.outcome, actor.key, now
        session.add(huddle)
        store.cancel_pending(session, huddle.id or 0, now)
        ticket.updated_at = now
        session.add(ticket)
        repo.record(
            session,
            ticket,
            actor.key,
            "huddle_outcome",
            now,
            outcome=request.outcome,
            huddle=huddle.number,
            **parts,
        )
        key = huddle_key(ticket, huddle.number)
        platform = huddle.platform
        with desk.for_channel():
            posts = [
                Post(
                    thread_of(ticket),
                    say.outcome_post(ticket.key, actor.name, request.outcome),
                    f"{key}:outcome",
                ),
                Post(
                    Target("channel", "queue", thread=card_key(ticket), replace=key),
                    say.ended_card(config, ticket, huddle, actor.name),
                ),
            ]
        for post in posts:
            desk.post(session, platform, ticket.scope, post)
    _close_room(desk, huddle, now)
    return Reply(Message.text(phrase("done.huddle_end", key=ticket.key)), ephemeral=False)


def _may_end(desk: Desk, actor: Actor, ticket: Ticket, huddle: Huddle) -> None:
    if actor.key == huddle.caller or actor.key in huddle.participants:
        return
    try:
        permissions.check(desk.config, actor, "huddle", ticket)
    except Refused:
        raise Refused(phrase("refused.not_in_huddle", key=ticket.key)) from None


def _close_room(desk: Desk, huddle: Huddle, now: dt.datetime) -> None:
    rooms = desk.rooms.get(huddle.platform)
    if rooms is None or not huddle.external_id:
        return
    try:
        rooms.close(Room(huddle.link, huddle.link_kind, huddle.external_id), now)
    except Exception:  # the outcome is recorded; a call left open on the platform is cosmetic
        log.exception("huddle %s: closing the %s room failed", huddle.id, huddle.platform)


def outcome_form(desk: Desk, place: Place, ticket_key: str) -> Reply:
    return Reply(form=say.outcome_form(ticket_key))


def submit(desk: Desk, actor: Actor, place: Place, values: dict[str, str]) -> Reply:
    """The outcome form: decision (required), owner, next step; one line on the ticket."""
    v = {k: clean_input(val or "").strip() for k, val in values.items()}
    errors: dict[str, str] = {}
    number = 0
    try:
        number = ticket_number(v.get("ticket"), "huddle.end")
    except ParseError as exc:
        errors["ticket"] = exc.reason
    for name, value in v.items():
        if reason := unfit_character(value):
            errors[name] = reason
    if not v.get("decision"):
        errors.setdefault("decision", phrase("error.decision_missing"))
    owner = _owner_name(desk, place, v.get("owner", ""))
    outcome = say.outcome_text(v.get("decision", ""), owner, v.get("next_step", ""))
    if len(outcome) > OUTCOME_MAX:
        errors["decision"] = phrase("error.outcome_long", limit=OUTCOME_MAX, length=len(outcome))
    if errors:
        form = say.outcome_form(v.get("ticket", ""), v)
        return Reply(form=form, form_errors=errors, ok=False)
    parts = {"decision": v["decision"], "owner": owner, "next_step": v.get("next_step", "")}
    return end(desk, actor, place, HuddleEnd(number, outcome), **parts)


def _owner_name(desk: Desk, place: Place, given: str) -> str:
    """A person field comes back as a person id or a platform user id; show the name."""
    given = given.removeprefix("@")
    person: Person | None = desk.config.person(given.lower()) or desk.config.find_person(
        place.channel.platform, given
    )
    return person.name if person else given
