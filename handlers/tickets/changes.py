"""Changes to what a ticket says: edit its fields, root cause, resolution, close with reason.

Each effect changes the ticket and returns the posts it causes, details for the audit event
and the answer to the actor (see `workflow.act`).
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from handlers.chat.model import Actor, Post
from handlers.chat.refusals import Refused
from handlers.chat.texts import phrase
from handlers.commands.fields import FieldErrors, NewTicket, validate
from handlers.commands.grammar import TicketVerb
from handlers.config.team import TeamConfig
from handlers.desk import Desk
from handlers.knowledge.search import knowledge_reference
from handlers.tickets import survey
from handlers.tickets.lifecycle import OPEN_STATES
from handlers.tickets.posts import dm, in_thread
from storage import tickets as repo
from storage.models import Ticket

Effect = tuple[list[Post], dict[str, object], str]
EDITABLE = (
    "summary",
    "description",
    "category",
    "priority",
    "intake",
    "environment",
    "reporter",
    "tried",
    "links",
)


def current_values(t: Ticket) -> dict[str, str]:
    """The ticket's fields as a form or `validate` takes them (strings)."""
    values = {name: str(getattr(t, name) or "") for name in EDITABLE if name != "links"}
    values["links"] = " ".join(t.links)
    return values


def merged(
    t: Ticket, changes: dict[str, str], config: TeamConfig
) -> tuple[dict[str, str], NewTicket]:
    """The ticket's values with the changes over them, validated (raises FieldErrors).

    Links add up: a new link never replaces one the ticket has."""
    values = {**current_values(t), **changes}
    if "links" in changes:
        old = list(t.links)
        new = [x for x in changes["links"].replace(",", " ").split() if x not in old]
        values["links"] = " ".join([*old, *new])
    return values, validate(values, config)


def edit(desk: Desk, actor: Actor, t: Ticket, r: TicketVerb, now: dt.datetime) -> Effect:
    try:
        _, fields = merged(t, dict(r.changes), desk.config)
    except FieldErrors as exc:
        raise Refused(exc.first()) from exc
    changed: list[list[str]] = []
    for name in EDITABLE:
        old, new = getattr(t, name), getattr(fields, name)
        if name == "links":
            old, new = list(old), list(new)
        if (old or None) != (new or None):
            setattr(t, name, new)
            show = (lambda v: ", ".join(v)) if name == "links" else (lambda v: str(v or ""))
            changed.append([name, show(old), show(new)])
    if not changed:
        raise Refused(phrase("refused.no_change", key=t.key))
    return [], {"changes": changed}, phrase("done.edit", t=t, count=len(changed))


def rca(desk: Desk, actor: Actor, t: Ticket, r: TicketVerb, now: dt.datetime) -> Effect:
    """L2's root cause: stops the ticket's root-cause clock (the first one counts for it)."""
    t.root_cause = r.text
    if t.root_cause_at is None:
        t.root_cause_at = now
    with desk.for_channel():
        posts = [in_thread(t, phrase("post.rca", t=t, actor=actor.name), f"{t.key}:rca")]
    posts += _to_watchers(desk, t, actor, "post.watch_rca", "rca")
    return posts, {"text": r.text}, phrase("done.rca", t=t)


def resolve(desk: Desk, actor: Actor, t: Ticket, r: TicketVerb, now: dt.datetime) -> Effect:
    t.resolution = r.text
    t.resolved_at = now
    with desk.for_channel():
        posts = [in_thread(t, phrase("post.resolved", t=t, actor=actor.name), f"{t.key}:resolve")]
    posts += _to_watchers(desk, t, actor, "post.resolved", "resolve")
    detail: dict[str, object] = {"resolution": r.text}
    entry = knowledge_reference(r.text)
    if entry is not None:
        detail["knowledge"] = entry  # a reuse of that entry (the knowledge-reuse KPI)
    asked = survey.ask(desk.config, t)
    return [*posts, *([asked] if asked else [])], detail, phrase("done.resolve", t=t)


def _to_watchers(desk: Desk, t: Ticket, actor: Actor, key: str, what: str) -> list[Post]:
    """The L1 who dispatched it hears of the root cause and the resolution, in their language."""
    posts = []
    for w in t.watchers:
        if w == actor.key:
            continue
        with desk.for_person(desk.config.person(w)):
            message = phrase(key, t=t, actor=actor.name)
        posts.append(dm(w, message, f"{t.key}:watch-{what}"))
    return posts


def check_duplicate(session: Session, t: Ticket, r: TicketVerb) -> None:
    """`close T-3 duplicate T-2`: T-2 must be another ticket of the same team."""
    if r.reason != "duplicate":
        return
    if r.other == t.number or repo.get(session, t.scope, r.other or 0) is None:
        raise Refused(phrase("refused.bad_duplicate", key=t.key, other=f"T-{r.other}"))


def close(desk: Desk, actor: Actor, t: Ticket, r: TicketVerb, now: dt.datetime) -> Effect:
    """A resolved ticket closes as it is; an open one needs a reason (duplicate, cancelled,
    not reproducible), which the KPIs use to leave it out (checked by `check_duplicate`)."""
    if t.status in OPEN_STATES and not r.reason:
        raise Refused(phrase("refused.close_open", key=t.key))
    detail: dict[str, object] = {}
    if r.reason == "duplicate":
        t.duplicate_of = r.other
        detail["duplicate_of"] = f"T-{r.other}"
    t.close_reason = r.reason
    t.closed_at = now
    if r.text:
        detail["reason"] = r.text
    posts = []
    if r.reason:
        detail["close_reason"] = r.reason
        with desk.for_channel():
            message = phrase(
                "post.closed_because", t=t, actor=actor.name, reason=r.reason, text=r.text
            )
        posts.append(in_thread(t, message, f"{t.key}:close"))
    return posts, detail, phrase("done.close", t=t, reason=r.reason)
