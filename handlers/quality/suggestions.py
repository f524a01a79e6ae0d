"""Process-improvement suggestions (seed 003: at least five a month): `/suggest TEXT` records
one; `/suggest` lists the open ones; `/suggest accept|done S-<n>` moves one on. Listed in the
monthly planning agenda."""

from __future__ import annotations

from handlers.chat.model import Actor, Message, Place, Reply, Text
from handlers.chat.refusals import Refused
from handlers.chat.texts import phrase, render
from handlers.commands.quality import SuggestMove, SuggestNew
from handlers.desk import Desk
from storage import quality as store

STATUS = {"accept": "accepted", "done": "done"}


def add(desk: Desk, actor: Actor, place: Place, request: SuggestNew) -> Reply:
    with desk.writing() as session:
        row = store.add_suggestion(
            session, place.channel.scope, request.text, actor.key, desk.now()
        )
    return Reply(Message.text(phrase("done.suggest", s=row)), ephemeral=False)


def move(desk: Desk, actor: Actor, place: Place, request: SuggestMove) -> Reply:
    scope = place.channel.scope
    if request.verb == "list":
        with desk.reading() as session:
            rows = store.suggestions(session, scope, open_only=True)
        body = render("suggestions.md", suggestions=rows, config=desk.config)
        return Reply(Message((Text(body),), phrase("suggest.list_fallback", count=len(rows))))
    deciders = desk.config.quality.suggestion_deciders
    if actor.person is None or not any(actor.person.holds(r) for r in deciders):
        roles = [desk.config.role(r) for r in deciders]
        raise Refused(phrase("refused.suggest_who", who=[r.name for r in roles if r]))
    with desk.writing() as session:
        row = store.suggestion(session, scope, request.number)
        if row is None:
            raise Refused(phrase("error.unknown_suggestion", key=f"S-{request.number}"))
        row.status, row.updated_at = STATUS[request.verb], desk.now()
        session.add(row)
    return Reply(Message.text(phrase("done.suggest_move", s=row)), ephemeral=False)
