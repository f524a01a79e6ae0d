"""Who holds a ticket: take, assign, and dispatch (the hand-over from L1 to L2).

Each effect changes the ticket and returns the posts it causes, details for the audit event
and the answer to the actor (see `workflow.act`).
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from handlers.chat.model import Actions, Actor, Button, Message, Post, Target, Text
from handlers.chat.refusals import Refused
from handlers.chat.texts import phrase, render
from handlers.commands.grammar import TicketVerb
from handlers.config.team import Person
from handlers.desk import Desk
from handlers.oncall.duty import staffed
from handlers.raci.tagging import Tagged, tag
from handlers.tickets import permissions
from handlers.tickets.posts import dm, in_thread
from storage.models import Ticket

Effect = tuple[list[Post], dict[str, object], str]


def take(desk: Desk, actor: Actor, t: Ticket, r: TicketVerb, now: dt.datetime) -> Effect:
    if t.assignee == actor.key:
        raise Refused(phrase("refused.already_yours", key=t.key))
    return _hand_to(desk, actor, t, actor.key, "done.take")


def assign(desk: Desk, actor: Actor, t: Ticket, r: TicketVerb, now: dt.datetime) -> Effect:
    to = desk.config.person(r.person or "")
    if to is None:
        raise Refused(phrase("error.unknown_person", given=r.person))
    if t.assignee == to.id:
        raise Refused(phrase("refused.already_theirs", key=t.key, person=to.name))
    permissions.check_assignee(desk.config, actor, t, to)
    posts, detail, answer = _hand_to(desk, actor, t, to.id, "done.assign")
    if to.id != actor.key:
        with desk.for_person(to):
            message = phrase("post.assigned_to_you", t=t, actor=actor.name)
        posts.append(dm(to.id, message, f"{t.key}:assigned"))
    return posts, detail, answer


def _hand_to(desk: Desk, actor: Actor, t: Ticket, to: str, done: str) -> Effect:
    """Make `to` the assignee; a previous owner who is not the actor hears it by DM."""
    config, previous = desk.config, t.assignee
    t.assignee = to
    posts: list[Post] = []
    if previous and previous not in (actor.key, to) and config.person(previous):
        with desk.for_person(config.person(previous)):
            message = phrase("post.taken_from_you", t=t, actor=actor.name, to=_name(desk, to))
        posts.append(dm(previous, message, f"{t.key}:taken-from"))
    detail: dict[str, object] = {"previous_assignee": previous, "assignee": to}
    return posts, detail, phrase(done, t=t, person=_name(desk, to))


def _name(desk: Desk, person_id: str) -> str:
    person = desk.config.person(person_id)
    return person.name if person else person_id


def dispatch(desk: Desk, actor: Actor, t: Ticket, r: TicketVerb, now: dt.datetime) -> Effect:
    """To a named expert, or to the category's L2 pool with a Take button for its experts.

    The dispatching L1 stops owning it and becomes a watcher: told of the root cause and the
    resolution."""
    config = desk.config
    if r.category:
        t.category = r.category
    if not t.category:
        raise Refused(phrase("refused.no_category", key=t.key))
    experts = config.experts(t.category)
    if not experts:
        raise Refused(phrase("refused.no_experts", key=t.key, category=t.category))
    named = _named_expert(desk, t, r.person, experts)
    if r.text:
        # a form sends the ticket's tried text back, extended; a command sends only the news
        t.tried = r.text if t.tried and r.text.startswith(t.tried) else f"{t.tried}\n{r.text}"
        t.tried = t.tried.strip()
    if actor.person is not None and actor.key not in t.watchers and actor.key != r.person:
        t.watchers = [*t.watchers, actor.key]
    t.assignee = named.id if named else None
    t.dispatched_at = now
    goes_to = [named] if named else experts
    activity = config.activity(config.purposes.dispatch)
    tags = _tags(desk, actor, t, goes_to) if activity else []
    category = config.category(t.category)
    context = {
        "t": t,
        "experts": goes_to,
        "named": named,
        "tags": tags,
        "activity": activity,
        "category": category,
        "actor": actor.name,
    }
    with desk.for_channel():
        thread = render("dispatch_thread.md", **context)
        take_label = phrase("button.take")
    posts = [in_thread(t, thread, f"{t.key}:dispatch")]
    take_button = (
        () if named else (Actions((Button(take_label, "ticket.take", t.key, "primary"),)),)
    )
    if t.category in config.channels.l2:
        body = Message((Text(thread), *take_button), thread)
        posts.append(Post(Target("channel", f"l2:{t.category}"), body, f"{t.key}:dispatch-l2"))
    for p in goes_to:
        with desk.for_person(p):
            dm_text = render("dispatch_dm.md", **context)
        posts.append(
            dm(p.id, Message((Text(dm_text), *take_button), dm_text), f"{t.key}:dispatch-dm")
        )
    detail: dict[str, object] = {
        "category": t.category,
        "tried": r.text,
        "experts": [p.id for p in goes_to],
        "assignee": t.assignee,
    }
    return posts, detail, phrase("done.dispatch", t=t, experts=goes_to, named=named)


def _named_expert(
    desk: Desk, t: Ticket, person_id: str | None, experts: list[Person]
) -> Person | None:
    if not person_id:
        return None
    person = desk.config.person(person_id)
    if person is None or person not in experts:
        raise Refused(
            phrase(
                "refused.not_an_expert",
                key=t.key,
                person=person.name if person else person_id,
                category=t.category,
                experts=experts,
            )
        )
    return person


def _tags(desk: Desk, actor: Actor, t: Ticket, goes_to: list[Person]) -> list[Tagged]:
    """The RACI of dispatching, with R narrowed to the experts it goes to: the on-duty L1
    share that R row but the ticket is no longer theirs."""
    config = desk.config
    activity = config.activity(config.purposes.dispatch)
    assert activity is not None
    session = Session.object_session(t)  # the ticket's own transaction
    on_duty = staffed(config, session, desk.now()) if session is not None else config
    going = {p.id for p in goes_to}
    out = []
    for tagged in tag(on_duty, activity, t.category, exclude=actor.key):
        if tagged.letter == "R":
            keep = tuple(p for p in tagged.people if p.id in going)
            tagged = Tagged(tagged.letter, tagged.role_ids, keep)
        out.append(tagged)
    return out
